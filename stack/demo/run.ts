import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import mysql from "mysql2/promise";
import { KafkaAdmin } from "../../runtime/kafka/admin.ts";
import { type RunningWorker, startStandalone } from "../../runtime/worker/standalone.ts";
import { loadStackEnv, parseEnvFile, STACK_ENV_FILE, type StackEnv } from "../env.ts";
import { stackUp } from "../stack.ts";
import { type ChangeCounts, ChangeGenerator } from "./generator.ts";
import { whereToLook } from "./hints.ts";
import { caughtUp, type ProgressSample, progressLine, progressLines, sampleProgress } from "./progress.ts";
import { resetDemoState } from "./reset.ts";
import { createDemoDatabase, DEMO } from "./schema.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CONFIG_DIR = join(ROOT, "config");
const DEMO_DATA_DIR = join(ROOT, ".data", "demo");

export interface DemoOptions {
  /** Stop generating after this many seconds, wait for the sinks to catch up, then stop. Absent: until `signal`. */
  durationSeconds?: number;
  /** Row changes per second written to MariaDB; default 20. */
  rate?: number;
  /** The REST API's port; default: config/worker.json's listener (8083). 0: any free port. */
  port?: number;
  /** Where the demo talks; a TTY gets a live block redrawn in place, anything else a line every 5 s. */
  out?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Aborting stops the demo: no more changes, the worker drains (sinks flush, offsets commit). */
  signal?: AbortSignal;
}

export interface DemoResult {
  changes: ChangeCounts;
  /** The last progress sample, taken after the changes stopped. */
  final: ProgressSample | null;
  /** True when every sink had committed every record of the topics before the worker stopped. */
  caughtUp: boolean;
  restUrl: string | null;
}

/** Sets each stack.env key that the environment does not, so that the configs' ${env:SLUICE_…} resolve. */
function exportStackEnv(text: string): void {
  for (const [key, value] of Object.entries(parseEnvFile(text))) process.env[key] ??= value;
}

/** config/worker.json with the demo's own data dir (wiped at each run) and, if asked, another port. */
async function demoWorkerConfig(port: number | undefined): Promise<string> {
  const worker = JSON.parse(await readFile(join(CONFIG_DIR, "worker.json"), "utf8")) as Record<
    string,
    string
  >;
  worker["sluice.data.dir"] = DEMO_DATA_DIR;
  worker["offset.storage.file.filename"] = join(DEMO_DATA_DIR, "offsets.json");
  if (port !== undefined) {
    const listener = new URL(worker.listeners?.split(",")[0] ?? "http://127.0.0.1:8083");
    worker.listeners = `http://${listener.hostname}:${port}`;
  }
  await mkdir(DEMO_DATA_DIR, { recursive: true });
  const path = join(DEMO_DATA_DIR, "worker.json");
  await writeFile(path, `${JSON.stringify(worker, null, 2)}\n`);
  return path;
}

/** Redraws a few lines in place on a terminal. */
class LiveBlock {
  readonly #out: NonNullable<DemoOptions["out"]>;
  #height = 0;

  constructor(out: NonNullable<DemoOptions["out"]>) {
    this.#out = out;
  }

