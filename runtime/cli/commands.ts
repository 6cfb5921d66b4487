import { readFile } from "node:fs/promises";
import type { ConnectorInfo, ConnectorOffset, ConnectorStateInfo, PluginInfo } from "../herder.ts";
import { parseOffsetTarget } from "../rest/offset-lookup.ts";
import type { RestClient } from "./client.ts";
import { UsageError } from "./errors.ts";
import { firstLine, formatTable } from "./table.ts";

/** What a client command gets: the worker, where to print, and the flags it declared. */
export interface CommandContext {
  client: RestClient;
  json: boolean;
  print(text: string): void;
  args: string[];
  flags: { includeTasks: boolean; onlyFailed: boolean; file?: string; to?: string; path?: string };
}

export interface ClientCommand {
  /** The arguments after the command words, as shown in the help. */
  synopsis: string;
  summary: string;
  /** How many positional arguments it takes. */
  arity: number;
  /** The command-specific flags it accepts. */
  flags: ReadonlyArray<"include-tasks" | "only-failed" | "file" | "to" | "path">;
  run(context: CommandContext): Promise<void>;
}

function connectorPath(name: string, suffix = ""): string {
  return `/connectors/${encodeURIComponent(name)}${suffix}`;
}

async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not JSON: ${(error as Error).message}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The POST /connectors body for a connector file: either Kafka Connect's `{name, config,
 * initial_state}` or a flat config with a `name` key (as `PUT .../config` takes).
 */
function createRequest(path: string, file: unknown): Record<string, unknown> {
  if (!isObject(file)) throw new UsageError(`${path} must hold a JSON object`);
  const config = isObject(file.config) ? file.config : file;
  const name = file.name ?? config.name;
  if (typeof name !== "string") throw new UsageError(`${path} has no "name"`);
  return {
    name,
    config,
    ...(file.initial_state !== undefined ? { initial_state: file.initial_state } : {}),
  };
}

function taskSummary(status: ConnectorStateInfo): string {
  if (status.tasks.length === 0) return "-";
  const counts = new Map<string, number>();
  for (const task of status.tasks) counts.set(task.state, (counts.get(task.state) ?? 0) + 1);
  return [...counts].map(([state, count]) => `${count} ${state}`).join(", ");
}

function statusTable(status: ConnectorStateInfo): string {
  const row = (what: string, state: { state: string; worker_id: string; trace?: string }) => [
    what,
    state.state,
    state.worker_id,
    state.trace === undefined ? "" : firstLine(state.trace),
  ];
  return formatTable(
    ["COMPONENT", "STATE", "WORKER", "TRACE"],
    [
      row(`connector ${status.name}`, status.connector),
      ...status.tasks.map((task) => row(`task ${task.id}`, task)),
    ],
  );
}

function offsetsTable(offsets: readonly ConnectorOffset[]): string {
  if (offsets.length === 0) return "No offsets committed.";
  const isSink = offsets.every((o) => "kafka_topic" in o.partition && "kafka_partition" in o.partition);
  if (isSink) {
    return formatTable(
      ["TOPIC", "PARTITION", "OFFSET"],
      offsets.map((o) => [
        String(o.partition.kafka_topic),
        String(o.partition.kafka_partition),
        o.offset === null ? "-" : String(o.offset.kafka_offset),
      ]),
    );
  }
  return formatTable(
    ["PARTITION", "OFFSET"],
    offsets.map((o) => [JSON.stringify(o.partition), JSON.stringify(o.offset)]),
  );
}

/** Runs a request that answers no body; prints `done` unless --json (then nothing: the exit code tells). */
async function act(context: CommandContext, method: string, path: string, done: string): Promise<void> {
  await context.client.request(method, path);
  if (!context.json) context.print(done);
}

/** Prints the body as JSON with --json, else as `human` formats it. */
function show<T>(context: CommandContext, body: unknown, human: (body: T) => string): void {
  context.print(context.json ? JSON.stringify(body, null, 2) : human(body as T));
}

function nameArg(context: CommandContext): string {
  return context.args[0]!;
}

export const CONNECTOR_COMMANDS: Readonly<Record<string, ClientCommand>> = {
  list: {
    synopsis: "",
    summary: "list connectors with their type, class, state and tasks",
    arity: 0,
    flags: [],
    async run(context) {
      const { body } = await context.client.request("GET", "/connectors?expand=status&expand=info");
      show<Record<string, { status: ConnectorStateInfo; info: ConnectorInfo }>>(
        context,
        body,
        (connectors) => {
          const names = Object.keys(connectors).sort();
          if (names.length === 0) return "No connectors.";
          return formatTable(
            ["NAME", "TYPE", "CLASS", "STATE", "TASKS"],
            names.map((name) => {
              const { status, info } = connectors[name]!;
              return [
                name,
                status.type,
                info.config["connector.class"] ?? "",
                status.connector.state,
                taskSummary(status),
              ];
            }),
          );
        },
      );
    },
  },
  get: {
    synopsis: "<name>",
    summary: "show a connector's config and tasks",
    arity: 1,
    flags: [],
    async run(context) {
      const { body } = await context.client.request("GET", connectorPath(nameArg(context)));
      show<ConnectorInfo>(context, body, (info) =>
        [
          `Connector ${info.name} (${info.type}), tasks: ${info.tasks.map((t) => t.task).join(", ") || "none"}`,
          "",
          formatTable(
            ["KEY", "VALUE"],
            Object.keys(info.config)
              .sort()
              .map((key) => [key, info.config[key]!]),
          ),
        ].join("\n"),
      );
    },
  },
  create: {
    synopsis: "<file.json>",
    summary: "create a connector from {name, config} or a flat config with a name",
    arity: 1,
    flags: [],
    async run(context) {
      const path = context.args[0]!;
      const request = createRequest(path, await readJsonFile(path));
      const { body } = await context.client.request("POST", "/connectors", request);
      show<ConnectorInfo>(
        context,
        body,
        (info) => `Created connector ${info.name} (${info.type}, ${info.tasks.length} tasks).`,
      );
    },
  },
  delete: {
    synopsis: "<name>",
    summary: "delete a connector",
    arity: 1,
    flags: [],
    run: (context) =>
      act(context, "DELETE", connectorPath(nameArg(context)), `Deleted connector ${nameArg(context)}.`),
  },
  pause: {
    synopsis: "<name>",
    summary: "pause a connector and its tasks",
    arity: 1,
    flags: [],
    run: (context) =>
      act(
        context,
        "PUT",
        connectorPath(nameArg(context), "/pause"),
        `Pausing connector ${nameArg(context)}.`,
      ),
  },
  resume: {
    synopsis: "<name>",
    summary: "resume a paused or stopped connector",
    arity: 1,
    flags: [],
    run: (context) =>
      act(
        context,
        "PUT",
        connectorPath(nameArg(context), "/resume"),
        `Resuming connector ${nameArg(context)}.`,
      ),
  },
  stop: {
    synopsis: "<name>",
    summary: "stop a connector and shut its tasks down (needed before changing offsets)",
    arity: 1,
    flags: [],
    run: (context) =>
      act(context, "PUT", connectorPath(nameArg(context), "/stop"), `Stopped connector ${nameArg(context)}.`),
  },
  restart: {
    synopsis: "<name> [--include-tasks] [--only-failed]",
    summary: "restart a connector, with --include-tasks its tasks too, with --only-failed only what FAILED",
    arity: 1,
    flags: ["include-tasks", "only-failed"],
    async run(context) {
      const name = nameArg(context);
      const { includeTasks, onlyFailed } = context.flags;
      const query = `?includeTasks=${includeTasks}&onlyFailed=${onlyFailed}`;
      const { status, body } = await context.client.request("POST", connectorPath(name, `/restart${query}`));
      if (status === 204) {
        if (!context.json) context.print(`Restarted connector ${name}.`);
        return;
      }
      show<ConnectorStateInfo>(
        context,
        body,
        (state) => `Restarting connector ${name}:\n\n${statusTable(state)}`,
      );
    },
  },
  status: {
    synopsis: "<name>",
    summary: "show the run state of a connector and its tasks",
    arity: 1,
    flags: [],
    async run(context) {
      const { body } = await context.client.request("GET", connectorPath(nameArg(context), "/status"));
      show<ConnectorStateInfo>(context, body, statusTable);
    },
  },
};

export const OFFSET_COMMANDS: Readonly<Record<string, ClientCommand>> = {
  get: {
    synopsis: "<name>",
    summary: "show a connector's committed offsets",
    arity: 1,
    flags: [],
    async run(context) {
      const { body } = await context.client.request("GET", connectorPath(nameArg(context), "/offsets"));
      show<{ offsets: ConnectorOffset[] }>(context, body, ({ offsets }) => offsetsTable(offsets));
    },
  },
  reset: {
    synopsis: "<name>",
    summary: "forget a STOPPED connector's offsets",
    arity: 1,
    flags: [],
    async run(context) {
      const { body } = await context.client.request("DELETE", connectorPath(nameArg(context), "/offsets"));
      show<{ message: string }>(context, body, ({ message }) => message);
    },
  },
  set: {
    synopsis: "<name> (--file offsets.json | --to earliest|latest|<ISO date-time>)",
    summary: "alter a STOPPED connector's offsets; --to moves a sink's partitions to a point in the log",
    arity: 1,
    flags: ["file", "to"],
    async run(context) {
      const name = nameArg(context);
      const { file, to } = context.flags;
      if ((file === undefined) === (to === undefined))
        throw new UsageError("offsets set takes one of --file or --to");
      let offsets: unknown;
      if (file !== undefined) {
        const content = await readJsonFile(file);
        offsets = isObject(content) ? content.offsets : content;
        if (!Array.isArray(offsets)) throw new UsageError(`${file} must hold {"offsets": [...]} or an array`);
      } else {
        if (parseOffsetTarget(to!) === undefined) {
          throw new UsageError(`--to ${to} is not earliest, latest or an ISO 8601 date-time with a zone`);
        }
        const lookup = await context.client.request(
          "GET",
          connectorPath(name, `/offsets/lookup?to=${encodeURIComponent(to!)}`),
        );
        offsets = (lookup.body as { offsets: ConnectorOffset[] }).offsets;
      }
      const { body } = await context.client.request("PATCH", connectorPath(name, "/offsets"), { offsets });
      show<{ message: string }>(context, body, ({ message }) => message);
    },
  },
};

/** One compaction run as GET /connectors/{name}/compactions answers it (the HDFS sink's jobs). */
interface CompactionRun {
  id: string;
  trigger: string;
  path: string | null;
  state: string;
  enqueuedAt: number;
  finishedAt: number | null;
  report: { filesIn: number; filesOut: number; bytesIn: number; bytesOut: number; durationMs: number } | null;
  error: string | null;
}

export const COMPACTION_COMMANDS: Readonly<Record<string, ClientCommand>> = {
  run: {
    synopsis: "<name> [--path <dir under topics.dir>]",
    summary: "run an HDFS sink's compaction now, for every closed partition or one directory",
    arity: 1,
    flags: ["path"],
    async run(context) {
      const body = context.flags.path === undefined ? {} : { path: context.flags.path };
      const { body: job } = await context.client.request(
        "POST",
        connectorPath(nameArg(context), "/compactions"),
        body,
      );
      show<{ id: string }>(context, job, ({ id }) => `compaction ${id} enqueued`);
    },
  },
  list: {
    synopsis: "<name>",
    summary: "show an HDFS sink's recent compaction runs",
    arity: 1,
    flags: [],
    async run(context) {
      const { body } = await context.client.request("GET", connectorPath(nameArg(context), "/compactions"));
      show<CompactionRun[]>(context, body, (runs) =>
        formatTable(
          ["ID", "TRIGGER", "PATH", "STATE", "FILES IN→OUT", "BYTES IN→OUT", "MS", "ERROR"],
          runs.map((r) => [
            r.id,
            r.trigger,
            r.path ?? "*",
            r.state,
            r.report ? `${r.report.filesIn}→${r.report.filesOut}` : "",
            r.report ? `${r.report.bytesIn}→${r.report.bytesOut}` : "",
            r.report ? String(r.report.durationMs) : "",
            firstLine(r.error ?? ""),
          ]),
        ),
      );
    },
  },
};

export const PLUGINS_COMMAND: ClientCommand = {
  synopsis: "",
  summary: "list the installed connector plugins",
  arity: 0,
  flags: [],
  async run(context) {
    const { body } = await context.client.request("GET", "/connector-plugins");
    show<PluginInfo[]>(context, body, (plugins) =>
      formatTable(
        ["CLASS", "TYPE", "VERSION"],
        plugins.map((p) => [p.class, p.type, p.version]),
      ),
    );
  },
};
