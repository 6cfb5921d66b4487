import { setTimeout as sleep } from "node:timers/promises";
import {
  ErrorCode,
  isRetriable,
  type Logger,
  type ParsedConfig,
  SluiceError,
  type SourcePartition,
  type SourceRecord,
  type SourceTask,
  type SourceTaskContext,
  type TaskMetrics,
} from "../../runtime/api/index.ts";
import { type MySqlCdcSettings, mysqlCdcSettings, snapshotsData } from "./config.ts";
import { openConnection, serverAddress } from "./connection.ts";
import { EnvelopeCache } from "./envelope.ts";
import { CdcMetrics } from "./metrics.ts";
import { type BinlogPosition, type MySqlOffset, parseOffset, sourcePartition } from "./offset-context.ts";
import { SchemaHistory } from "./schema-history.ts";
import { checkServer } from "./server-checks.ts";
import { SnapshotReader, SnapshotSource } from "./snapshot.ts";
import { StreamingSource, type StreamingStart } from "./streaming.ts";
import { listTables, readTableDefs } from "./table-schema.ts";

type Phase =
  | {
      kind: "snapshot";
      source: SnapshotSource;
      reader: SnapshotReader;
      history: SchemaHistory;
      thenStream: boolean;
    }
  | { kind: "streaming"; source: StreamingSource; resume: StreamingStart }
  /** The binlog connection was lost; the next poll reconnects from the last record handed out. */
  | { kind: "reconnect"; resume: StreamingStart }
  | { kind: "idle" };

/** What the task does after start, decided from snapshot.mode and the stored offset. */
type Plan =
  | { kind: "snapshot"; withData: boolean; thenStream: boolean }
  | { kind: "stream"; start: StreamingStart }
  | { kind: "idle" };

/**
 * The single task of a mysql-cdc connector: a snapshot when snapshot.mode and the stored offset call
 * for one, then the binlog from the snapshot's position, or straight from the stored offset.
 */
export class MySqlCdcTask implements SourceTask {
  readonly kind = "source";
  #settings: MySqlCdcSettings | null = null;
  #logger: Logger | null = null;
  #partition: SourcePartition = {};
  #envelopes: EnvelopeCache | null = null;
  #isMariaDb = true;
  #phase: Phase = { kind: "idle" };
  /** This run's snapshot, kept once complete for its final figures; null when the run took none. */
  #snapshot: SnapshotSource | null = null;
  readonly #metrics = new CdcMetrics();
  #stopping: Promise<void> | null = null;