  draw(lines: string[]): void {
    const width = Math.max(20, (this.#out.columns ?? 120) - 1);
    const clipped = lines.map((line) => (line.length > width ? `${line.slice(0, width - 1)}…` : line));
    this.#out.write(`${this.#height > 0 ? `\x1b[${this.#height}A\x1b[J` : ""}${clipped.join("\n")}\n`);
    this.#height = clipped.length;
  }
}

/**
 * Creates each example connector with PUT /connectors/{name}/config, as a user would with curl (rather
 * than handing the files to startStandalone), so that one refused config is reported and the rest run.
 */
async function createConnectors(restUrl: string, say: (line: string) => void): Promise<void> {
  for (const file of DEMO.connectorFiles) {
    const { name, config } = JSON.parse(await readFile(join(CONFIG_DIR, file), "utf8")) as {
      name: string;
      config: Record<string, string>;
    };
    const response = await fetch(`${restUrl}/connectors/${name}/config`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(config),
    });
    const body = (await response.json()) as { message?: string };
    say(
      response.ok
        ? `  ${name.padEnd(16)} created from config/${file}`
        : `  ${name.padEnd(16)} REFUSED (config/${file}): ${body.message ?? response.status}`,
    );
  }
}

/**
 * `npm run demo`: MariaDB → mysql-cdc → Kafka → OpenSearch, Redis, Neo4j and HDFS, on the local stack
 * (started when it is not up), with a live view of the rows as they travel. Every run starts from a
 * clean slate (see resetDemoState) and leaves the sinks' contents in place when it stops.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const out = options.out ?? process.stdout;
  const say = (line = "") => out.write(`${line}\n`);
  const signal = options.signal ?? new AbortController().signal;
  const tty = out.isTTY === true;

  say("Sluice demo: MariaDB → mysql-cdc → Kafka → OpenSearch, Redis, Neo4j, HDFS");
  say("\nThe stack (reused when it answers, started otherwise; the first start takes minutes):");
  const reports = await stackUp(undefined, (r) =>
    say(`  ${r.name.padEnd(11)} ${r.state.padEnd(8)} ${(r.ms / 1000).toFixed(1).padStart(5)}s  ${r.address}`),
  );
  const failed = reports.filter((r) => r.state === "failed");
  if (failed.length > 0)
    throw new Error(failed.map((r) => `${r.name} did not start: ${r.error}`).join("\n\n"));

  exportStackEnv(await readFile(STACK_ENV_FILE, "utf8"));
  const env: StackEnv = loadStackEnv();
  say(
    `\nResetting the demo's state (database ${DEMO.database}, topics sluice.demo.*, their indices, keys, nodes and ${DEMO.hdfsRoot})`,
  );
  await resetDemoState(env, DEMO_DATA_DIR);
  const db = await mysql.createConnection({ ...env.mariadb, charset: "utf8mb4" });
  const admin = new KafkaAdmin({ bootstrapServers: [env.kafkaBootstrap], clientId: "sluice-demo" });
  let worker: RunningWorker | null = null;
  const generator = new ChangeGenerator(db);
  const result: DemoResult = { changes: generator.counts, final: null, caughtUp: false, restUrl: null };
  const changes = new AbortController();
  const stopChanges = () => changes.abort();
  signal.addEventListener("abort", stopChanges, { once: true });
  try {
    await createDemoDatabase(db);
    if (signal.aborted) return result;
    const workerPath = await demoWorkerConfig(options.port);
    say("\nStarting a standalone worker (config/worker.json, data in .data/demo) and the connectors:");
    worker = await startStandalone(workerPath, []).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EADDRINUSE") throw error;
      throw new Error(`${error.message}: another worker runs there; choose another port with --port`);
    });
    const restUrl = worker.url;
    result.restUrl = restUrl;
    await createConnectors(restUrl, say);
    say();
    for (const line of whereToLook(env, restUrl)) say(line);
    say(
      `  Stop        Ctrl-C: the worker drains (sinks flush, offsets commit). The stack keeps running; npm run stack:down stops it.`,
    );
    say();

    const began = Date.now();
    const deadline = options.durationSeconds === undefined ? null : began + options.durationSeconds * 1000;
    const generating = generator.run(options.rate ?? 20, changes.signal);
    generating.catch(() => changes.abort());
    const live = tty ? new LiveBlock(out) : null;
    let lastLine = 0;
    const show = (sample: ProgressSample, force = false) => {
      if (live) live.draw(progressLines(sample));
      else if (force || Date.now() - lastLine >= 5_000) {
        say(progressLine(sample));
        lastLine = Date.now();
      }
    };
    let changesEnded: number | null = null;
    const sample = () =>
      sampleProgress(restUrl, admin, generator.counts, {
        elapsedMs: Date.now() - began,
        changesMs: (changesEnded ?? Date.now()) - began,
      });
    while (!changes.signal.aborted && (deadline === null || Date.now() < deadline)) {
      show(await sample());
      await sleep(1_000, undefined, { signal: changes.signal }).catch(() => {});
    }
    changes.abort();
    await generating;
    changesEnded = Date.now();

    if (!signal.aborted) {
      if (!live)
        say("Changes stopped; waiting for every sink to commit the rest (HDFS commits files every 10 s)");
      const settleBy = Date.now() + 90_000;
      let previous = -1;
      while (!signal.aborted && Date.now() < settleBy) {
        const current = await sample();
        result.final = current;
        show(current);
        // Settled: the topics stopped growing and every sink has committed all of them.
        if (caughtUp(current) && current.kafkaRecords === previous) {
          result.caughtUp = true;
          break;
        }
        previous = current.kafkaRecords;
        await sleep(2_000, undefined, { signal }).catch(() => {});
      }
    }
    result.final = await sample();
    result.caughtUp &&= caughtUp(result.final);
    show(result.final, true);
  } finally {
    signal.removeEventListener("abort", stopChanges);
    if (worker) {
      say("\nStopping the worker: sinks flush, offsets commit …");
      await worker.stop();
    }
    await admin.close();
    await db.end();
  }
  const { inserts, updates, deletes } = generator.counts;
  say(
    `Done: ${inserts} inserts, ${updates} updates and ${deletes} deletes in MariaDB${result.caughtUp ? ", all of them in every sink" : ""}.`,
  );
  say("The rows stay in OpenSearch, Redis, Neo4j and HDFS (see above); the next run starts clean.");
  return result;
}
