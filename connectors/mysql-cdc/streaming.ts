import type { Connection } from "mysql2/promise";
import type { Logger, SourcePartition, SourceRecord } from "../../runtime/api/index.ts";
import { type BinlogItem, BinlogReader, type TableMapInfo } from "./binlog-reader.ts";
import type { MySqlCdcSettings } from "./config.ts";
import { connectionOptions, openConnection } from "./connection.ts";
import { type DdlEffect, parseDdl } from "./ddl.ts";
import {
  type EnvelopeCache,
  heartbeatRecord,
  type SourceInfo,
  schemaChangeRecord,
  sourceStruct,
  type TableChangeType,
  type TableEnvelope,
  tableChange,
} from "./envelope.ts";
import type { CdcMetrics } from "./metrics.ts";
import {
  type BinlogPosition,
  comparePositions,
  ExecutedGtids,
  OffsetContext,
  toSourceOffset,
} from "./offset-context.ts";
import type { HistoryRecord, SchemaHistory } from "./schema-history.ts";
import {
  columnFromBinlog,
  mergeTableDef,
  readTableDefs,
  type TableDef,
  type TableId,
  tableKey,
} from "./table-schema.ts";

/** Where streaming starts, and how much of the transaction there a previous run already delivered. */
export interface StreamingStart {
  readonly position: BinlogPosition;
  readonly skipEvents: number;
  readonly skipRows: number;
  readonly skipRecords: number;
}

interface TransactionMeta {
  serverId: number;
  thread: number | null;
  /** True for a group without a commit event (DDL); null until a BEGIN or the first statement tells. */
  standalone: boolean | null;
}

/**
 * Turns binlog events into change records, in binlog order, at the pace of the engine's polls: row
 * events become Debezium envelopes with offsets from the OffsetContext, DDL updates the schema history
 * (and becomes a schema-change record), and a restart's skip counts drop what was already delivered.
 */
export class StreamingSource {
  readonly #reader: BinlogReader;
  readonly #context: OffsetContext;
  readonly #history: SchemaHistory;
  readonly #envelopes: EnvelopeCache;
  readonly #settings: MySqlCdcSettings;
  readonly #partition: SourcePartition;
  readonly #logger: Logger;
  readonly #metrics: CdcMetrics;
  /** The transaction a restart resumes inside, until it is passed. */
  #resume: { file: string; pos: number; events: number; rows: number; records: number } | null;
  /** The skip counts of the transaction being read, when it is the resumed one. */
  #skipping: { events: number; rows: number; records: number } | null = null;
  #transaction: TransactionMeta = { serverId: 0, thread: null, standalone: null };
  #statement: string | null = null;
  /** Records made from the last event beyond what the last poll returned. */
  #ready: SourceRecord[] = [];
  readonly #envelopeByTableMap = new WeakMap<TableMapInfo, { version: number; envelope: TableEnvelope }>();
  readonly #warned = new Set<string>();
  #schemaConnection: Promise<Connection> | null = null;
  #lastHeartbeat = Date.now();
  #stopping: Promise<void> | null = null;

  private constructor(
    reader: BinlogReader,
    context: OffsetContext,
    history: SchemaHistory,
    envelopes: EnvelopeCache,
    settings: MySqlCdcSettings,
    partition: SourcePartition,
    logger: Logger,
    metrics: CdcMetrics,
    start: StreamingStart,
  ) {
    this.#reader = reader;
    this.#context = context;
    this.#history = history;
    this.#envelopes = envelopes;
    this.#settings = settings;
    this.#partition = partition;
    this.#logger = logger;
    this.#metrics = metrics;
    this.#resume =
      start.skipEvents > 0 || start.skipRows > 0 || start.skipRecords > 0
        ? {
            file: start.position.file,
            pos: start.position.pos,
            events: start.skipEvents,
            rows: start.skipRows,
            records: start.skipRecords,
          }
        : null;
  }