  async start(config: ParsedConfig, context: SourceTaskContext): Promise<void> {
    const settings = mysqlCdcSettings(config);
    this.#settings = settings;
    this.#logger = context.logger;
    this.#declareMetrics(context.metrics);
    this.#partition = sourcePartition(settings.topicPrefix);
    this.#envelopes = new EnvelopeCache({
      topicPrefix: settings.topicPrefix,
      modes: settings.modes,
      tombstonesOnDelete: settings.tombstonesOnDelete,
      columns: settings.columns,
    });
    const { problems, facts } = await checkServer(settings);
    if (problems.length > 0 || facts === null) {
      throw new SluiceError(
        ErrorCode.EXTERNAL_FATAL,
        `mysql-cdc cannot capture from ${serverAddress(settings)}: ${problems.map((p) => `${p.field}: ${p.message}`).join("; ")}`,
      );
    }
    this.#isMariaDb = facts.isMariaDb;
    const stored = await context.offset(this.#partition);
    let offset: MySqlOffset | null = null;
    if (stored !== null) {
      try {
        offset = parseOffset(stored);
      } catch (error) {
        throw new SluiceError(ErrorCode.INTERNAL, (error as Error).message);
      }
    }
    const plan = await this.#plan(settings, offset);
    context.logger.info("mysql-cdc starting", {
      plan: plan.kind,
      offset,
      snapshotMode: settings.snapshotMode,
    });
    if (plan.kind === "snapshot") await this.#startSnapshot(settings, plan);
    else if (plan.kind === "stream") await this.#startStreaming(settings, plan.start, null);
  }

  async #plan(settings: MySqlCdcSettings, offset: MySqlOffset | null): Promise<Plan> {
    const mode = settings.snapshotMode;
    const snapshot: Plan = {
      kind: "snapshot",
      withData: snapshotsData(mode),
      thenStream: mode !== "initial_only",
    };
    if (offset === null) {
      if (mode !== "never") return snapshot;
      const position = await oldestPosition(settings);
      return { kind: "stream", start: { position, skipEvents: 0, skipRows: 0, skipRecords: 0 } };
    }
    if (mode === "always") return snapshot;
    if (offset.snapshot && snapshotsData(mode)) return snapshot; // the last snapshot did not finish
    if (mode === "initial_only") return { kind: "idle" };
    if (!(await binlogFileExists(settings, offset.file))) {
      if (mode === "when_needed") {
        this.#logger?.warn(
          "the stored binlog position is gone from the server; snapshotting again (snapshot.mode=when_needed)",
          {
            file: offset.file,
            pos: offset.pos,
          },
        );
        return snapshot;
      }
      throw new SluiceError(
        ErrorCode.EXTERNAL_FATAL,
        `the stored offset names ${offset.file}:${offset.pos}, but ${serverAddress(settings)} no longer has ${offset.file} (purged, e.g. by expire_logs_days); reset the connector's offsets (DELETE /connectors/<name>/offsets) to snapshot again, or set snapshot.mode=when_needed`,
      );
    }
    return { kind: "stream", start: resumeFrom(offset) };
  }

  async #startSnapshot(settings: MySqlCdcSettings, plan: Extract<Plan, { kind: "snapshot" }>): Promise<void> {
    const reader = await SnapshotReader.open(settings, this.#isMariaDb);
    try {
      const { history } = await SchemaHistory.open(settings.schemaHistoryFile, reader.position);
      await history.record({ ...reader.position, ddl: null, tables: reader.tables, dropped: [] });
      const source = new SnapshotSource(
        reader,
        settings,
        this.#envelopes as EnvelopeCache,
        this.#partition,
        this.#logger as Logger,
        this.#metrics,
        plan.withData,
      );
      this.#snapshot = source;
      this.#phase = { kind: "snapshot", source, reader, history, thenStream: plan.thenStream };
    } catch (error) {
      await reader.close();
      throw error;
    }
  }

  async #startStreaming(
    settings: MySqlCdcSettings,
    start: StreamingStart,
    known: SchemaHistory | null,
  ): Promise<void> {
    let history = known;
    if (history === null) {
      const opened = await SchemaHistory.open(settings.schemaHistoryFile, start.position);
      history = opened.history;
      if (!opened.applied) {
        // No recorded definitions reach back to the start: the current ones are the best knowledge.
        const connection = await openConnection(settings);
        try {
          const tables = (await listTables(connection)).filter((id) => settings.tables.includes(id));
          await history.record({
            ...start.position,
            ddl: null,
            tables: await readTableDefs(connection, tables),
            dropped: [],
          });
        } finally {
          await connection.end().catch(() => {});
        }
      }
    }
    const source = await StreamingSource.start(
      settings,
      start,
      history,
      this.#envelopes as EnvelopeCache,
      this.#partition,
      this.#logger as Logger,
      this.#metrics,
    );
    this.#phase = { kind: "streaming", source, resume: start };
  }

  async poll(signal: AbortSignal): Promise<SourceRecord[] | null> {
    const settings = this.#settings;
    if (settings === null) throw new SluiceError(ErrorCode.INTERNAL, "poll was called before start");
    const phase = this.#phase;
    switch (phase.kind) {
      case "snapshot": {
        const records = await phase.source.next(settings.maxBatchSize);
        if (phase.source.done) {
          if (phase.thenStream && !signal.aborted) {
            await this.#startStreaming(
              settings,
              { position: phase.reader.position, skipEvents: 0, skipRows: 0, skipRecords: 0 },
              phase.history,
            );
          } else {
            this.#phase = { kind: "idle" };
            this.#logger?.info("snapshot complete; not streaming (snapshot.mode=initial_only)");
          }
        }
        return records.length > 0 ? records : null;
      }
      case "streaming": {
        let records: SourceRecord[];
        try {
          records = await phase.source.poll(signal);
        } catch (error) {
          if (isRetriable(error)) {
            // Everything read after the last record handed out is read again after reconnecting.
            await phase.source.stop();
            this.#phase = { kind: "reconnect", resume: phase.resume };
            this.#logger?.warn("the binlog connection was lost; reconnecting on the next poll", {
              error: (error as Error).message,
              from: phase.resume,
            });
          }
          throw error;
        }
        const last = records.at(-1);
        if (last !== undefined) phase.resume = resumeFrom(parseOffset(last.sourceOffset));
        return records.length > 0 ? records : null;
      }
      case "reconnect":
        await this.#startStreaming(settings, phase.resume, null);
        return null;
      case "idle":
        await sleep(settings.pollIntervalMs, undefined, { signal }).catch(() => {});
        return null;
    }
  }

  /** The streaming queue: rows read from the binlog but not yet polled, and whether reading is paused. */
  streamingQueue(): { paused: boolean; queuedRows: number } | null {
    return this.#phase.kind === "streaming" ? this.#phase.source.queue() : null;
  }

  /** The figures of docs/connectors/mysql-cdc.md#metrics, read whenever the engine asks for them. */
  #declareMetrics(metrics: TaskMetrics): void {
    metrics.gauge(
      {
        name: "milliseconds_behind_source",
        help: "While streaming: the age of the oldest binlog event not yet processed, or when none waits, the delay with which the last one was processed.",
      },
      () => {
        const phase = this.#phase;
        if (phase.kind === "streaming") return phase.source.millisecondsBehindSource();
        return phase.kind === "reconnect" ? this.#metrics.millisecondsBehindSource(null) : null;
      },
    );
    metrics.counter(
      {
        name: "change_events_total",
        help: "Change events read since the task started: snapshot rows and changed rows of captured tables.",
      },
      () => this.#metrics.changeEvents.total,
    );
    metrics.gauge(
      { name: "change_events_per_second", help: "Change events read per second over the last 10 seconds." },
      () => this.#metrics.changeEvents.perSecond(),
    );
    metrics.gauge({ name: "snapshot_running", help: "1 while a snapshot runs, else 0." }, () =>
      this.#phase.kind === "snapshot" && !this.#phase.source.done ? 1 : 0,
    );
    metrics.gauge(
      { name: "snapshot_completed", help: "1 once a snapshot this task took is complete, else 0." },
      () => (this.#snapshot?.done ? 1 : 0),
    );
    const perTable = (figure: "rows" | "estimatedRows") => () =>
      this.#snapshot?.progress().map((t) => ({ labels: { table: t.table }, value: t[figure] })) ?? null;
    metrics.gauge(
      {
        name: "snapshot_rows_scanned",
        help: "Rows of each table the snapshot has read.",
        labelNames: ["table"],
      },
      perTable("rows"),
    );
    metrics.gauge(
      {
        name: "snapshot_rows_estimated",
        help: "Rows of each table when the snapshot began, as INFORMATION_SCHEMA estimates them.",
        labelNames: ["table"],
      },
      perTable("estimatedRows"),
    );
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const phase = this.#phase;
      this.#phase = { kind: "idle" };
      if (phase.kind === "snapshot") await phase.source.close();
      if (phase.kind === "streaming") await phase.source.stop();
    })();
    return this.#stopping;
  }
}

