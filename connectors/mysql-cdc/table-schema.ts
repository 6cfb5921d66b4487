/**
 * The definition of a captured table, as far as change events need it: its columns in order and its
 * primary key. Two sources describe a table: INFORMATION_SCHEMA (complete, but only as the table is
 * now) and the binlog's TableMap event (exactly as the table was when the row was written, with
 * binlog_row_metadata=FULL, but without nullability, defaults or MariaDB's JSON alias).
 */

/** A table's identity. */
export interface TableId {
  readonly db: string;
  readonly table: string;
}

export interface ColumnDef {
  readonly name: string;
  /** The SQL type in lower case, as INFORMATION_SCHEMA.COLUMNS.DATA_TYPE spells it; `json` also on MariaDB. */
  readonly type: string;
  readonly unsigned: boolean;
  readonly optional: boolean;
  /** CHAR/VARCHAR: characters; BINARY/VARBINARY: bytes; BIT: bits; otherwise null. */
  readonly length: number | null;
  /** DECIMAL precision and scale; null for other types. */
  readonly precision: number | null;
  readonly scale: number | null;
  /** Fractional-second digits of TIME, DATETIME and TIMESTAMP; 0 otherwise. */
  readonly fsp: number;
  /** ENUM and SET members in declaration order; null for other types. */
  readonly values: readonly string[] | null;
  readonly charset: string | null;
  /** The full type text, e.g. `int(10) unsigned`, `varchar(255)`, `enum('a','b')`. */
  readonly columnType: string;
  /** The default as INFORMATION_SCHEMA shows it (`'text'`, `12`, `current_timestamp()`); null: none or NULL. */
  readonly defaultExpression: string | null;
  readonly autoIncrement: boolean;
  readonly generated: boolean;
  readonly comment: string | null;
}

export interface TableDef extends TableId {
  readonly columns: readonly ColumnDef[];
  /** Primary-key column names in key order; empty when the table has none. */
  readonly primaryKey: readonly string[];
  readonly defaultCharset: string | null;
  readonly comment: string | null;
}

/** `db.table`, the form of table filters and map keys. */
export function tableKey(id: TableId): string {
  return `${id.db}.${id.table}`;
}

/** A quoted identifier for SQL text. */
export function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll("`", "``")}\``;
}

export function quoteTable(id: TableId): string {
  return `${quoteIdentifier(id.db)}.${quoteIdentifier(id.table)}`;
}

/** The members of `enum('a','b''c')` or `set(...)`, unquoted. */
export function parseEnumMembers(columnType: string): string[] {
  const open = columnType.indexOf("(");
  const members: string[] = [];
  let i = open + 1;
  while (i > 0 && i < columnType.length) {
    const quote = columnType[i];
    if (quote !== "'" && quote !== '"') break;
    let text = "";
    i += 1;
    while (i < columnType.length) {
      const ch = columnType[i] as string;
      if (ch === quote && columnType[i + 1] === quote) {
        text += quote;
        i += 2;
      } else if (ch === quote) {
        i += 1;
        break;
      } else if (ch === "\\" && i + 1 < columnType.length) {
        text += columnType[i + 1];
        i += 2;
      } else {
        text += ch;
        i += 1;
      }
    }
    members.push(text);
    if (columnType[i] !== ",") break;
    i += 1;
  }
  return members;
}

/** One row of INFORMATION_SCHEMA.COLUMNS, as `readTableDefs` selects it. */
interface ColumnRow {
  TABLE_SCHEMA: string;
  TABLE_NAME: string;
  COLUMN_NAME: string;
  DATA_TYPE: string;
  COLUMN_TYPE: string;
  IS_NULLABLE: string;
  COLUMN_DEFAULT: string | null;
  NUMERIC_PRECISION: string | number | null;
  NUMERIC_SCALE: string | number | null;
  DATETIME_PRECISION: string | number | null;
  CHARACTER_MAXIMUM_LENGTH: string | number | null;
  CHARACTER_SET_NAME: string | null;
  EXTRA: string;
  COLUMN_COMMENT: string;
  COLUMN_KEY: string;
}

/** The query side of a connection: enough for mysql2's promise API and for tests. */
export interface Queryable {
  query(sql: string, values?: unknown[]): Promise<[unknown, unknown]>;
}

function toNumber(value: string | number | null): number | null {
  return value === null ? null : Number(value);
}

