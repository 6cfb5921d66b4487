import { GtidSet, MariadbGtidPosition } from "@vlasky/zongji";
import type { SourceOffset, SourcePartition } from "../../runtime/api/index.ts";

/**
 * Where the connector stands in the binlog, in the shape of Debezium's MySQL offsets. An offset names
 * the start of the transaction a record belongs to — `file`/`pos`, and `gtids`, the GTIDs executed
 * before it — plus how much of that transaction is already in Kafka: `event` whole row events, then
 * `row` rows of the next one, then `record` records of the next row (a delete's tombstone, a key
 * change's create). It therefore moves only at transaction boundaries, and a restart from any
 * stored offset replays the open transaction while skipping exactly what was delivered.
 */

/** A point between two transactions. */
export interface BinlogPosition {
  readonly file: string;
  readonly pos: number;
  /** MariaDB GTID position (`0-1-42`) or MySQL GTID set executed before this point; null when unknown. */
  readonly gtids: string | null;
}

export interface MySqlOffset extends BinlogPosition {
  /** Row events of the transaction at `pos` already delivered in full. */
  readonly event: number;
  /** Rows of the next row event already delivered. */
  readonly row: number;
  /** Records of the next row already delivered (a row may yield a delete, a tombstone and a create). */
  readonly record: number;
  /** True while the initial snapshot is not complete: a restart snapshots again. */
  readonly snapshot: boolean;
}

/** The one source partition of a connector: the logical server. */
export function sourcePartition(topicPrefix: string): SourcePartition {
  return { server: topicPrefix };
}

export function toSourceOffset(offset: MySqlOffset): SourceOffset {
  return {
    file: offset.file,
    pos: offset.pos,
    gtids: offset.gtids,
    event: offset.event,
    row: offset.row,
    record: offset.record,
    snapshot: offset.snapshot,
  };
}

/** What is wrong with a stored or user-given offset, or undefined when it is one of ours. */
export function offsetProblem(offset: Readonly<Record<string, unknown>>): string | undefined {
  const { file, pos, gtids, event = 0, row = 0, record = 0, snapshot = false } = offset;
  if (typeof file !== "string" || file === "") return '"file" must name a binlog file, e.g. "binlog.000003"';
  if (typeof pos !== "number" || !Number.isSafeInteger(pos) || pos < 4)
    return '"pos" must be a binlog position of at least 4';
  if (gtids !== undefined && gtids !== null && typeof gtids !== "string")
    return '"gtids" must be a GTID set text or null';
  if (typeof gtids === "string" && gtids !== "") {
    try {
      parseGtids(gtids);
    } catch (error) {
      return `"gtids" is not a GTID set: ${(error as Error).message}`;
    }
  }
  for (const [name, value] of [
    ["event", event],
    ["row", row],
    ["record", record],
  ] as const) {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
      return `"${name}" must be a whole number from 0`;
  }
  if (typeof snapshot !== "boolean") return '"snapshot" must be true or false';
  return undefined;
}

/** A stored offset as typed values; throws with a message that says what to fix. */
export function parseOffset(offset: SourceOffset): MySqlOffset {
  const problem = offsetProblem(offset);
  if (problem !== undefined) {
    throw new Error(
      `the stored offset ${JSON.stringify(offset)} is not a mysql-cdc offset: ${problem}; alter the offsets (PATCH /connectors/<name>/offsets) or reset them (DELETE)`,
    );
  }
  return {
    file: offset.file as string,
    pos: offset.pos as number,
    gtids: typeof offset.gtids === "string" ? offset.gtids : null,
    event: (offset.event as number | undefined) ?? 0,
    row: (offset.row as number | undefined) ?? 0,
    record: (offset.record as number | undefined) ?? 0,
    snapshot: (offset.snapshot as boolean | undefined) ?? false,
  };
}

/** The sequence number of a binlog file name such as `binlog.000012`. */
function fileSequence(file: string): number {
  const match = /\.(\d+)$/.exec(file);
  return match ? Number(match[1]) : -1;
}

