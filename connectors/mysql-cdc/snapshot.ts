import type { Connection } from "mysql2/promise";
import type { Logger, SourcePartition, SourceRecord } from "../../runtime/api/index.ts";
import type { MySqlCdcSettings } from "./config.ts";
import { openConnection } from "./connection.ts";
import {
  type EnvelopeCache,
  type RawRow,
  schemaChangeRecord,
  sourceStruct,
  tableChange,
} from "./envelope.ts";
import type { CdcMetrics } from "./metrics.ts";
import { type BinlogPosition, type MySqlOffset, toSourceOffset } from "./offset-context.ts";
import {
  listTables,
  quoteIdentifier,
  quoteTable,
  readTableDefs,
  type TableDef,
  type TableId,
  tableKey,
} from "./table-schema.ts";

/**
 * A consistent snapshot: the binlog position and the table definitions are read under a brief global
 * read lock (snapshot.locking.mode=minimal), inside a transaction WITH CONSISTENT SNAPSHOT that then
 * reads every captured table in primary-key chunks, so that the rows are exactly the state at that
 * position and streaming can continue from it without a gap or an overlap.
 */
export class SnapshotReader {
  readonly #connection: Connection;
  readonly position: BinlogPosition;
  readonly tables: readonly TableDef[];
  /** SHOW CREATE TABLE of each table, by `db.table`. */
  readonly createStatements: ReadonlyMap<string, string>;
  /** INFORMATION_SCHEMA's row estimate of each table, by `db.table`. */
  readonly estimates: ReadonlyMap<string, number>;
  #table = 0;
  #lastKey: unknown[] | null = null;
  #offset = 0;
  #closing: Promise<void> | null = null;

  private constructor(
    connection: Connection,
    position: BinlogPosition,
    tables: TableDef[],
    createStatements: Map<string, string>,
    estimates: Map<string, number>,
  ) {
    this.#connection = connection;
    this.position = position;
    this.tables = tables;
    this.createStatements = createStatements;
    this.estimates = estimates;
  }