function columnFromRow(row: ColumnRow, jsonColumns: ReadonlySet<string>): ColumnDef {
  const dataType = row.DATA_TYPE.toLowerCase();
  const columnType = row.COLUMN_TYPE.toLowerCase();
  const type = jsonColumns.has(`${row.TABLE_SCHEMA}.${row.TABLE_NAME}.${row.COLUMN_NAME}`)
    ? "json"
    : dataType;
  const isEnum = type === "enum" || type === "set";
  const length =
    type === "bit"
      ? toNumber(row.NUMERIC_PRECISION)
      : ["char", "varchar", "binary", "varbinary"].includes(type)
        ? toNumber(row.CHARACTER_MAXIMUM_LENGTH)
        : null;
  const extra = row.EXTRA.toLowerCase();
  return {
    name: row.COLUMN_NAME,
    type,
    unsigned: /\bunsigned\b/.test(columnType),
    optional: row.IS_NULLABLE === "YES",
    length,
    precision: type === "decimal" ? toNumber(row.NUMERIC_PRECISION) : null,
    scale: type === "decimal" ? toNumber(row.NUMERIC_SCALE) : null,
    fsp: ["time", "datetime", "timestamp"].includes(type) ? (toNumber(row.DATETIME_PRECISION) ?? 0) : 0,
    values: isEnum ? parseEnumMembers(row.COLUMN_TYPE) : null,
    charset: row.CHARACTER_SET_NAME,
    columnType: row.COLUMN_TYPE,
    defaultExpression:
      row.COLUMN_DEFAULT === null || row.COLUMN_DEFAULT.toUpperCase() === "NULL" ? null : row.COLUMN_DEFAULT,
    autoIncrement: extra.includes("auto_increment"),
    generated: extra.includes("generated") || extra.includes("virtual") || extra.includes("persistent"),
    comment: row.COLUMN_COMMENT === "" ? null : row.COLUMN_COMMENT,
  };
}

/**
 * The current definitions of the given tables (those that exist), read from INFORMATION_SCHEMA in one
 * round of queries. MariaDB's JSON is LONGTEXT with a `json_valid` check; such columns get type `json`.
 */
export async function readTableDefs(db: Queryable, tables: readonly TableId[]): Promise<TableDef[]> {
  if (tables.length === 0) return [];
  const schemas = [...new Set(tables.map((t) => t.db))];
  const wanted = new Set(tables.map(tableKey));
  const placeholders = schemas.map(() => "?").join(",");
  const [columnRows] = (await db.query(
    `SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT,
            NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION, CHARACTER_MAXIMUM_LENGTH,
            CHARACTER_SET_NAME, EXTRA, COLUMN_COMMENT, COLUMN_KEY
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN (${placeholders})
      ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`,
    schemas,
  )) as [ColumnRow[], unknown];
  const [keyRows] = (await db.query(
    `SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA IN (${placeholders}) AND INDEX_NAME = 'PRIMARY'
      ORDER BY TABLE_SCHEMA, TABLE_NAME, SEQ_IN_INDEX`,
    schemas,
  )) as [Array<{ TABLE_SCHEMA: string; TABLE_NAME: string; COLUMN_NAME: string }>, unknown];
  const [tableRows] = (await db.query(
    `SELECT T.TABLE_SCHEMA, T.TABLE_NAME, T.TABLE_COMMENT, C.CHARACTER_SET_NAME
       FROM information_schema.TABLES T
       LEFT JOIN information_schema.COLLATION_CHARACTER_SET_APPLICABILITY C ON C.COLLATION_NAME = T.TABLE_COLLATION
      WHERE T.TABLE_SCHEMA IN (${placeholders})`,
    schemas,
  )) as [
    Array<{
      TABLE_SCHEMA: string;
      TABLE_NAME: string;
      TABLE_COMMENT: string;
      CHARACTER_SET_NAME: string | null;
    }>,
    unknown,
  ];
  const jsonColumns = await readMariaDbJsonColumns(db, schemas);

  const defs = new Map<
    string,
    { columns: ColumnDef[]; primaryKey: string[]; charset: string | null; comment: string | null }
  >();
  const entry = (schema: string, table: string) => {
    const key = `${schema}.${table}`;
    let def = defs.get(key);
    if (!def) {
      def = { columns: [], primaryKey: [], charset: null, comment: null };
      defs.set(key, def);
    }
    return def;
  };
  for (const row of columnRows) {
    if (wanted.has(`${row.TABLE_SCHEMA}.${row.TABLE_NAME}`)) {
      entry(row.TABLE_SCHEMA, row.TABLE_NAME).columns.push(columnFromRow(row, jsonColumns));
    }
  }
  for (const row of keyRows)
    defs.get(`${row.TABLE_SCHEMA}.${row.TABLE_NAME}`)?.primaryKey.push(row.COLUMN_NAME);
  for (const row of tableRows) {
    const def = defs.get(`${row.TABLE_SCHEMA}.${row.TABLE_NAME}`);
    if (def) {
      def.charset = row.CHARACTER_SET_NAME;
      def.comment = row.TABLE_COMMENT === "" ? null : row.TABLE_COMMENT;
    }
  }
  const out: TableDef[] = [];
  for (const id of tables) {
    const def = defs.get(tableKey(id));
    if (def && def.columns.length > 0) {
      out.push({
        db: id.db,
        table: id.table,
        columns: def.columns,
        primaryKey: def.primaryKey,
        defaultCharset: def.charset,
        comment: def.comment,
      });
    }
  }
  return out;
}

