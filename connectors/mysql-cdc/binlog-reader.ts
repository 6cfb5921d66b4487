import ZongJi, {
  type AnyBinlogEvent,
  type BinlogEventByTypeName,
  type BinlogEventTypeName,
  type TableMapEvent,
} from "@vlasky/zongji";
import type { ConnectionOptions } from "mysql2";
import { ErrorCode, RetriableError, SluiceError } from "../../runtime/api/index.ts";
import type { BinlogColumn } from "./table-schema.ts";

/**
 * Reads the binlog through zongji into a bounded queue of events. Everything an event needs later is
 * captured when it arrives — positions, the table map its rows were written with — so that the events
 * can be turned into records later, in order, at the pace of the engine's polls. When the queue holds
 * `maxQueued` rows the binlog connection is paused, and resumed once polls have drained it to half.
 */

/** The table map a row event was written with (binlog_row_metadata=FULL: names, types, key). */
export interface TableMapInfo {
  readonly db: string;
  readonly table: string;
  readonly columns: readonly BinlogColumn[];
  readonly primaryKey: readonly string[];
  /** False when zongji had to read the columns from INFORMATION_SCHEMA (no FULL metadata). */
  readonly selfDescribing: boolean;
}

export type RowImage = Readonly<Record<string, unknown>>;

/**
 * One binlog event, as the streaming source needs it. `pos` is where the event starts; null if unknown.
 * `ts` is when the server wrote the event (milliseconds, whole seconds as the binlog keeps them).
 */
export type BinlogItem =
  | { kind: "rotate"; file: string }
  | {
      kind: "gtid";
      pos: number | null;
      ts: number;
      gtid: string | null;
      serverId: number;
      /** MariaDB: true for a group without a commit event (DDL); MySQL: null, a BEGIN tells. */
      standalone: boolean | null;
      thread: number | null;
    }
  | {
      kind: "query";
      pos: number | null;
      nextPos: number;
      db: string;
      sql: string;
      thread: number;
      ts: number;
    }
  | { kind: "commit"; nextPos: number; ts: number }
  | { kind: "statement"; sql: string }
  | {
      kind: "rows";
      op: "c" | "u" | "d";
      pos: number | null;
      ts: number;
      table: TableMapInfo;
      /** False for a table the connector does not capture: the event counts, its rows are not kept. */
      captured: boolean;
      rows: ReadonlyArray<{ before: RowImage | null; after: RowImage | null }>;
    };

export interface BinlogReaderOptions {
  readonly connection: ConnectionOptions;
  readonly serverId: number;
  /** Where to start: the GTIDs executed before it (used when non-empty) and the file position. */
  readonly start: { readonly file: string; readonly pos: number; readonly gtids: string | null };
  readonly maxQueued: number;
  readonly requestAnnotateRows: boolean;
  readonly captures: (db: string, table: string) => boolean;
}

const EVENTS = [
  "rotate",
  "tablemap",
  "writerows",
  "updaterows",
  "deleterows",
  "xid",
  "query",
  "mariadbgtid",
  "gtid",
  "anonymousgtid",
  "annotaterows",
  "rowsquery",
];

/** Server errors that mean the position is gone: purged binlog, or a GTID position the server lacks. */
const POSITION_GONE = new Set([1236, 1945, 1955]);

interface ZongJiColumn {
  name: string;
  charset: string | null;
  type: number;
  metadata?: Record<string, unknown>;
}

interface ZongJiColumnSchema {
  COLUMN_TYPE: string;
  UNSIGNED?: boolean;
  ENUM_VALUES?: string[];
  SET_VALUES?: string[];
}

function is<N extends BinlogEventTypeName>(
  event: AnyBinlogEvent,
  name: N,
): event is BinlogEventByTypeName<N> {
  return event.getTypeName() === name;
}

export class BinlogReader {
  readonly #options: BinlogReaderOptions;
  readonly #zongji: ZongJi;
  readonly #tableMaps = new Map<number, TableMapInfo>();
  #items: BinlogItem[] = [];
  #head = 0;
  #queuedRows = 0;
  #paused = false;
  #error: Error | null = null;
  #wake: (() => void) | null = null;
  #stopping: Promise<void> | null = null;

  constructor(options: BinlogReaderOptions) {
    this.#options = options;
    this.#zongji = new ZongJi(options.connection);
  }

