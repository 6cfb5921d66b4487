import type { TableId } from "./table-schema.ts";

/**
 * Debezium's include/exclude lists: comma-separated regular expressions matched, anchored and
 * case-insensitively, against `db`, `db.table` or `db.table.column`.
 */

/** Splits a comma-separated list of regular expressions; a comma inside `{m,n}` or escaped as `\,` stays. */
export function splitRegexList(text: string): string[] {
  const items: string[] = [];
  let current = "";
  let braces = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === "\\" && i + 1 < text.length) {
      const next = text[i + 1] as string;
      current += next === "," ? "," : ch + next;
      i += 1;
      continue;
    }
    if (ch === "{") braces += 1;
    if (ch === "}") braces = Math.max(0, braces - 1);
    if (ch === "," && braces === 0) {
      items.push(current);
      current = "";
      continue;
    }
    current += ch;
  }
  items.push(current);
  return items.map((item) => item.trim()).filter((item) => item !== "");
}

/** Anchored, case-insensitive patterns; throws a SyntaxError naming the bad pattern. */
export function compilePatterns(text: string | null): RegExp[] {
  if (text === null) return [];
  return splitRegexList(text).map((pattern) => new RegExp(`^(?:${pattern})$`, "i"));
}

/** The problem with a list of patterns, or undefined when every one compiles. */
export function patternProblem(text: string): string | undefined {
  for (const pattern of splitRegexList(text)) {
    try {
      new RegExp(pattern);
    } catch (error) {
      return `"${pattern}" is not a regular expression: ${(error as Error).message}`;
    }
  }
  return undefined;
}

function anyMatch(patterns: readonly RegExp[], text: string): boolean {
  return patterns.some((p) => p.test(text));
}

/** Databases whose tables no connector captures unless a table include list names them. */
const BUILTIN_DATABASES = new Set(["mysql", "sys", "performance_schema", "information_schema"]);

export interface TableFilterLists {
  databaseInclude: string | null;
  databaseExclude: string | null;
  tableInclude: string | null;
  tableExclude: string | null;
  ignoreBuiltin: boolean;
}

/** Which tables the connector captures. */
export class TableFilter {
  readonly #databaseInclude: RegExp[];
  readonly #databaseExclude: RegExp[];
  readonly #tableInclude: RegExp[];
  readonly #tableExclude: RegExp[];
  readonly #ignoreBuiltin: boolean;
  readonly #cache = new Map<string, boolean>();

  constructor(lists: TableFilterLists) {
    this.#databaseInclude = compilePatterns(lists.databaseInclude);
    this.#databaseExclude = compilePatterns(lists.databaseExclude);
    this.#tableInclude = compilePatterns(lists.tableInclude);
    this.#tableExclude = compilePatterns(lists.tableExclude);
    this.#ignoreBuiltin = lists.ignoreBuiltin;
  }

  /** True when some table of `db` may be captured. */
  includesDatabase(db: string): boolean {
    if (this.#ignoreBuiltin && BUILTIN_DATABASES.has(db.toLowerCase())) return false;
    if (this.#databaseInclude.length > 0) return anyMatch(this.#databaseInclude, db);
    return !anyMatch(this.#databaseExclude, db);
  }

  includes(id: TableId): boolean {
    const key = `${id.db}.${id.table}`;
    let included = this.#cache.get(key);
    if (included === undefined) {
      included =
        this.includesDatabase(id.db) &&
        (this.#tableInclude.length > 0
          ? anyMatch(this.#tableInclude, key)
          : !anyMatch(this.#tableExclude, key));
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(key, included);
    }
    return included;
  }
}

/** Which columns go into change-event values, and which of them are masked with how many `*`. */
export class ColumnFilter {
  readonly #include: RegExp[];
  readonly #exclude: RegExp[];
  readonly #masks: ReadonlyArray<{ length: number; patterns: RegExp[] }>;

  constructor(
    include: string | null,
    exclude: string | null,
    masks: ReadonlyArray<{ length: number; list: string }>,
  ) {
    this.#include = compilePatterns(include);
    this.#exclude = compilePatterns(exclude);
    this.#masks = masks.map(({ length, list }) => ({ length, patterns: compilePatterns(list) }));
  }

  includes(table: TableId, column: string): boolean {
    const name = `${table.db}.${table.table}.${column}`;
    if (this.#include.length > 0) return anyMatch(this.#include, name);
    return !anyMatch(this.#exclude, name);
  }

  /** The mask length of a column named by some `column.mask.with.N.chars`, or null. */
  maskLength(table: TableId, column: string): number | null {
    const name = `${table.db}.${table.table}.${column}`;
    return this.#masks.find((mask) => anyMatch(mask.patterns, name))?.length ?? null;
  }
}
