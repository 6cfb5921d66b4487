import { DataError, type Schema } from "../../runtime/api/index.ts";
import type { ColumnDef } from "./table-schema.ts";

/**
 * How each MySQL/MariaDB type becomes a Kafka Connect value, as Debezium's MySQL connector maps it.
 * Both readers hand over the same raw forms — the snapshot's mysql2 rows and the binlog's zongji rows,
 * both with `dateStrings`, `timezone: "Z"`, big numbers and decimals as strings — so one converter per
 * column serves both and a row reads the same whichever way it arrived.
 */

export type DecimalHandlingMode = "precise" | "double" | "string";
export type TimePrecisionMode = "adaptive_time_microseconds" | "adaptive" | "connect";
export type BigIntUnsignedHandlingMode = "long" | "precise";
export type BinaryHandlingMode = "bytes" | "base64" | "base64-url-safe" | "hex";

export interface TypeModes {
  readonly decimal: DecimalHandlingMode;
  readonly time: TimePrecisionMode;
  readonly bigintUnsigned: BigIntUnsignedHandlingMode;
  readonly binary: BinaryHandlingMode;
}

/** A column's Connect schema and the function from its raw value (never null) to its Connect value. */
export interface ColumnMapping {
  readonly schema: Schema;
  readonly convert: (raw: unknown) => unknown;
}

const MILLIS_PER_DAY = 86_400_000;