  get isMariaDb(): boolean {
    return this.#zongji.isMariaDb;
  }

  /** Connects and starts the dump; resolves when zongji is ready, rejects on an error before that. */
  async start(): Promise<void> {
    const { start } = this.#options;
    const zongji = this.#zongji;
    const ready = new Promise<void>((resolve, reject) => {
      zongji.once("ready", () => resolve());
      zongji.on("error", (error: Error) => {
        this.#fail(error);
        reject(this.#error);
      });
    });
    zongji.on("binlog", (event: AnyBinlogEvent) => {
      try {
        this.#onEvent(event);
      } catch (error) {
        this.#fail(error as Error);
      }
    });
    const position =
      start.gtids !== null && start.gtids !== ""
        ? { gtidSet: start.gtids }
        : { filename: start.file, position: start.pos };
    zongji.start({
      serverId: this.#options.serverId,
      ...position,
      includeEvents: EVENTS,
      requestAnnotateRows: this.#options.requestAnnotateRows,
    });
    await ready;
  }

  /** The reason the reader stopped, as the error the task should fail (or retry) with. */
  get error(): Error | null {
    return this.#error;
  }

  #fail(error: Error): void {
    if (this.#error !== null || this.#stopping !== null) return;
    this.#error = classify(error, this.#options.start);
    this.#wake?.();
  }

  /** The next event, or undefined when none is queued. */
  take(): BinlogItem | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head] as BinlogItem;
    this.#items[this.#head] = undefined as never;
    this.#head += 1;
    if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    this.#queuedRows -= item.kind === "rows" ? Math.max(1, item.rows.length) : 1;
    if (this.#paused && this.#queuedRows <= this.#options.maxQueued / 2) {
      this.#paused = false;
      this.#zongji.connection?.resume();
    }
    return item;
  }

  /** Events waiting to be taken. */
  get queued(): number {
    return this.#items.length - this.#head;
  }

  /** When the server wrote the oldest event waiting to be taken (ms); null when none waits. */
  oldestQueuedTimestamp(): number | null {
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i] as BinlogItem;
      if ("ts" in item && item.ts > 0) return item.ts;
    }
    return null;
  }

  /** Rows (and other events) waiting to be taken: what max.queue.size bounds. */
  get queuedRows(): number {
    return this.#queuedRows;
  }

  /** True while the binlog connection is paused because the queue is full. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Resolves when an event is queued or the reader failed, after `ms` at most, or when `signal` aborts. */
  async waitForEvents(ms: number, signal: AbortSignal): Promise<void> {
    if (this.queued > 0 || this.#error !== null || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      this.#wake = done;
    });
  }

  #push(item: BinlogItem): void {
    this.#items.push(item);
    this.#queuedRows += item.kind === "rows" ? Math.max(1, item.rows.length) : 1;
    if (!this.#paused && this.#queuedRows >= this.#options.maxQueued) {
      this.#paused = true;
      this.#zongji.connection?.pause();
    }
    this.#wake?.();
  }

  /** Where an event starts: its end position less its length; null when the server wrote no position. */
  #start(event: AnyBinlogEvent): number | null {
    if (event.nextPosition <= 0) return null;
    return event.nextPosition - event.size - (this.#zongji.useChecksum ? 23 : 19);
  }

  #onEvent(event: AnyBinlogEvent): void {
    if (is(event, "Rotate")) {
      this.#push({ kind: "rotate", file: event.binlogName });
    } else if (is(event, "MariadbGtid")) {
      this.#push({
        kind: "gtid",
        pos: this.#start(event),
        gtid: event.gtid,
        ts: event.timestamp,
        serverId: event.serverId,
        standalone: event.standalone,
        thread: event.threadId ?? null,
      });
    } else if (is(event, "Gtid") || is(event, "AnonymousGtid")) {
      const gtid = is(event, "Gtid") ? event.gtid : null;
      this.#push({
        kind: "gtid",
        pos: this.#start(event),
        ts: event.timestamp,
        gtid,
        serverId: 0,
        standalone: null,
        thread: null,
      });
    } else if (is(event, "Query")) {
      this.#push({
        kind: "query",
        pos: this.#start(event),
        nextPos: event.nextPosition,
        db: event.schema,
        sql: event.query,
        thread: event.slaveProxyId,
        ts: event.timestamp,
      });
    } else if (is(event, "Xid")) {
      this.#push({ kind: "commit", nextPos: event.nextPosition, ts: event.timestamp });
    } else if (is(event, "AnnotateRows") || is(event, "RowsQuery")) {
      this.#push({ kind: "statement", sql: event.statement });
    } else if (is(event, "TableMap")) {
      this.#tableMaps.set(event.tableId, tableMapInfo(event));
    } else if (is(event, "WriteRows") || is(event, "UpdateRows") || is(event, "DeleteRows")) {
      const table = this.#tableMaps.get(event.tableId);
      if (table === undefined)
        throw new Error(`a row event for table id ${event.tableId} came without its table map`);
      const captured = this.#options.captures(table.db, table.table);
      const op = is(event, "WriteRows") ? "c" : is(event, "UpdateRows") ? "u" : "d";
      let rows: Array<{ before: RowImage | null; after: RowImage | null }> = [];
      if (captured) {
        if (is(event, "UpdateRows")) rows = event.rows.map((r) => ({ before: r.before, after: r.after }));
        else if (is(event, "WriteRows")) rows = event.rows.map((r) => ({ before: null, after: r }));
        else if (is(event, "DeleteRows")) rows = event.rows.map((r) => ({ before: r, after: null }));
      }
      this.#push({ kind: "rows", op, pos: this.#start(event), ts: event.timestamp, table, captured, rows });
    }
  }

  /** Disconnects; idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2_000);
      this.#zongji.once("stopped", () => {
        clearTimeout(timer);
        resolve();
      });
      this.#zongji.stop();
      this.#items = [];
      this.#head = 0;
      this.#wake?.();
    });
    return this.#stopping;
  }
}

function tableMapInfo(event: TableMapEvent): TableMapInfo {
  const entry = event.tableMap[event.tableId] as
    | { columns?: ZongJiColumn[]; columnSchemas: ZongJiColumnSchema[] }
    | undefined;
  const columns: BinlogColumn[] = (entry?.columns ?? []).map((column, i) => {
    const schema = entry?.columnSchemas[i];
    return {
      name: column.name,
      typeCode: column.type,
      metadata: column.metadata ?? {},
      charset: column.charset,
      unsigned: schema?.UNSIGNED ?? /\bunsigned\b/i.test(schema?.COLUMN_TYPE ?? ""),
      enumValues: schema?.ENUM_VALUES ?? null,
      setValues: schema?.SET_VALUES ?? null,
    };
  });
  const primaryKey = (event.primaryKey ?? []).flatMap((index) => {
    const column = columns[index];
    return column ? [column.name] : [];
  });
  return {
    db: event.schemaName,
    table: event.tableName,
    columns,
    primaryKey,
    selfDescribing: event.hasSelfDescribingMetadata(),
  };
}

/** The error a binlog failure is reported as: what it means and what to do. */
function classify(error: Error, start: { file: string; pos: number; gtids: string | null }): Error {
  const errno = (error as { errno?: number }).errno;
  const code = (error as { code?: string }).code;
  if (errno !== undefined && POSITION_GONE.has(errno)) {
    const where = start.gtids
      ? `GTID position ${start.gtids} (${start.file}:${start.pos})`
      : `${start.file}:${start.pos}`;
    return new SluiceError(
      ErrorCode.EXTERNAL_FATAL,
      `the server cannot stream from ${where}: ${error.message}. The binlog there was probably purged; reset the connector's offsets (DELETE /connectors/<name>/offsets) to snapshot again, or use snapshot.mode=when_needed`,
      { cause: error },
    );
  }
  if (errno === 1045 || errno === 1227 || errno === 1044) {
    return new SluiceError(ErrorCode.EXTERNAL_FATAL, `the binlog connection was refused: ${error.message}`, {
      cause: error,
    });
  }
  if (
    code === "PROTOCOL_CONNECTION_LOST" ||
    code === "ECONNRESET" ||
    code === "ECONNREFUSED" ||
    code === "ETIMEDOUT" ||
    code === "EPIPE"
  ) {
    return new RetriableError(`the binlog connection was lost (${code}): ${error.message}`, { cause: error });
  }
  if (error instanceof SluiceError) return error;
  return new SluiceError(ErrorCode.EXTERNAL_FATAL, `reading the binlog failed: ${error.message}`, {
    cause: error,
  });
}
