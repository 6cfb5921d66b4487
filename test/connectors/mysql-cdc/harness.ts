import mysql from "mysql2/promise";
import { mysqlCdcPlugin } from "../../../connectors/mysql-cdc/plugin.ts";
import { MySqlCdcTask } from "../../../connectors/mysql-cdc/task.ts";
import type { Logger, SourceOffset, SourceRecord, SourceTaskContext } from "../../../runtime/api/index.ts";
import type { TaskFigures } from "../../../runtime/worker/task-metrics.ts";
import { loadStackEnv } from "../../../stack/env.ts";
import { testTaskMetrics } from "../../support/task-metrics.ts";

/**
 * Drives the mysql-cdc SourceTask through the plugin contract against the stack's real MariaDB, as the
 * engine would: the config is parsed with the plugin's ConfigDef, the context's offset() answers what
 * the harness "committed", and polls run until the expected records arrive.
 */

export const { mariadb } = loadStackEnv();

export const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A logger that keeps what it was told, for assertions on warnings and progress. */
export function recordingLogger(): Logger & {
  lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }>;
} {
  const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, ...(fields ? { fields } : {}) });
  };
  return { lines, debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

/** An admin connection (root) for setting up tables and making changes. */
export async function adminConnection(): Promise<mysql.Connection> {
  const connection = await mysql.createConnection({
    ...mariadb,
    multipleStatements: true,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    jsonStrings: true,
    timezone: "Z",
    charset: "utf8mb4",
  });
  await connection.query("SET time_zone = '+00:00'");
  // The stack's server may have been started before binlog_row_metadata=FULL was in its my.cnf.
  await connection.query("SET GLOBAL binlog_row_metadata = FULL");
  return connection;
}

/** Drops and creates a database. */
export async function freshDatabase(db: mysql.Connection, name: string): Promise<void> {
  await db.query(`DROP DATABASE IF EXISTS \`${name}\`; CREATE DATABASE \`${name}\``);
}

let nextServerId = 20_000 + Math.floor(Math.random() * 1_000_000);

/** The config of a connector capturing one database of the stack's MariaDB. */
export function connectorConfig(
  database: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  nextServerId += 1;
  return {
    "database.hostname": mariadb.host,
    "database.port": String(mariadb.port),
    "database.user": mariadb.user,
    "database.password": mariadb.password,
    "database.server.id": String(nextServerId),
    "topic.prefix": database.replaceAll("_", "-"),
    "database.include.list": database,
    "snapshot.mode": "no_data",
    "include.schema.changes": "false",
    "poll.interval.ms": "100",
    ...overrides,
  };
}

export class TaskHarness {
  readonly task = new MySqlCdcTask();
  /** The offset of the last record polled: what the engine would have committed once Kafka acked it. */
  committed: SourceOffset | null;
  readonly polled: SourceRecord[] = [];
  readonly #abort = new AbortController();
  readonly #metrics = testTaskMetrics();

  private constructor(committed: SourceOffset | null) {
    this.committed = committed;
  }

  /** A started task; `committed` is the offset its context reports as stored. */
  static async start(
    raw: Record<string, string>,
    committed: SourceOffset | null = null,
    logger: Logger = silent,
  ): Promise<TaskHarness> {
    const harness = new TaskHarness(committed);
    const context: SourceTaskContext = {
      connectorName: raw["topic.prefix"] ?? "mysql-cdc",
      taskId: 0,
      logger,
      metrics: harness.#metrics.metrics,
      offset: async () => harness.committed,
    };
    await harness.task.start(mysqlCdcPlugin.config.parse(raw), context);
    return harness;
  }

  /** The figures the task publishes now, as its status shows them. */
  figures(): TaskFigures {
    return this.#metrics.figures();
  }

  /** One poll; records are kept and the last one's offset becomes the committed one. */
  async pollOnce(): Promise<SourceRecord[]> {
    const records = (await this.task.poll(this.#abort.signal)) ?? [];
    this.polled.push(...records);
    const last = records.at(-1);
    if (last) this.committed = last.sourceOffset;
    return records;
  }

  /** Polls until `count` more records (matching `filter`) arrived; fails after `timeoutMs`. */
  async pollRecords(
    count: number,
    options: { timeoutMs?: number; filter?: (record: SourceRecord) => boolean } = {},
  ): Promise<SourceRecord[]> {
    const { timeoutMs = 20_000, filter = () => true } = options;
    const out: SourceRecord[] = [];
    const deadline = Date.now() + timeoutMs;
    while (out.length < count) {
      if (Date.now() > deadline) {
        throw new Error(
          `expected ${count} records within ${timeoutMs} ms, got ${out.length}: ${describe(out)}`,
        );
      }
      out.push(...(await this.pollOnce()).filter(filter));
    }
    return out;
  }

  /** Polls until a poll returns nothing, collecting what came. */
  async drain(): Promise<SourceRecord[]> {
    const out: SourceRecord[] = [];
    for (;;) {
      const records = await this.pollOnce();
      if (records.length === 0) return out;
      out.push(...records);
    }
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.task.stop();
  }
}

function describe(records: readonly SourceRecord[]): string {
  return JSON.stringify(
    records.map((r) => ({ topic: r.topic, key: r.key, op: (r.value as { op?: string } | null)?.op ?? null })),
    (_k, v) => (typeof v === "bigint" ? v.toString() : v),
  );
}

/** The change-event value of a record (null for a tombstone). */
export function envelope(record: SourceRecord | undefined): {
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: Record<string, unknown>;
  op: string;
} {
  return record?.value as never;
}

/** Only the change events (no tombstones, heartbeats or schema changes) of one table's topic. */
export function changesOf(topic: string) {
  return (record: SourceRecord) => record.topic === topic && record.value !== null;
}
