import type { TableId } from "./table-schema.ts";

/**
 * Just enough of MySQL's DDL grammar to know which tables a statement from the binlog changes. The
 * columns themselves are never parsed: they come from INFORMATION_SCHEMA and from the binlog's own
 * table maps.
 */
export type DdlEffect =
  | { kind: "table"; type: "CREATE" | "ALTER" | "DROP"; tables: TableId[] }
  | { kind: "rename"; pairs: Array<{ from: TableId; to: TableId }> }
  | { kind: "database"; type: "CREATE" | "ALTER" | "DROP"; db: string };

type Token = { word: string; quoted: boolean };

/** Words, backquoted identifiers and punctuation, skipping comments and string literals. */
function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i] as string;
    if (/\s/.test(ch)) {
      i += 1;
    } else if (ch === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if ((ch === "-" && sql[i + 1] === "-") || ch === "#") {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end + 1;
    } else if (ch === "`") {
      let word = "";
      i += 1;
      while (i < sql.length) {
        if (sql[i] === "`" && sql[i + 1] === "`") {
          word += "`";
          i += 2;
        } else if (sql[i] === "`") {
          i += 1;
          break;
        } else {
          word += sql[i];
          i += 1;
        }
      }
      tokens.push({ word, quoted: true });
    } else if (ch === "'" || ch === '"') {
      i += 1;
      while (i < sql.length && sql[i] !== ch) i += sql[i] === "\\" ? 2 : 1;
      i += 1;
      tokens.push({ word: "''", quoted: false });
    } else if (/[\w$\u0080-\uffff]/.test(ch)) {
      let word = "";
      while (i < sql.length && /[\w$\u0080-\uffff]/.test(sql[i] as string)) {
        word += sql[i];
        i += 1;
      }
      tokens.push({ word, quoted: false });
    } else {
      tokens.push({ word: ch, quoted: false });
      i += 1;
    }
  }
  return tokens;
}

class Cursor {
  readonly #tokens: Token[];
  #at = 0;

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  /** True (and consumed) when the next unquoted words are `words`, case-insensitively. */
  accept(...words: string[]): boolean {
    for (let k = 0; k < words.length; k++) {
      const token = this.#tokens[this.#at + k];
      if (!token || token.quoted || token.word.toUpperCase() !== words[k]) return false;
    }
    this.#at += words.length;
    return true;
  }

  /** Skips any of these single keywords, in any order. */
  skip(...words: string[]): void {
    while (words.some((w) => this.accept(w))) {}
  }

  /** `name` or `db.name`; null at the end. */
  tableName(defaultDb: string): TableId | null {
    const first = this.#tokens[this.#at];
    if (!first) return null;
    this.#at += 1;
    if (this.#tokens[this.#at]?.word === "." && !this.#tokens[this.#at]?.quoted) {
      const second = this.#tokens[this.#at + 1];
      if (second) {
        this.#at += 2;
        return { db: first.word, table: second.word };
      }
    }
    return { db: defaultDb, table: first.word };
  }

  /** Consumes a `,` if it is next. */
  comma(): boolean {
    return this.accept(",");
  }

  /** Moves past the next unquoted `word` at nesting level 0; false when there is none. */
  seek(word: string): boolean {
    let depth = 0;
    while (this.#at < this.#tokens.length) {
      const token = this.#tokens[this.#at] as Token;
      this.#at += 1;
      if (!token.quoted && token.word === "(") depth += 1;
      else if (!token.quoted && token.word === ")") depth -= 1;
      else if (depth === 0 && !token.quoted && token.word.toUpperCase() === word) return true;
    }
    return false;
  }
}

function renameEffect(c: Cursor, defaultDb: string): DdlEffect | null {
  if (!c.accept("RENAME")) return null;
  if (!(c.accept("TABLE") || c.accept("TABLES"))) return null;
  const pairs: Array<{ from: TableId; to: TableId }> = [];
  do {
    c.skip("IF", "EXISTS");
    const from = c.tableName(defaultDb);
    c.skip("WAIT", "NOWAIT");
    if (!from || !c.seek("TO")) break;
    const to = c.tableName(defaultDb);
    if (!to) break;
    pairs.push({ from, to });
  } while (c.comma());
  return pairs.length > 0 ? { kind: "rename", pairs } : null;
}

/** The tables (or database) a DDL statement changes; null for a statement that changes no table. */
export function parseDdl(statement: string, defaultDb: string): DdlEffect | null {
  const c = new Cursor(tokenize(statement));
  const type = c.accept("CREATE") ? "CREATE" : c.accept("ALTER") ? "ALTER" : c.accept("DROP") ? "DROP" : null;
  if (type === null) return renameEffect(new Cursor(tokenize(statement)), defaultDb);
  c.skip("OR", "REPLACE", "ONLINE", "OFFLINE", "IGNORE", "UNIQUE", "FULLTEXT", "SPATIAL", "DEFINER");
  if (c.accept("TEMPORARY")) return null; // temporary tables are not replicated row by row
  if (c.accept("DATABASE") || c.accept("SCHEMA")) {
    c.skip("IF", "NOT", "EXISTS");
    const name = c.tableName(defaultDb);
    return name ? { kind: "database", type, db: name.table } : null;
  }
  if (c.accept("TABLE")) {
    c.skip("IF", "NOT", "EXISTS");
    const tables: TableId[] = [];
    if (type === "DROP") {
      do {
        const name = c.tableName(defaultDb);
        if (name) tables.push(name);
      } while (c.comma());
      return { kind: "table", type, tables };
    }
    const name = c.tableName(defaultDb);
    if (!name) return null;
    if (type === "ALTER" && c.seek("RENAME")) {
      c.skip("TO", "AS");
      const renamed = c.tableName(defaultDb);
      // ALTER TABLE … RENAME COLUMN/INDEX/KEY renames a part of the table, not the table.
      if (renamed && !["COLUMN", "INDEX", "KEY"].includes(renamed.table.toUpperCase())) {
        return { kind: "rename", pairs: [{ from: name, to: renamed }] };
      }
    }
    return { kind: "table", type, tables: [name] };
  }
  if (c.accept("INDEX")) {
    // CREATE/DROP INDEX name ON table changes the table.
    if (!c.seek("ON")) return null;
    const name = c.tableName(defaultDb);
    return name ? { kind: "table", type: "ALTER", tables: [name] } : null;
  }
  return null;
}