/** A number when it is a safe integer, else the exact bigint: the value model of records.ts. */
export function exactInteger(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

function toBigInt(raw: unknown, column: ColumnDef): bigint {
  if (typeof raw === "bigint") return raw;
  if (typeof raw === "number" && Number.isInteger(raw)) return BigInt(raw);
  if (typeof raw === "string" && /^-?\d+$/.test(raw)) return BigInt(raw);
  throw badValue(column, raw);
}

function toNumber(raw: unknown, column: ColumnDef): number {
  const value = typeof raw === "number" ? raw : typeof raw === "string" ? Number(raw) : Number.NaN;
  if (Number.isNaN(value) && raw !== "NaN") throw badValue(column, raw);
  return value;
}

function toBytes(raw: unknown, column: ColumnDef): Uint8Array {
  if (raw instanceof Uint8Array) return Uint8Array.from(raw);
  if (typeof raw === "string") return new TextEncoder().encode(raw);
  throw badValue(column, raw);
}

function badValue(column: ColumnDef, raw: unknown): DataError {
  const shown = raw instanceof Uint8Array ? `${raw.length} bytes` : `${typeof raw} ${String(raw)}`;
  return new DataError(
    `column ${column.name} (${column.columnType}) has the value ${shown}, which Sluice cannot decode`,
  );
}

/** Days since the epoch of a proleptic Gregorian date (years 0-99 included). */
function epochDay(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return Math.round(date.getTime() / MILLIS_PER_DAY);
}

interface DateTimeParts {
  /** Milliseconds since the epoch of the whole seconds. */
  secondsMillis: number;
  /** Microseconds within the second. */
  micros: number;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;
const TIME = /^(-)?(\d{2,3}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/** Six-digit microseconds of a fraction written with 1-6 digits. */
function fractionMicros(digits: string | undefined): number {
  return digits === undefined ? 0 : Number(digits.padEnd(6, "0"));
}

/** The parts of `YYYY-MM-DD HH:MM:SS[.ffffff]`; null for zero or otherwise invalid dates such as 2020-00-10. */
function parseDateTime(text: string): DateTimeParts | null {
  const m = DATETIME.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, f] = m;
  if (Number(mo) === 0 || Number(d) === 0) return null;
  const day = epochDay(Number(y), Number(mo), Number(d));
  return {
    secondsMillis: day * MILLIS_PER_DAY + ((Number(h) * 60 + Number(mi)) * 60 + Number(s)) * 1000,
    micros: fractionMicros(f),
  };
}

/** Days since the epoch of `YYYY-MM-DD`; null for a zero or partial date. */
function parseDate(text: string): number | null {
  const m = DATE.exec(text);
  if (!m || Number(m[2]) === 0 || Number(m[3]) === 0) return null;
  return epochDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** Signed microseconds of `[-]HHH:MM:SS[.ffffff]` (TIME spans -838:59:59 to 838:59:59). */
function parseTimeMicros(text: string): number | null {
  const m = TIME.exec(text);
  if (!m) return null;
  const [, sign, h, mi, s, f] = m;
  const micros = ((Number(h) * 60 + Number(mi)) * 60 + Number(s)) * 1_000_000 + fractionMicros(f);
  return sign === "-" ? -micros : micros;
}

function temporalText(raw: unknown, column: ColumnDef): string {
  if (typeof raw === "string") return raw;
  throw badValue(column, raw);
}

/** A temporal converter: zero dates become null in optional columns and the epoch otherwise, as in Debezium. */
function temporal(
  column: ColumnDef,
  zero: unknown,
  parse: (text: string) => unknown,
): (raw: unknown) => unknown {
  return (raw) => {
    const value = parse(temporalText(raw, column));
    if (value !== null) return value;
    return column.optional ? null : zero;
  };
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

/** Debezium's ZonedTimestamp text of a UTC `YYYY-MM-DD HH:MM:SS[.f]`: ISO-8601 with the column's fsp digits. */
function zonedTimestamp(text: string, fsp: number): string | null {
  const parts = parseDateTime(text);
  if (parts === null) return null;
  const date = new Date(parts.secondsMillis);
  const year = date.getUTCFullYear();
  const iso =
    `${year < 0 ? "-" : ""}${pad(Math.abs(year), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}` +
    `T${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}`;
  const fraction = fsp > 0 ? `.${pad(parts.micros, 6).slice(0, fsp)}` : "";
  return `${iso}${fraction}Z`;
}

/** Debezium's `io.debezium.data.Bits`: the bits little-endian, in ceil(n/8) bytes. */
function littleEndianBits(raw: unknown, column: ColumnDef): Uint8Array {
  const bigEndian = toBytes(raw, column);
  const size = Math.ceil((column.length ?? 1) / 8);
  const out = new Uint8Array(size);
  for (let i = 0; i < Math.min(size, bigEndian.length); i++)
    out[i] = bigEndian[bigEndian.length - 1 - i] as number;
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function binaryMapping(column: ColumnDef, mode: BinaryHandlingMode, optional: boolean): ColumnMapping {
  // BINARY(n) is right-padded with zero bytes; the binlog drops trailing zeros and zongji pads them back.
  const width = column.type === "binary" ? column.length : null;
  const bytes = (raw: unknown): Uint8Array => {
    const value = toBytes(raw, column);
    if (width === null || value.length >= width) return value;
    const padded = new Uint8Array(width);
    padded.set(value);
    return padded;
  };
  switch (mode) {
    case "bytes":
      return { schema: { type: "bytes", optional }, convert: bytes };
    case "base64":
      return {
        schema: { type: "string", optional },
        convert: (raw) => Buffer.from(bytes(raw)).toString("base64"),
      };
    case "base64-url-safe":
      return {
        schema: { type: "string", optional },
        convert: (raw) => Buffer.from(bytes(raw)).toString("base64url"),
      };
    case "hex":
      return {
        schema: { type: "string", optional },
        convert: (raw) => Array.from(bytes(raw), (b) => HEX[b]).join(""),
      };
  }
}

function integerMapping(
  type: "int8" | "int16" | "int32" | "int64",
  column: ColumnDef,
  optional: boolean,
): ColumnMapping {
  if (type === "int64")
    return { schema: { type, optional }, convert: (raw) => exactInteger(toBigInt(raw, column)) };
  return { schema: { type, optional }, convert: (raw) => Number(toBigInt(raw, column)) };
}

function decimalMapping(
  precision: number,
  scale: number,
  mode: DecimalHandlingMode,
  column: ColumnDef,
  optional: boolean,
): ColumnMapping {
  const text = (raw: unknown): string => {
    if (typeof raw === "string" && /^-?\d+(\.\d+)?$/.test(raw)) return raw;
    if (typeof raw === "number" || typeof raw === "bigint") return String(raw);
    throw badValue(column, raw);
  };
  switch (mode) {
    case "precise":
      return {
        schema: {
          type: "bytes",
          optional,
          name: "org.apache.kafka.connect.data.Decimal",
          version: 1,
          parameters: { scale: String(scale), "connect.decimal.precision": String(precision) },
        },
        convert: text,
      };
    case "double":
      return { schema: { type: "float64", optional }, convert: (raw) => Number(text(raw)) };
    case "string":
      return { schema: { type: "string", optional }, convert: text };
  }
}

function named(
  type: Schema["type"],
  name: string,
  optional: boolean,
  parameters?: Record<string, string>,
): Schema {
  return { type, optional, name, version: 1, ...(parameters ? { parameters } : {}) };
}

/**
 * The Connect schema and converter of one column. `column.optional` decides the schema's optionality;
 * a null raw value is handled by the caller (it stays null).
 */
export function columnMapping(column: ColumnDef, modes: TypeModes): ColumnMapping {
  const optional = column.optional;
  switch (column.type) {
    case "tinyint":
      return integerMapping(column.unsigned ? "int16" : "int8", column, optional);
    case "smallint":
      return integerMapping(column.unsigned ? "int32" : "int16", column, optional);
    case "mediumint":
      return integerMapping("int32", column, optional);
    case "int":
    case "integer":
      return integerMapping(column.unsigned ? "int64" : "int32", column, optional);
    case "bigint":
      if (!column.unsigned) return integerMapping("int64", column, optional);
      if (modes.bigintUnsigned === "precise") return decimalMapping(20, 0, "precise", column, optional);
      // Debezium's `long` mode: values above 2^63-1 wrap to negative numbers, as documented there.
      return {
        schema: { type: "int64", optional },
        convert: (raw) => exactInteger(BigInt.asIntN(64, toBigInt(raw, column))),
      };
    case "float":
      return { schema: { type: "float32", optional }, convert: (raw) => Math.fround(toNumber(raw, column)) };
    case "double":
    case "real":
      return { schema: { type: "float64", optional }, convert: (raw) => toNumber(raw, column) };
    case "decimal":
    case "numeric":
      return decimalMapping(column.precision ?? 10, column.scale ?? 0, modes.decimal, column, optional);
    case "bit":
      if ((column.length ?? 1) === 1) {
        return {
          schema: { type: "boolean", optional },
          convert: (raw) => toBytes(raw, column).some((b) => b !== 0),
        };
      }
      return {
        schema: named("bytes", "io.debezium.data.Bits", optional, { length: String(column.length) }),
        convert: (raw) => littleEndianBits(raw, column),
      };
    case "year":
      // zongji decodes YEAR 0000 as 1900, a value YEAR cannot hold otherwise.
      return {
        schema: named("int32", "io.debezium.time.Year", optional),
        convert: (raw) => {
          const year = toNumber(raw, column);
          return year === 1900 ? 0 : year;
        },
      };
    case "date":
      return {
        schema: named(
          "int32",
          modes.time === "connect" ? "org.apache.kafka.connect.data.Date" : "io.debezium.time.Date",
          optional,
        ),
        convert: temporal(column, 0, parseDate),
      };
    case "time":
      return timeMapping(column, modes.time, optional);
    case "datetime":
      return datetimeMapping(column, modes.time, optional);
    case "timestamp":
      return {
        schema: named("string", "io.debezium.time.ZonedTimestamp", optional),
        convert: temporal(
          column,
          column.fsp > 0 ? `1970-01-01T00:00:00.${"0".repeat(column.fsp)}Z` : "1970-01-01T00:00:00Z",
          (text) => zonedTimestamp(text, column.fsp),
        ),
      };
    case "char":
    case "varchar":
    case "tinytext":
    case "text":
    case "mediumtext":
    case "longtext":
      return {
        schema: { type: "string", optional },
        convert: (raw) => {
          if (typeof raw === "string") return raw;
          throw badValue(column, raw);
        },
      };
    case "json":
      return {
        schema: named("string", "io.debezium.data.Json", optional),
        convert: (raw) => (typeof raw === "string" ? raw : JSON.stringify(raw)),
      };
    case "enum":
    case "set":
      return {
        schema: named(
          "string",
          column.type === "enum" ? "io.debezium.data.Enum" : "io.debezium.data.EnumSet",
          optional,
          {
            allowed: (column.values ?? []).join(","),
          },
        ),
        convert: (raw) => {
          if (typeof raw === "string") return raw;
          throw badValue(column, raw);
        },
      };
    case "binary":
    case "varbinary":
    case "tinyblob":
    case "blob":
    case "mediumblob":
    case "longblob":
      return binaryMapping(column, modes.binary, optional);
    default:
      throw new DataError(
        `column ${column.name} has the type ${column.columnType}, which Sluice's mysql-cdc connector does not support; exclude it with column.exclude.list`,
      );
  }
}

function timeMapping(column: ColumnDef, mode: TimePrecisionMode, optional: boolean): ColumnMapping {
  const micros = temporal(column, 0, parseTimeMicros);
  if (mode === "adaptive_time_microseconds" || (mode === "adaptive" && column.fsp > 3)) {
    return { schema: named("int64", "io.debezium.time.MicroTime", optional), convert: micros };
  }
  const millis = (raw: unknown) => {
    const value = micros(raw);
    return typeof value === "number" ? Math.floor(value / 1000) : value;
  };
  const name = mode === "connect" ? "org.apache.kafka.connect.data.Time" : "io.debezium.time.Time";
  return { schema: named("int32", name, optional), convert: millis };
}

function datetimeMapping(column: ColumnDef, mode: TimePrecisionMode, optional: boolean): ColumnMapping {
  if (mode !== "connect" && column.fsp > 3) {
    return {
      schema: named("int64", "io.debezium.time.MicroTimestamp", optional),
      convert: temporal(column, 0, (text) => {
        const parts = parseDateTime(text);
        return parts === null
          ? null
          : exactInteger(BigInt(parts.secondsMillis) * 1000n + BigInt(parts.micros));
      }),
    };
  }
  const name = mode === "connect" ? "org.apache.kafka.connect.data.Timestamp" : "io.debezium.time.Timestamp";
  return {
    schema: named("int64", name, optional),
    convert: temporal(column, 0, (text) => {
      const parts = parseDateTime(text);
      return parts === null ? null : parts.secondsMillis + Math.floor(parts.micros / 1000);
    }),
  };
}

/** True for the types whose values are text, the only ones `column.mask.with.N.chars` masks. */
export function isCharacterType(column: ColumnDef): boolean {
  return ["char", "varchar", "tinytext", "text", "mediumtext", "longtext"].includes(column.type);
}

/**
 * The Connect value of a column default as INFORMATION_SCHEMA shows it (`'text'`, `12`, `b'101'`,
 * `current_timestamp()`), or undefined when it is an expression other than CURRENT_TIMESTAMP. Debezium
 * writes `1970-01-01T00:00:00Z` for a TIMESTAMP defaulting to CURRENT_TIMESTAMP.
 */
export function defaultValue(column: ColumnDef, mapping: ColumnMapping): unknown {
  const expression = column.defaultExpression;
  if (expression === null) return undefined;
  let raw: unknown;
  if (/^current_timestamp(\(\d*\))?$/i.test(expression) || /^now\(\d*\)$/i.test(expression)) {
    raw = column.type === "timestamp" || column.type === "datetime" ? "1970-01-01 00:00:00" : undefined;
  } else if (/^'.*'$/s.test(expression)) {
    raw = expression.slice(1, -1).replaceAll("''", "'").replaceAll("\\\\", "\\");
  } else if (/^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(expression)) {
    raw = expression;
  } else if (/^b'[01]*'$/i.test(expression)) {
    const bits = BigInt(`0b${expression.slice(2, -1) || "0"}`);
    const size = Math.ceil((column.length ?? 1) / 8);
    raw = Uint8Array.from({ length: size }, (_, i) => Number((bits >> BigInt(8 * (size - 1 - i))) & 0xffn));
  }
  if (raw === undefined) return undefined;
  if (column.type === "bit" || column.type.endsWith("blob") || column.type.endsWith("binary")) {
    if (typeof raw === "string" && column.type !== "bit") raw = new TextEncoder().encode(raw);
  }
  try {
    return mapping.convert(raw);
  } catch {
    return undefined;
  }
}
