import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type ClientAuth, RestClient } from "./client.ts";
import {
  type ClientCommand,
  COMPACTION_COMMANDS,
  CONNECTOR_COMMANDS,
  type CommandContext,
  OFFSET_COMMANDS,
  PLUGINS_COMMAND,
} from "./commands.ts";
import { CliError, ExitCode, RefusedError, UsageError } from "./errors.ts";
import { relaunchWithWorkerFlags } from "./worker-v8-flags.ts";

/**
 * `sluice`: runs a standalone worker, or talks to a running one over its REST API. Exit codes: 0 ok,
 * 1 the worker refused (its message is printed), 2 usage error, 3 the worker cannot be reached.
 */

const DEFAULT_URL = "http://127.0.0.1:8083";

const OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  user: { type: "string" },
  password: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
  "include-tasks": { type: "boolean", default: false },
  "only-failed": { type: "boolean", default: false },
  file: { type: "string" },
  to: { type: "string" },
  path: { type: "string" },
} as const;

const CLIENT_FLAGS = ["url", "token", "user", "password", "json"] as const;

const GROUPS: Readonly<Record<string, Readonly<Record<string, ClientCommand>>>> = {
  connectors: CONNECTOR_COMMANDS,
  offsets: OFFSET_COMMANDS,
  compactions: COMPACTION_COMMANDS,
};

function usage(): string {
  const lines = [
    "Usage:",
    "  sluice standalone <worker.json> [connector.json ...]",
    "      run a standalone worker with these connectors",
  ];
  for (const [group, commands] of Object.entries(GROUPS)) {
    for (const [verb, command] of Object.entries(commands)) {
      lines.push(`  sluice ${group} ${verb} ${command.synopsis}`.trimEnd() + `\n      ${command.summary}`);
    }
  }
  lines.push(
    `  sluice plugins\n      ${PLUGINS_COMMAND.summary}`,
    "",
    "Options of the client commands:",
    `  --url <url>            the worker's REST API (env SLUICE_URL; default ${DEFAULT_URL})`,
    "  --token <token>        bearer token (env SLUICE_TOKEN)",
    "  --user <name>          basic-auth user (env SLUICE_USER), with --password (env SLUICE_PASSWORD)",
    "  --json                 print the worker's JSON answer instead of a table",
    "",
    "Exit codes: 0 ok, 1 the worker refused, 2 usage error, 3 the worker cannot be reached.",
  );
  return lines.join("\n");
}

type ParsedValues = ReturnType<typeof parseCommandLine>["values"];

function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // Node's message goes on to explain `--`; its first sentence names the problem.
    throw new UsageError((error as Error).message.replace(/\. .*$/s, ""));
  }
}

function clientAuth(values: ParsedValues, env: NodeJS.ProcessEnv): ClientAuth {
  // An empty variable counts as unset, as `SLUICE_TOKEN= sluice ...` means.
  const token = values.token ?? (env.SLUICE_TOKEN || undefined);
  const username = values.user ?? (env.SLUICE_USER || undefined);
  const password = values.password ?? (env.SLUICE_PASSWORD || undefined);
  if (token !== undefined && username !== undefined)
    throw new UsageError("give either a token or a user, not both");
  if (token !== undefined) return { type: "bearer", token };
  if (username === undefined) return { type: "none" };
  if (password === undefined) throw new UsageError("--user needs --password (or SLUICE_PASSWORD)");
  return { type: "basic", username, password };
}

/** Refuses flags that the command does not take, so that a misplaced flag is not silently ignored. */
function checkFlags(values: ParsedValues, allowed: readonly string[], command: string): void {
  for (const [flag, value] of Object.entries(values)) {
    if (value === undefined || value === false || flag === "help" || allowed.includes(flag)) continue;
    throw new UsageError(`${command} does not take --${flag}`);
  }
}

async function runStandalone(args: string[], values: ParsedValues): Promise<number> {
  checkFlags(values, [], "standalone");
  const [workerPath, ...connectorPaths] = args;
  if (workerPath === undefined) throw new UsageError("standalone needs a worker config file");
  relaunchWithWorkerFlags();
  // Loaded only here, so that the client commands start without the engine.
  const worker = await import("../worker/standalone.ts");
  return worker.runStandalone(
    resolve(workerPath),
    connectorPaths.map((path) => resolve(path)),
  );
}

async function runClientCommand(
  name: string,
  command: ClientCommand,
  args: string[],
  values: ParsedValues,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  checkFlags(values, [...CLIENT_FLAGS, ...command.flags], name);
  if (args.length !== command.arity) {
    throw new UsageError(`usage: sluice ${name} ${command.synopsis}`.trimEnd());
  }
  const context: CommandContext = {
    client: new RestClient(values.url ?? (env.SLUICE_URL || DEFAULT_URL), clientAuth(values, env)),
    json: values.json,
    print: (text) => process.stdout.write(`${text}\n`),
    args,
    flags: {
      includeTasks: values["include-tasks"],
      onlyFailed: values["only-failed"],
      file: values.file,
      to: values.to,
      path: values.path,
    },
  };
  await command.run(context);
  return ExitCode.OK;
}

/** Runs one command line; resolves with the exit code. */
async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  try {
    const { values, positionals } = parseCommandLine(argv);
    const [first, second, ...rest] = positionals;
    if (values.help) {
      process.stdout.write(`${usage()}\n`);
      return ExitCode.OK;
    }
    if (first === "standalone") return await runStandalone(positionals.slice(1), values);
    if (first === "plugins")
      return await runClientCommand("plugins", PLUGINS_COMMAND, positionals.slice(1), values, env);
    const group = first === undefined ? undefined : GROUPS[first];
    if (group === undefined)
      throw new UsageError(first === undefined ? "no command given" : `unknown command ${first}`);
    const command = second === undefined ? undefined : group[second];
    if (command === undefined) {
      throw new UsageError(`${first} needs one of: ${Object.keys(group).join(", ")}`);
    }
    return await runClientCommand(`${first} ${second}`, command, rest, values, env);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    const status = error instanceof RefusedError ? ` (HTTP ${error.status})` : "";
    process.stderr.write(`sluice: ${error.message}${status}\n`);
    if (error instanceof UsageError)
      process.stderr.write("Run sluice --help for the commands and options.\n");
    return error.exitCode;
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