/** Orders two positions of one server's binlog. */
export function comparePositions(a: { file: string; pos: number }, b: { file: string; pos: number }): number {
  const byFile = fileSequence(a.file) - fileSequence(b.file);
  return byFile !== 0 ? byFile : a.pos - b.pos;
}

type GtidModel = GtidSet | MariadbGtidPosition;

function parseGtids(text: string): GtidModel {
  return text.includes(":") ? GtidSet.parse(text) : MariadbGtidPosition.parse(text);
}

/** The GTIDs executed so far: a MariaDB position or a MySQL set, grown as transactions commit. */
export class ExecutedGtids {
  readonly #model: GtidModel;

  private constructor(model: GtidModel) {
    this.#model = model;
  }

  /** Null when `text` is null: without a starting set the executed set cannot be known. */
  static from(text: string | null, isMariaDb: boolean): ExecutedGtids | null {
    if (text === null) return null;
    if (text.trim() === "") return new ExecutedGtids(isMariaDb ? new MariadbGtidPosition() : new GtidSet());
    return new ExecutedGtids(parseGtids(text.replace(/\s/g, "")));
  }

  add(gtid: string): void {
    if (this.#model instanceof GtidSet) {
      this.#model.add(gtid);
      return;
    }
    const [domainId, serverId, seqNo] = gtid.split("-");
    this.#model.add({ domainId: Number(domainId), serverId: Number(serverId), seqNo: seqNo ?? "0" });
  }

  toString(): string {
    return this.#model.toString();
  }
}

/**
 * Debezium's MySqlOffsetContext: follows the binlog event by event and answers, for each delivered
 * row, the offset a restart must begin from.
 */
export class OffsetContext {
  #file: string;
  /** The restart point between transactions. */
  #boundary: BinlogPosition;
  readonly #executed: ExecutedGtids | null;
  #transaction: { start: BinlogPosition; gtid: string | null; rowEvents: number } | null = null;

  constructor(start: BinlogPosition, executed: ExecutedGtids | null) {
    this.#file = start.file;
    this.#boundary = start;
    this.#executed = executed;
  }

  get file(): string {
    return this.#file;
  }

  get inTransaction(): boolean {
    return this.#transaction !== null;
  }

  /** The transaction's start position and GTID; null between transactions. */
  get transaction(): { readonly start: BinlogPosition; readonly gtid: string | null } | null {
    return this.#transaction;
  }

  rotate(file: string): void {
    this.#file = file;
  }

  /** A transaction (or standalone DDL group) begins with the event at `pos`. */
  begin(pos: number, gtid: string | null): void {
    if (this.#transaction !== null) this.#commitAt(pos);
    this.#transaction = {
      start: { file: this.#file, pos, gtids: this.#executed?.toString() ?? this.#boundary.gtids },
      gtid,
      rowEvents: 0,
    };
  }

  /** The next row event's index within the transaction (0-based); counts it as seen. */
  nextRowEvent(): number {
    const transaction = this.#transaction;
    if (transaction === null) return 0;
    transaction.rowEvents += 1;
    return transaction.rowEvents - 1;
  }

  /** The transaction ended with the event that ends at `nextPos`. */
  commit(nextPos: number): void {
    this.#commitAt(nextPos);
  }

  #commitAt(nextPos: number): void {
    const gtid = this.#transaction?.gtid ?? null;
    if (gtid !== null) this.#executed?.add(gtid);
    this.#transaction = null;
    this.#boundary = {
      file: this.#file,
      pos: nextPos,
      gtids: this.#executed?.toString() ?? this.#boundary.gtids,
    };
  }

  /** The offset once `rows` rows of row event `event`, and `records` records of the next row, were delivered. */
  rowOffset(event: number, rows: number, records = 0): MySqlOffset {
    const start = this.#transaction?.start ?? this.#boundary;
    return { ...start, event, row: rows, record: records, snapshot: false };
  }

  /** The restart point after the last completed transaction. */
  boundary(): MySqlOffset {
    return { ...this.#boundary, event: 0, row: 0, record: 0, snapshot: false };
  }
}