/** `db.table.column` of every MariaDB JSON column (LONGTEXT with a json_valid check) in `schemas`. */
async function readMariaDbJsonColumns(db: Queryable, schemas: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  let rows: Array<{ CONSTRAINT_SCHEMA: string; TABLE_NAME: string; CHECK_CLAUSE: string }>;
  try {
    [rows] = (await db.query(
      `SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
        WHERE CONSTRAINT_SCHEMA IN (${schemas.map(() => "?").join(",")})`,
      [...schemas],
    )) as [typeof rows, unknown];
  } catch {
    return out; // servers without CHECK_CONSTRAINTS have no JSON alias either
  }
  for (const row of rows) {
    const match = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(row.CHECK_CLAUSE.trim());
    if (match?.[1]) out.add(`${row.CONSTRAINT_SCHEMA}.${row.TABLE_NAME}.${match[1].replaceAll("``", "`")}`);
  }
  return out;
}

/** Every base table of the server, in schema and name order. */
export async function listTables(db: Queryable): Promise<TableId[]> {
  const [rows] = (await db.query(
    `SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES
      WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') ORDER BY TABLE_SCHEMA, TABLE_NAME`,
  )) as [Array<{ TABLE_SCHEMA: string; TABLE_NAME: string }>, unknown];
  return rows.map((row) => ({ db: row.TABLE_SCHEMA, table: row.TABLE_NAME }));
}

// MySQL binlog column type codes (include/mysql_com.h), as zongji reports them after resolving ENUM/SET.
const T = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  VARCHAR: 15,
  BIT: 16,
  TIMESTAMP2: 17,
  DATETIME2: 18,
  TIME2: 19,
  BLOB_COMPRESSED: 140,
  VARCHAR_COMPRESSED: 141,
  JSON: 245,
  NEWDECIMAL: 246,
  ENUM: 247,
  SET: 248,
  TINY_BLOB: 249,
  MEDIUM_BLOB: 250,
  LONG_BLOB: 251,
  BLOB: 252,
  VAR_STRING: 253,
  STRING: 254,
  GEOMETRY: 255,
} as const;

const BLOB_SIZES = ["", "tiny", "", "medium", "long"] as const;

/** What zongji knows of one column of a TableMap event (binlog_row_metadata=FULL). */
export interface BinlogColumn {
  name: string;
  /** The binlog type code, ENUM/SET already resolved. */
  typeCode: number;
  metadata: Readonly<Record<string, unknown>>;
  /** Null for binary columns and non-character types. */
  charset: string | null;
  unsigned: boolean;
  enumValues: readonly string[] | null;
  setValues: readonly string[] | null;
}

function metadataNumber(metadata: Readonly<Record<string, unknown>>, key: string): number | null {
  const value = metadata[key];
  return typeof value === "number" ? value : null;
}

