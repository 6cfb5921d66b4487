import { mkdir, open, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { comparePositions } from "./offset-context.ts";
import { type TableDef, type TableId, tableKey } from "./table-schema.ts";

/**
 * The definitions of the captured tables as of each binlog position: Debezium's schema history. Each
 * record says "from this position on, these tables are defined so, and these are gone". Records are
 * appended to a JSON-lines file (when one is configured) in binlog order, so that after a restart the
 * events before a DDL decode with the definitions they were written with and the DDL, when replayed,
 * applies the definitions recorded the first time instead of today's.
 */
export interface HistoryRecord {
  /** The binlog position right after the change (a DDL's end, or a snapshot's position). */
  readonly file: string;
  readonly pos: number;
  /** The statement, or null for a snapshot's definitions, which replace every definition before them. */
  readonly ddl: string | null;
  readonly tables: readonly TableDef[];
  readonly dropped: readonly TableId[];
}

export class SchemaHistory {
  readonly #path: string | null;
  readonly #tables = new Map<string, TableDef>();
  /** Records after the start position, by `file:pos`: replayed DDLs apply these. */
  readonly #ahead = new Map<string, HistoryRecord>();
  #version = 0;

  private constructor(path: string | null) {
    this.#path = path;
  }

  /**
   * The history as of `start` (a position between transactions): every stored record at or before it
   * is applied. `applied` is false when none was, i.e. the caller must supply the definitions.
   */
  static async open(
    path: string | null,
    start: { file: string; pos: number },
  ): Promise<{ history: SchemaHistory; applied: boolean }> {
    const history = new SchemaHistory(path);
    let applied = false;
    const { records, torn } = await readRecords(path);
    if (torn && path !== null) await rewrite(path, records);
    for (const record of records) {
      if (comparePositions(record, start) <= 0) {
        history.#apply(record);
        applied = true;
      } else {
        history.#ahead.set(`${record.file}:${record.pos}`, record);
      }
    }
    return { history, applied };
  }

  /** Changes every time a definition changes, so that caches built on definitions know to rebuild. */
  get version(): number {
    return this.#version;
  }

  get(id: TableId): TableDef | undefined {
    return this.#tables.get(tableKey(id));
  }

  /** Every table the history knows in `db`. */
  tablesOf(db: string): TableDef[] {
    return [...this.#tables.values()].filter((t) => t.db === db);
  }

  /** The record written the first time the change ending at this position was seen, if any. */
  recordedAt(position: { file: string; pos: number }): HistoryRecord | undefined {
    return this.#ahead.get(`${position.file}:${position.pos}`);
  }

  /** Applies a record; stores it unless it came from the file. */
  async record(record: HistoryRecord): Promise<void> {
    this.#apply(record);
    const key = `${record.file}:${record.pos}`;
    if (this.#ahead.get(key) === record) {
      this.#ahead.delete(key);
      return;
    }
    if (this.#path !== null) await appendLine(this.#path, JSON.stringify(record));
  }

  #apply(record: HistoryRecord): void {
    if (record.ddl === null) this.#tables.clear(); // a snapshot's definitions replace everything known
    for (const id of record.dropped) this.#tables.delete(tableKey(id));
    for (const def of record.tables) this.#tables.set(tableKey(def), def);
    this.#version += 1;
  }
}

/** The records of the file; `torn` when its last line is a partial append that a crash left behind. */
async function readRecords(path: string | null): Promise<{ records: HistoryRecord[]; torn: boolean }> {
  if (path === null) return { records: [], torn: false };
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { records: [], torn: false };
    throw error;
  }
  const records: HistoryRecord[] = [];
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  let torn = false;
  lines.forEach((line, index) => {
    try {
      records.push(JSON.parse(line) as HistoryRecord);
    } catch (error) {
      if (index < lines.length - 1) {
        throw new Error(
          `the schema history ${path} is corrupt at line ${index + 1}: ${(error as Error).message}`,
        );
      }
      torn = true;
    }
  });
  return { records, torn };
}

/** Replaces the file with these records, atomically. */
async function rewrite(path: string, records: readonly HistoryRecord[]): Promise<void> {
  const temp = `${path}.tmp`;
  await writeFile(temp, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
  await rename(temp, path);
}

/** Appends one line and syncs it to disk before resolving. */
async function appendLine(path: string, line: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, "a");
  try {
    await handle.write(`${line}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
