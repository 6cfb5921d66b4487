import { parseArgs } from "node:util";
import { runDemo } from "./demo/run.ts";

/**
 * `npm run demo [-- --duration <seconds>] [--rate <changes/s>] [--port <n>]`: see stack/demo/run.ts.
 * Exit codes: 0 done (with --duration: every sink caught up), 1 it failed or a sink fell behind, 2 usage.
 */

const USAGE = `usage: npm run demo [-- --duration <seconds>] [--rate <changes per second>] [--port <REST port>]
  --duration  stop after this many seconds (for CI); default: run until Ctrl-C
  --rate      row changes per second written to MariaDB; default 20
  --port      the worker's REST port; default config/worker.json's (8083)`;

/** The option's number, or exits with the usage when it is not one (a port: a whole number, 0 for any). */
function numberOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  const port = name === "port";
  const ok = port ? Number.isInteger(n) && n >= 0 && n <= 65535 : Number.isFinite(n) && n > 0;
  if (!ok) {
    console.error(
      `--${name} must be ${port ? "a port number" : "a positive number"}; got "${text}"\n${USAGE}`,
    );
    process.exit(2);
  }
  return n;
}

let values: { duration?: string; rate?: string; port?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      duration: { type: "string" },
      rate: { type: "string" },
      port: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }));
} catch (error) {
  console.error(`${(error as Error).message.replace(/\. .*$/s, "")}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const durationSeconds = numberOption("duration", values.duration);
const rate = numberOption("rate", values.rate);
const port = numberOption("port", values.port);

// Worker logs are JSON lines on stdout; in the demo only errors get through, so the live view stays legible.
process.env.SLUICE_LOG_LEVEL ??= "ERROR";

const stop = new AbortController();
const onSignal = () => {
  if (stop.signal.aborted) {
    console.error("\nStopping at once.");
    process.exit(130);
  }
  console.error("\nStopping (Ctrl-C again to stop at once) …");
  stop.abort();
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

try {
  const result = await runDemo({
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
    ...(rate === undefined ? {} : { rate }),
    ...(port === undefined ? {} : { port }),
    signal: stop.signal,
  });
  process.exit(durationSeconds !== undefined && !result.caughtUp && !stop.signal.aborted ? 1 : 0);
} catch (error) {
  console.error(`\nThe demo failed: ${(error as Error).message}`);
  process.exit(1);
}