/** The type name a binlog column has, spelled as INFORMATION_SCHEMA does; null when Sluice cannot decode it. */
function binlogTypeName(column: BinlogColumn): string | null {
  const binary = column.charset === null;
  switch (column.typeCode) {
    case T.TINY:
      return "tinyint";
    case T.SHORT:
      return "smallint";
    case T.INT24:
      return "mediumint";
    case T.LONG:
      return "int";
    case T.LONGLONG:
      return "bigint";
    case T.FLOAT:
      return "float";
    case T.DOUBLE:
      return "double";
    case T.NEWDECIMAL:
    case T.DECIMAL:
      return "decimal";
    case T.YEAR:
      return "year";
    case T.DATE:
    case T.NEWDATE:
      return "date";
    case T.TIME:
    case T.TIME2:
      return "time";
    case T.DATETIME:
    case T.DATETIME2:
      return "datetime";
    case T.TIMESTAMP:
    case T.TIMESTAMP2:
      return "timestamp";
    case T.BIT:
      return "bit";
    case T.JSON:
      return "json";
    case T.ENUM:
      return "enum";
    case T.SET:
      return "set";
    case T.VARCHAR:
    case T.VAR_STRING:
    case T.VARCHAR_COMPRESSED:
      return binary ? "varbinary" : "varchar";
    case T.STRING:
      return binary ? "binary" : "char";
    case T.TINY_BLOB:
    case T.MEDIUM_BLOB:
    case T.LONG_BLOB:
    case T.BLOB:
    case T.BLOB_COMPRESSED: {
      const size = BLOB_SIZES[metadataNumber(column.metadata, "length_size") ?? 2] ?? "";
      return `${size}${binary ? "blob" : "text"}`;
    }
    case T.GEOMETRY:
      return "geometry";
    default:
      return null;
  }
}

/**
 * A column as the binlog describes it at write time. Nullability is not in the event, so every column
 * outside the primary key is optional unless the schema history says otherwise.
 */
export function columnFromBinlog(column: BinlogColumn, inPrimaryKey: boolean): ColumnDef {
  const type = binlogTypeName(column) ?? `unknown(${column.typeCode})`;
  const values = type === "enum" ? column.enumValues : type === "set" ? column.setValues : null;
  const maxLength = metadataNumber(column.metadata, "max_length");
  const length =
    type === "bit"
      ? metadataNumber(column.metadata, "bits")
      : type === "binary" || type === "varbinary"
        ? maxLength
        : null;
  return {
    name: column.name,
    type,
    unsigned: column.unsigned,
    optional: !inPrimaryKey,
    length,
    precision: type === "decimal" ? metadataNumber(column.metadata, "precision") : null,
    scale: type === "decimal" ? metadataNumber(column.metadata, "decimals") : null,
    fsp: ["time", "datetime", "timestamp"].includes(type)
      ? (metadataNumber(column.metadata, "decimals") ?? 0)
      : 0,
    values: values ?? (type === "enum" || type === "set" ? [] : null),
    charset: column.charset,
    columnType: type,
    defaultExpression: null,
    autoIncrement: false,
    generated: false,
    comment: null,
  };
}

/**
 * What the binlog stores for a column; two definitions with the same storage decode the same bytes the
 * same way. MariaDB's JSON is stored as LONGTEXT.
 */
function storage(column: ColumnDef): string {
  const type = column.type === "json" ? "longtext|json" : column.type;
  const enumValues = column.values ? column.values.join("\u0000") : "";
  const bits = column.type === "bit" ? column.length : "";
  return `${type}|${column.unsigned}|${column.precision},${column.scale}|${column.fsp}|${bits}|${enumValues}`;
}

function sameStorage(known: ColumnDef, written: ColumnDef): boolean {
  if (storage(known) === storage(written)) return true;
  // MariaDB writes its JSON alias as LONGTEXT; MySQL writes JSON as JSON.
  return (
    known.type === "json" &&
    written.type === "longtext" &&
    storage({ ...known, type: "longtext" }) === storage(written)
  );
}

/**
 * The definition to decode a row with: the binlog's columns (names, order and storage exactly as the
 * row was written) with what only the schema history knows — nullability, MariaDB's JSON alias,
 * defaults — taken from `known` for each column whose name and storage agree. A column the history
 * has no matching definition for keeps the binlog's view, so a schema change the history has not seen
 * yet never mis-maps a value; it only loses those extras.
 */
export function mergeTableDef(
  id: TableId,
  written: readonly ColumnDef[],
  primaryKey: readonly string[],
  known: TableDef | undefined,
): TableDef {
  const knownColumns = new Map((known?.columns ?? []).map((c) => [c.name, c]));
  const columns = written.map((column) => {
    const match = knownColumns.get(column.name);
    if (match === undefined || !sameStorage(match, column)) return column;
    return { ...match, optional: primaryKey.includes(column.name) ? false : match.optional };
  });
  return {
    db: id.db,
    table: id.table,
    columns,
    primaryKey,
    defaultCharset: known?.defaultCharset ?? null,
    comment: known?.comment ?? null,
  };
}