  /** Takes the lock, reads position and definitions, releases the lock; the read transaction stays open. */
  static async open(settings: MySqlCdcSettings, isMariaDb: boolean): Promise<SnapshotReader> {
    const connection = await openConnection(settings);
    try {
      await connection.query("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      const lock = settings.snapshotLocking === "minimal";
      if (lock) {
        await connection.query(
          `SET SESSION lock_wait_timeout = ${Math.max(1, Math.ceil(settings.snapshotLockTimeoutMs / 1000))}`,
        );
        await connection.query("FLUSH TABLES WITH READ LOCK");
      }
      try {
        await connection.query("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
        const position = await readPosition(connection, isMariaDb, !lock);
        const ids = (await listTables(connection)).filter((id) => settings.tables.includes(id));
        const tables = await readTableDefs(connection, ids);
        const createStatements = new Map<string, string>();
        for (const table of settings.includeSchemaChanges ? tables : []) {
          const [[row]] = (await connection.query(`SHOW CREATE TABLE ${quoteTable(table)}`)) as [
            Array<Record<string, string>>,
            unknown,
          ];
          createStatements.set(tableKey(table), row?.["Create Table"] ?? "");
        }
        const estimates = await readEstimates(connection, tables);
        return new SnapshotReader(connection, position, tables, createStatements, estimates);
      } finally {
        if (lock) await connection.query("UNLOCK TABLES");
      }
    } catch (error) {
      await connection.end().catch(() => {});
      throw error;
    }
  }

  /** The next rows of the current table in primary-key order (at most `limit`); null once every table is read. */
  async nextChunk(limit: number): Promise<{ table: TableDef; rows: RawRow[] } | null> {
    while (this.#table < this.tables.length) {
      const table = this.tables[this.#table] as TableDef;
      const rows = await this.#read(table, limit);
      if (rows.length === limit) return { table, rows };
      this.#table += 1;
      this.#lastKey = null;
      this.#offset = 0;
      if (rows.length > 0) return { table, rows };
    }
    return null;
  }

  async #read(table: TableDef, limit: number): Promise<RawRow[]> {
    const columns = table.columns.map((c) => quoteIdentifier(c.name)).join(", ");
    const key = table.primaryKey;
    let sql = `SELECT ${columns} FROM ${quoteTable(table)}`;
    const params: unknown[] = [];
    if (key.length > 0) {
      const last = this.#lastKey;
      if (last !== null) {
        // (k1 > ?) OR (k1 = ? AND k2 > ?) …: a range the primary key's index serves.
        const terms = key.map((_, i) => {
          const equal = key.slice(0, i).map((name, j) => {
            params.push(last[j]);
            return `${quoteIdentifier(name)} = ?`;
          });
          params.push(last[i]);
          return `(${[...equal, `${quoteIdentifier(key[i] as string)} > ?`].join(" AND ")})`;
        });
        sql += ` WHERE ${terms.join(" OR ")}`;
      }
      sql += ` ORDER BY ${key.map(quoteIdentifier).join(", ")} LIMIT ${limit}`;
    } else {
      sql += ` LIMIT ${limit} OFFSET ${this.#offset}`;
    }
    const [rows] = (await this.#connection.query(sql, params)) as [RawRow[], unknown];
    const lastRow = rows.at(-1);
    if (lastRow !== undefined) {
      this.#lastKey = key.map((name) => lastRow[name]);
      this.#offset += rows.length;
    }
    return rows;
  }

  /** Ends the read transaction and the connection; idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#connection.query("COMMIT").catch(() => {});
      await this.#connection.end().catch(() => {});
    })();
    return this.#closing;
  }
}

async function readPosition(
  connection: Connection,
  isMariaDb: boolean,
  unlocked: boolean,
): Promise<BinlogPosition> {
  if (isMariaDb && unlocked) {
    // MariaDB reports the binlog position that matches the consistent snapshot itself, no lock needed.
    const [rows] = (await connection.query("SHOW STATUS LIKE 'binlog_snapshot_%'")) as [
      Array<{ Variable_name: string; Value: string }>,
      unknown,
    ];
    const status = new Map(rows.map((r) => [r.Variable_name.toLowerCase(), r.Value]));
    const file = status.get("binlog_snapshot_file");
    const pos = status.get("binlog_snapshot_position");
    if (file && pos) return { file, pos: Number(pos), gtids: null };
  }
  const [[status]] = (await connection.query("SHOW MASTER STATUS")) as [
    Array<{ File: string; Position: number | string; Executed_Gtid_Set?: string }>,
    unknown,
  ];
  if (!status) throw new Error("SHOW MASTER STATUS returned nothing: binary logging is off");
  let gtids: string | null = null;
  if (isMariaDb) {
    const [[row]] = (await connection.query("SELECT @@GLOBAL.gtid_binlog_pos AS gtids")) as [
      Array<{ gtids: string }>,
      unknown,
    ];
    gtids = row?.gtids ?? null;
  } else if (status.Executed_Gtid_Set !== undefined && status.Executed_Gtid_Set !== "") {
    gtids = status.Executed_Gtid_Set.replace(/\s/g, "");
  }
  return { file: status.File, pos: Number(status.Position), gtids };
}

async function readEstimates(
  connection: Connection,
  tables: readonly TableId[],
): Promise<Map<string, number>> {
  const estimates = new Map<string, number>();
  if (tables.length === 0) return estimates;
  const schemas = [...new Set(tables.map((t) => t.db))];
  const [rows] = (await connection.query(
    `SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (${schemas.map(() => "?").join(",")})`,
    schemas,
  )) as [Array<{ TABLE_SCHEMA: string; TABLE_NAME: string; TABLE_ROWS: number | string | null }>, unknown];
  for (const row of rows) estimates.set(`${row.TABLE_SCHEMA}.${row.TABLE_NAME}`, Number(row.TABLE_ROWS ?? 0));
  return estimates;
}

/**
 * The records of a snapshot: a schema-change record per table (include.schema.changes), then every row
 * as a read (`op: "r"`) event. Each carries the snapshot's position with `snapshot: true`, except the
 * very last, whose offset marks the snapshot complete; one record is therefore always held back until
 * the next is known.
 */
export class SnapshotSource {
  readonly #reader: SnapshotReader;
  readonly #settings: MySqlCdcSettings;
  readonly #envelopes: EnvelopeCache;
  readonly #partition: SourcePartition;
  readonly #logger: Logger;
  readonly #withData: boolean;
  readonly #metrics: CdcMetrics;
  #schemaChangesSent = false;
  #held: SourceRecord | null = null;
  #first = true;
  #done = false;
  readonly #progress = new Map<string, number>();
  #lastReport = Date.now();

  constructor(
    reader: SnapshotReader,
    settings: MySqlCdcSettings,
    envelopes: EnvelopeCache,
    partition: SourcePartition,
    logger: Logger,
    metrics: CdcMetrics,
    withData: boolean,
  ) {
    this.#reader = reader;
    this.#settings = settings;
    this.#envelopes = envelopes;
    this.#partition = partition;
    this.#logger = logger;
    this.#withData = withData;
    this.#metrics = metrics;
    for (const table of reader.tables) {
      logger.info("snapshot: table queued", {
        table: tableKey(table),
        estimatedRows: reader.estimates.get(tableKey(table)) ?? 0,
      });
    }
  }

  get done(): boolean {
    return this.#done;
  }

  /** Rows read so far per table, against INFORMATION_SCHEMA's estimate. */
  progress(): Array<{ table: string; rows: number; estimatedRows: number }> {
    return this.#reader.tables.map((t) => ({
      table: tableKey(t),
      rows: this.#progress.get(tableKey(t)) ?? 0,
      estimatedRows: this.#reader.estimates.get(tableKey(t)) ?? 0,
    }));
  }

  #offset(complete: boolean): MySqlOffset {
    return { ...this.#reader.position, event: 0, row: 0, record: 0, snapshot: !complete };
  }

  #source(db: string, table: string | null): Record<string, unknown> {
    const position = this.#reader.position;
    return sourceStruct(this.#settings.topicPrefix, {
      tsMs: Date.now(),
      snapshot: "true",
      db,
      table,
      serverId: 0,
      gtid: null,
      file: position.file,
      pos: position.pos,
      row: 0,
      thread: null,
      query: null,
    });
  }

  /** The next records (about `max`); empty once the snapshot is complete. */
  async next(max: number): Promise<SourceRecord[]> {
    if (this.#done) return [];
    const fresh: SourceRecord[] = [];
    const offset = toSourceOffset(this.#offset(false));
    if (!this.#schemaChangesSent) {
      this.#schemaChangesSent = true;
      if (this.#settings.includeSchemaChanges) {
        for (const table of this.#reader.tables) {
          fresh.push(
            schemaChangeRecord(
              this.#settings.topicPrefix,
              table.db,
              this.#reader.createStatements.get(tableKey(table)) ?? "",
              this.#source(table.db, table.table),
              [tableChange("CREATE", table)],
              this.#partition,
              offset,
            ),
          );
        }
      }
    }
    let finished = !this.#withData;
    while (!finished && fresh.length < max) {
      const chunk = await this.#reader.nextChunk(max - fresh.length);
      if (chunk === null) {
        finished = true;
        break;
      }
      const envelope = this.#envelopes.envelope(chunk.table);
      for (const row of chunk.rows) {
        fresh.push(
          ...envelope.records(
            "r",
            null,
            row,
            this.#source(chunk.table.db, chunk.table.table),
            this.#partition,
            () => offset,
          ),
        );
      }
      this.#count(chunk.table, chunk.rows.length);
    }
    const out = this.#held === null ? fresh : [this.#held, ...fresh];
    this.#held = null;
    if (out.length > 0 && this.#first) {
      this.#first = false;
      setSnapshotMarker(out[0] as SourceRecord, "first");
    }
    if (finished) {
      this.#done = true;
      const last = out.at(-1);
      if (last !== undefined) {
        setSnapshotMarker(last, "last");
        out[out.length - 1] = { ...last, sourceOffset: toSourceOffset(this.#offset(true)) };
      }
      this.#logger.info("snapshot: complete", { tables: this.progress() });
      await this.#reader.close();
      return out;
    }
    this.#held = out.pop() ?? null;
    return out;
  }

  #count(table: TableDef, rows: number): void {
    const key = tableKey(table);
    this.#progress.set(key, (this.#progress.get(key) ?? 0) + rows);
    this.#metrics.changeEvents.record(rows);
    if (Date.now() - this.#lastReport >= 10_000) {
      this.#lastReport = Date.now();
      this.#logger.info("snapshot: progress", {
        table: key,
        rows: this.#progress.get(key),
        estimatedRows: this.#reader.estimates.get(key) ?? 0,
      });
    }
  }

  close(): Promise<void> {
    return this.#reader.close();
  }
}

/** Sets source.snapshot of a record's change event (a tombstone has none). */
function setSnapshotMarker(record: SourceRecord, marker: "first" | "last"): void {
  const value = record.value as { source?: Record<string, unknown> } | null;
  if (value?.source) value.source = { ...value.source, snapshot: marker };
}