  /** Connects to the binlog at `start`; rejects when the server refuses the position or the login. */
  static async start(
    settings: MySqlCdcSettings,
    start: StreamingStart,
    history: SchemaHistory,
    envelopes: EnvelopeCache,
    partition: SourcePartition,
    logger: Logger,
    metrics: CdcMetrics,
  ): Promise<StreamingSource> {
    const reader = new BinlogReader({
      connection: connectionOptions(settings),
      serverId: settings.serverId,
      start: start.position,
      maxQueued: settings.maxQueueSize,
      requestAnnotateRows: settings.includeQuery,
      captures: (db, table) => settings.tables.includes({ db, table }),
    });
    try {
      await reader.start();
    } catch (error) {
      await reader.stop();
      throw error;
    }
    const context = new OffsetContext(
      start.position,
      ExecutedGtids.from(start.position.gtids, reader.isMariaDb),
    );
    logger.info("streaming from the binlog", { ...start });
    return new StreamingSource(
      reader,
      context,
      history,
      envelopes,
      settings,
      partition,
      logger,
      metrics,
      start,
    );
  }

  /** The queue between the binlog connection and polls; paused while it holds max.queue.size rows. */
  queue(): { paused: boolean; queuedRows: number } {
    return { paused: this.#reader.paused, queuedRows: this.#reader.queuedRows + this.#ready.length };
  }

  /** How far behind the server this source is now, in milliseconds (see CdcMetrics). */
  millisecondsBehindSource(): number {
    return this.#metrics.millisecondsBehindSource(this.#reader.oldestQueuedTimestamp());
  }

  /**
   * The next records, at most max.batch.size: waits up to poll.interval.ms for events when none are
   * queued. Throws the reader's error once the events before it are delivered.
   */
  async poll(signal: AbortSignal): Promise<SourceRecord[]> {
    const max = this.#settings.maxBatchSize;
    const out = this.#ready.splice(0, max);
    const deadline = Date.now() + this.#settings.pollIntervalMs;
    let lastTimestamp = 0;
    while (out.length < max && !signal.aborted) {
      const item = this.#reader.take();
      if (item === undefined) {
        const remaining = deadline - Date.now();
        if (out.length > 0 || remaining <= 0 || this.#reader.error !== null) break;
        await this.#reader.waitForEvents(remaining, signal);
        continue;
      }
      if ("ts" in item && item.ts > 0) lastTimestamp = item.ts;
      const records = await this.#process(item);
      const room = max - out.length;
      out.push(...records.slice(0, room));
      if (records.length > room) this.#ready.push(...records.slice(room));
    }
    if (lastTimestamp > 0) this.#metrics.binlogProcessed(lastTimestamp);
    if (out.length === 0 && this.#reader.error !== null && this.#reader.queued === 0)
      throw this.#reader.error;
    const heartbeat = this.#heartbeat();
    if (heartbeat) out.push(heartbeat);
    return out;
  }

  /** A heartbeat when one is due and the offset it carries is at or after every record returned so far. */
  #heartbeat(): SourceRecord | null {
    const interval = this.#settings.heartbeatIntervalMs;
    if (interval <= 0 || Date.now() - this.#lastHeartbeat < interval) return null;
    if (this.#ready.length > 0 || this.#context.inTransaction) return null;
    this.#lastHeartbeat = Date.now();
    return heartbeatRecord(
      this.#settings.heartbeatTopic,
      this.#settings.topicPrefix,
      this.#partition,
      toSourceOffset(this.#context.boundary()),
    );
  }

  async #process(item: BinlogItem): Promise<SourceRecord[]> {
    const context = this.#context;
    switch (item.kind) {
      case "rotate":
        context.rotate(item.file);
        return [];
      case "gtid":
        this.#begin(item.pos ?? context.boundary().pos, item.gtid, {
          serverId: item.serverId,
          thread: item.thread,
          standalone: item.standalone,
        });
        return [];
      case "statement":
        this.#statement = item.sql;
        return [];
      case "commit":
        this.#commit(item.nextPos);
        return [];
      case "rows":
        return this.#rows(item);
      case "query":
        return this.#query(item);
    }
  }

  #begin(pos: number, gtid: string | null, meta: TransactionMeta): void {
    this.#context.begin(pos, gtid);
    this.#transaction = meta;
    this.#statement = null;
    const resume = this.#resume;
    this.#skipping = null;
    if (resume === null) return;
    const here = { file: this.#context.file, pos };
    if (here.file === resume.file && here.pos === resume.pos) {
      this.#skipping = { events: resume.events, rows: resume.rows, records: resume.records };
    } else if (comparePositions(here, resume) > 0) {
      this.#resume = null; // the resumed transaction is behind us
    }
  }

  #commit(nextPos: number): void {
    if (this.#skipping !== null) this.#resume = null;
    this.#skipping = null;
    this.#context.commit(nextPos);
  }

  async #query(item: Extract<BinlogItem, { kind: "query" }>): Promise<SourceRecord[]> {
    const statement = item.sql.trim().replace(/;$/, "").toUpperCase();
    if (statement === "BEGIN" || statement.startsWith("START TRANSACTION")) {
      if (!this.#context.inTransaction) {
        this.#begin(item.pos ?? this.#context.boundary().pos, null, {
          serverId: 0,
          thread: item.thread,
          standalone: false,
        });
      }
      this.#transaction.standalone = false;
      this.#transaction.thread = item.thread;
      return [];
    }
    if (statement === "COMMIT" || statement === "ROLLBACK") {
      this.#commit(item.nextPos);
      return [];
    }
    const effect = parseDdl(item.sql, item.db);
    if (effect === null) {
      // Any other statement (GRANT, CREATE USER, SAVEPOINT …) outside BEGIN…COMMIT is a group of its own.
      if (this.#transaction.standalone !== false) this.#commit(item.nextPos);
      return [];
    }
    if (!this.#context.inTransaction) {
      this.#begin(item.pos ?? this.#context.boundary().pos, null, {
        serverId: 0,
        thread: item.thread,
        standalone: true,
      });
    }
    return this.#ddl(item, effect);
  }

  #source(info: Omit<SourceInfo, "snapshot" | "serverId" | "gtid" | "file">): Record<string, unknown> {
    return sourceStruct(this.#settings.topicPrefix, {
      ...info,
      snapshot: "false",
      serverId: this.#transaction.serverId,
      gtid: this.#context.transaction?.gtid ?? null,
      file: this.#context.file,
    });
  }

  #rows(item: Extract<BinlogItem, { kind: "rows" }>): SourceRecord[] {
    const event = this.#context.nextRowEvent();
    if (!item.captured) return [];
    let first = 0;
    let firstRecords = 0;
    if (this.#skipping !== null) {
      if (event < this.#skipping.events) return [];
      if (event === this.#skipping.events) {
        first = this.#skipping.rows;
        firstRecords = this.#skipping.records;
      }
    }
    const envelope = this.#envelope(item.table);
    const pos = item.pos ?? this.#context.transaction?.start.pos ?? this.#context.boundary().pos;
    const query = this.#settings.includeQuery ? this.#statement : null;
    const records: SourceRecord[] = [];
    this.#metrics.changeEvents.record(item.rows.length - first);
    for (let row = first; row < item.rows.length; row++) {
      const { before, after } = item.rows[row] as (typeof item.rows)[number];
      const source = this.#source({
        tsMs: item.ts,
        db: item.table.db,
        table: item.table.table,
        pos,
        row,
        thread: this.#transaction.thread,
        query,
      });
      const made = envelope.records(item.op, before, after, source, this.#partition, (index, count) =>
        toSourceOffset(
          index + 1 < count
            ? this.#context.rowOffset(event, row, index + 1)
            : this.#context.rowOffset(event, row + 1),
        ),
      );
      records.push(...(row === first ? made.slice(firstRecords) : made));
    }
    return records;
  }

  /** The envelope of rows written with this table map, merged with what the schema history knows. */
  #envelope(table: TableMapInfo): TableEnvelope {
    const cached = this.#envelopeByTableMap.get(table);
    if (cached !== undefined && cached.version === this.#history.version) return cached.envelope;
    const id: TableId = { db: table.db, table: table.table };
    if (!table.selfDescribing && !this.#warned.has(tableKey(id))) {
      this.#warned.add(tableKey(id));
      this.#logger.warn(
        "a row event carries no column names (written before binlog_row_metadata=FULL); it is decoded with the table's current columns",
        { table: tableKey(id) },
      );
    }
    const known = this.#history.get(id);
    const primaryKey = table.primaryKey.length > 0 ? table.primaryKey : (known?.primaryKey ?? []);
    const written = table.columns.map((c) => columnFromBinlog(c, primaryKey.includes(c.name)));
    const envelope = this.#envelopes.envelope(mergeTableDef(id, written, primaryKey, known));
    this.#envelopeByTableMap.set(table, { version: this.#history.version, envelope });
    return envelope;
  }

  async #ddl(item: Extract<BinlogItem, { kind: "query" }>, effect: DdlEffect): Promise<SourceRecord[]> {
    const at = { file: this.#context.file, pos: item.nextPos };
    const record = this.#history.recordedAt(at) ?? (await this.#readChange(effect, at, item.sql));
    const changes: Array<Record<string, unknown>> = [];
    for (const id of record.dropped) {
      const def = this.#history.get(id);
      if (def) changes.push(tableChange("DROP", def));
    }
    const type: TableChangeType = effect.kind === "table" && effect.type === "CREATE" ? "CREATE" : "ALTER";
    for (const def of record.tables) changes.push(tableChange(type, def));
    const source = this.#source({
      tsMs: item.ts,
      db: record.tables[0]?.db ?? record.dropped[0]?.db ?? item.db,
      table: record.tables[0]?.table ?? record.dropped[0]?.table ?? null,
      pos: item.pos ?? this.#context.transaction?.start.pos ?? at.pos,
      row: 0,
      thread: item.thread,
      query: null,
    });
    if (record.tables.length > 0 || record.dropped.length > 0) await this.#history.record(record);
    // A DDL ends its group, except CREATE TABLE … SELECT on MariaDB, whose rows and commit follow it.
    if (this.#transaction.standalone !== false) this.#commit(item.nextPos);
    const relevant =
      changes.length > 0 || (effect.kind === "database" && this.#settings.tables.includesDatabase(effect.db));
    if (!this.#settings.includeSchemaChanges || !relevant) return [];
    // Debezium keys a schema change by the changed table's database, also when the session had none.
    const databaseName =
      effect.kind === "database"
        ? effect.db
        : (record.tables[0]?.db ?? record.dropped[0]?.db ?? (item.db === "" ? null : item.db) ?? "");
    return [
      schemaChangeRecord(
        this.#settings.topicPrefix,
        databaseName,
        item.sql,
        source,
        changes,
        this.#partition,
        toSourceOffset(
          this.#context.inTransaction ? this.#context.rowOffset(0, 0) : this.#context.boundary(),
        ),
      ),
    ];
  }

  /** The history record of a DDL seen for the first time: the affected captured tables as they are now. */
  async #readChange(
    effect: DdlEffect,
    at: { file: string; pos: number },
    ddl: string,
  ): Promise<HistoryRecord> {
    const captured = (ids: readonly TableId[]) => ids.filter((id) => this.#settings.tables.includes(id));
    let read: TableId[] = [];
    let dropped: TableId[] = [];
    let renamed: Array<{ from: TableId; to: TableId }> = [];
    if (effect.kind === "table") {
      if (effect.type === "DROP") dropped = captured(effect.tables);
      else read = captured(effect.tables);
    } else if (effect.kind === "rename") {
      renamed = effect.pairs;
      dropped = captured(effect.pairs.map((p) => p.from));
      read = captured(effect.pairs.map((p) => p.to));
    } else if (effect.type === "DROP") {
      dropped = this.#history.tablesOf(effect.db).map((t) => ({ db: t.db, table: t.table }));
    }
    let tables: TableDef[] = [];
    if (read.length > 0) {
      this.#schemaConnection ??= openConnection(this.#settings);
      const connection = await this.#schemaConnection;
      tables = await readTableDefs(connection, read);
      // A table gone by now (renamed or dropped later) keeps its last known definition under its new name.
      for (const id of read) {
        if (tables.some((t) => t.db === id.db && t.table === id.table)) continue;
        const from = renamed.find((p) => p.to.db === id.db && p.to.table === id.table)?.from;
        const previous = this.#history.get(from ?? id);
        if (previous) tables.push({ ...previous, db: id.db, table: id.table });
      }
    }
    return { file: at.file, pos: at.pos, ddl, tables, dropped };
  }

  /** Disconnects; idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#reader.stop();
      const connection = await this.#schemaConnection?.catch(() => null);
      await connection?.end().catch(() => {});
    })();
    return this.#stopping;
  }
}