/** Where streaming resumes after the record with this offset. */
function resumeFrom(offset: MySqlOffset): StreamingStart {
  return {
    position: { file: offset.file, pos: offset.pos, gtids: offset.gtids },
    skipEvents: offset.event,
    skipRows: offset.row,
    skipRecords: offset.record,
  };
}

/** True when the server still has this binlog file. */
async function binlogFileExists(settings: MySqlCdcSettings, file: string): Promise<boolean> {
  const connection = await openConnection(settings);
  try {
    const [rows] = (await connection.query("SHOW BINARY LOGS")) as [Array<{ Log_name: string }>, unknown];
    return rows.some((row) => row.Log_name === file);
  } finally {
    await connection.end().catch(() => {});
  }
}

/** The start of the oldest binlog the server has (snapshot.mode=never without an offset). */
async function oldestPosition(settings: MySqlCdcSettings): Promise<BinlogPosition> {
  const connection = await openConnection(settings);
  try {
    const [rows] = (await connection.query("SHOW BINARY LOGS")) as [Array<{ Log_name: string }>, unknown];
    const first = rows[0];
    if (first === undefined)
      throw new SluiceError(ErrorCode.EXTERNAL_FATAL, `${serverAddress(settings)} has no binlog files`);
    return { file: first.Log_name, pos: 4, gtids: "" };
  } finally {
    await connection.end().catch(() => {});
  }
}
