import { appendFileSync, closeSync, fsyncSync, openSync } from "node:fs";
import {
  ConfigDef,
  type ConnectorPlugin,
  type ParsedConfig,
  RetriableError,
  type SinkRecord,
  type SinkTask,
} from "../../runtime/api/index.ts";

/** Puts that a connector's tasks fail on purpose, counted across task restarts, by connector name. */
const failuresLeft = new Map<string, number>();

const config = new ConfigDef()
  .define({
    name: "capture.file",
    type: "string",
    description: "The JSON-lines file each record is appended to.",
  })
  .define({
    name: "capture.fail.puts",
    type: "int",
    default: 0,
    description: "How many puts throw a plain Error (the task fails).",
  })
  .define({
    name: "capture.retriable.puts",
    type: "int",
    default: 0,
    description: "How many puts throw a RetriableError.",
  });

/**
 * A test sink of our own that appends every record, as one JSON line, to a real file and fsyncs it on
 * flush — so the engine's delivery guarantees can be checked without depending on another connector.
 * It can fail its first puts on purpose, to exercise supervision and retries.
 */
export const captureSinkPlugin: ConnectorPlugin = {
  name: "capture-sink",
  aliases: [],
  type: "sink",
  version: "test",
  description: "Test sink: appends records to a JSON-lines file.",
  config,
  createConnector: () => {
    let settings: Record<string, string> = {};
    return {
      async start(parsed: ParsedConfig) {
        settings = { ...parsed.originals };
        failuresLeft.set(`${parsed.string("name")}:fail`, parsed.int("capture.fail.puts"));
        failuresLeft.set(`${parsed.string("name")}:retry`, parsed.int("capture.retriable.puts"));
      },
      taskConfigs: (maxTasks: number) =>
        Array.from({ length: Math.max(1, Math.min(maxTasks, 1)) }, () => ({ ...settings })),
      async stop() {},
    };
  },
  createTask: (): SinkTask => {
    let file = "";
    let name = "";
    return {
      kind: "sink",
      async start(parsed) {
        file = parsed.string("capture.file");
        name = parsed.string("name");
      },
      async put(records: readonly SinkRecord[]) {
        for (const kind of ["fail", "retry"] as const) {
          const left = failuresLeft.get(`${name}:${kind}`) ?? 0;
          if (left > 0) {
            failuresLeft.set(`${name}:${kind}`, left - 1);
            throw kind === "fail"
              ? new Error(`capture-sink failing on purpose (${left} left)`)
              : new RetriableError("capture-sink asks for a retry");
          }
        }
        const lines = records.map((r) =>
          JSON.stringify(
            {
              topic: r.topic,
              partition: r.kafkaPartition,
              offset: String(r.kafkaOffset),
              key: r.key,
              value: r.value,
              headers: Object.fromEntries(
                r.headers.map((h) => [h.key, h.value === null ? null : Buffer.from(h.value).toString()]),
              ),
            },
            (_k, v) => (typeof v === "bigint" ? v.toString() : v),
          ),
        );
        if (lines.length > 0) appendFileSync(file, `${lines.join("\n")}\n`);
      },
      async flush() {
        const fd = openSync(file, "a");
        fsyncSync(fd);
        closeSync(fd);
      },
      async stop() {},
    };
  },
};
