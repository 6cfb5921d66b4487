import { DataError, type SinkRecord } from "../../runtime/api/index.ts";
import { segmentValue } from "./paths.ts";
import { isCleanHdfsPath } from "./webhdfs.ts";

/** `hourly` and `daily` are the time partitioner with Confluent's fixed path.format and duration. */
export type PartitionerName = "default" | "field" | "time" | "hourly" | "daily";

const CONFLUENT = "io.confluent.connect.storage.partitioner.";

/** Accepted partitioner.class values: Sluice's short names and Confluent's class names. */
export const PARTITIONER_CLASSES: ReadonlyMap<string, PartitionerName> = new Map([
  ["default", "default"],
  ["field", "field"],
  ["time", "time"],
  [`${CONFLUENT}DefaultPartitioner`, "default"],
  [`${CONFLUENT}FieldPartitioner`, "field"],
  [`${CONFLUENT}TimeBasedPartitioner`, "time"],
  [`${CONFLUENT}HourlyPartitioner`, "hourly"],
  [`${CONFLUENT}DailyPartitioner`, "daily"],
]);

/** The partitioner a partitioner.class value names (case-insensitively); unknown names read as default. */
export function partitionerOf(name: string): PartitionerName {
  const lower = name.trim().toLowerCase();
  for (const [className, partitioner] of PARTITIONER_CLASSES) {
    if (className.toLowerCase() === lower) return partitioner;
  }
  return "default";
}

export const TIMESTAMP_EXTRACTORS = ["Wallclock", "Record", "RecordField"] as const;
export type TimestampExtractorName = (typeof TIMESTAMP_EXTRACTORS)[number];

const HOURLY_FORMAT = "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH";
const DAILY_FORMAT = "'year'=YYYY/'month'=MM/'day'=dd";

/** The path.format and bucket length a time-based partitioner uses. */
export function timeLayout(
  partitioner: PartitionerName,
  pathFormat: string,
  durationMs: number,
): { pathFormat: string; durationMs: number } | null {
  if (partitioner === "hourly") return { pathFormat: HOURLY_FORMAT, durationMs: 3_600_000 };
  if (partitioner === "daily") return { pathFormat: DAILY_FORMAT, durationMs: 86_400_000 };
  if (partitioner === "time") return { pathFormat, durationMs };
  return null;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const UNSAFE_FIELD = /[/\\:\u0000-\u001f\u007f]/;

export function validateFieldNames(
  fields: readonly string[],
  partitioner: PartitionerName,
): string | undefined {
  if (partitioner !== "field") return undefined;
  if (fields.length === 0) return "must name at least one field with the field partitioner";
  const bad = fields.find(
    (field) => UNSAFE_FIELD.test(field) || field.split(".").some((part) => part === ""),
  );
  return bad === undefined
    ? undefined
    : `"${bad}" is not a usable field name (no /, \\, :, control characters or empty parts)`;
}

export function validateTimeZone(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return undefined;
  } catch {
    return `must be an IANA time zone such as UTC or Europe/Berlin; got "${zone}"`;
  }
}

export function validatePathFormat(format: string, partitioner: PartitionerName): string | undefined {
  if (partitioner !== "time") return undefined;
  if (format.trim() === "")
    return "is required with the time partitioner, e.g. 'year'=YYYY/'month'=MM/'day'=dd";
  let sample: string;
  try {
    sample = new TimeFormat(format, "UTC").format(Date.UTC(2024, 0, 2, 3, 4, 5));
  } catch (error) {
    return (error as Error).message;
  }
  return isCleanHdfsPath(`/${sample}`)
    ? undefined
    : `must yield a relative path without empty, "." or ".." segments, ":" or control characters; "${format}" yields "${sample}"`;
}

// ---- time ----------------------------------------------------------------------------------------

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

const FORMATTERS = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time of the instant `ms` in `zone`. */
function wallTime(ms: number, zone: string): WallTime {
  let formatter = FORMATTERS.get(zone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    FORMATTERS.set(zone, formatter);
  }
  const parts: Record<string, number> = {};
  for (const part of formatter.formatToParts(ms)) parts[part.type] = Number(part.value);
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
    millisecond: ((ms % 1000) + 1000) % 1000,
  };
}

/** How far `zone`'s wall clock is ahead of UTC at the instant `ms`. */
export function zoneOffsetMs(ms: number, zone: string): number {
  const t = wallTime(ms, zone);
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, t.millisecond) - ms;
}

/**
 * The start of the bucket of length `durationMs` that holds `ms`, buckets aligned to midnight of `zone`'s
 * wall clock (as Confluent's TimeBasedPartitioner): hourly buckets start on the hour, daily ones at
 * local midnight.
 */
export function bucketStart(ms: number, durationMs: number, zone: string): number {
  const local = ms + zoneOffsetMs(ms, zone);
  const localStart = Math.floor(local / durationMs) * durationMs;
  const guess = localStart - zoneOffsetMs(ms, zone);
  return localStart - zoneOffsetMs(guess, zone);
}

type Token = { literal: string } | { field: keyof WallTime | "yearOfCentury"; width: number };

const LETTERS: Record<string, keyof WallTime> = {
  Y: "year",
  y: "year",
  M: "month",
  d: "day",
  H: "hour",
  m: "minute",
  s: "second",
  S: "millisecond",
};

/** A Joda-Time pattern restricted to numeric fields (YYYY yyyy YY MM dd HH mm ss SSS) and 'quoted text'. */
export class TimeFormat {
  readonly #tokens: Token[] = [];
  readonly #zone: string;

  constructor(pattern: string, zone: string) {
    this.#zone = zone;
    let i = 0;
    while (i < pattern.length) {
      const c = pattern[i] as string;
      if (c === "'") {
        const close = pattern.indexOf("'", i + 1);
        if (close < 0) throw new Error(`"${pattern}" has an unclosed quote`);
        this.#tokens.push({ literal: close === i + 1 ? "'" : pattern.slice(i + 1, close) });
        i = close + 1;
      } else if (/[A-Za-z]/.test(c)) {
        let j = i;
        while (pattern[j] === c) j++;
        const width = j - i;
        const field = LETTERS[c];
        if (field === undefined || (c === "M" && width > 2)) {
          throw new Error(
            `"${pattern}" uses the pattern letters "${pattern.slice(i, j)}", which Sluice does not support; use YYYY, MM, dd, HH, mm, ss or quote the text`,
          );
        }
        this.#tokens.push({
          field: (c === "Y" || c === "y") && width === 2 ? "yearOfCentury" : field,
          width,
        });
        i = j;
      } else {
        this.#tokens.push({ literal: c });
        i++;
      }
    }
  }

  format(ms: number): string {
    const t = wallTime(ms, this.#zone);
    return this.#tokens
      .map((token) => {
        if ("literal" in token) return token.literal;
        const value = token.field === "yearOfCentury" ? t.year % 100 : t[token.field];
        return String(value).padStart(token.width, "0");
      })
      .join("");
  }

  /** A regex matching what `format` yields, with one capture group per field, and those fields in order. */
  parser(): { regex: RegExp; fields: Array<keyof WallTime | "yearOfCentury"> } {
    const fields: Array<keyof WallTime | "yearOfCentury"> = [];
    const source = this.#tokens
      .map((token) => {
        if ("literal" in token) return token.literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        fields.push(token.field);
        return token.width > 1 ? `(\\d{${token.width},})` : "(\\d+)";
      })
      .join("");
    return { regex: new RegExp(`^${source}$`), fields };
  }

  /** The instant of the wall time encoded in `text` (a `format` output), or null when it is not one. */
  parse(text: string): number | null {
    const { regex, fields } = this.parser();
    const match = regex.exec(text);
    if (match === null) return null;
    const t: WallTime = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, millisecond: 0 };
    fields.forEach((field, index) => {
      const value = Number(match[index + 1]);
      if (field === "yearOfCentury") t.year = 2000 + value;
      else t[field] = value;
    });
    const local = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, t.millisecond);
    const guess = local - zoneOffsetMs(local, this.#zone);
    return local - zoneOffsetMs(guess, this.#zone);
  }
}

// ---- partitioners --------------------------------------------------------------------------------

/** Where a record's file goes, below its topic's directory. */
export interface Partitioner {
  /**
   * The directory of `record`, written at `time` (the extractor's time), as relative `/`-separated
   * segments that are safe path components. DataError when the record lacks what the partitioner needs.
   */
  encode(record: SinkRecord, time: number): string;
}

/** The value at a dotted path of a record value, or undefined. */
export function fieldValue(value: unknown, dotted: string): unknown {
  let current = value;
  for (const part of dotted.split(".")) {
    if (current === null || typeof current !== "object" || current instanceof Uint8Array) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

export interface PartitionerSettings {
  partitioner: PartitionerName;
  partitionFields: readonly string[];
  pathFormat: string;
  partitionDurationMs: number;
  timeZone: string;
}

export function createPartitioner(settings: PartitionerSettings): Partitioner {
  const layout = timeLayout(settings.partitioner, settings.pathFormat, settings.partitionDurationMs);
  if (layout !== null) {
    const format = new TimeFormat(layout.pathFormat, settings.timeZone);
    let cached: { bucket: number; path: string } | null = null;
    return {
      encode: (_record, time) => {
        const bucket = bucketStart(time, layout.durationMs, settings.timeZone);
        if (cached?.bucket !== bucket) cached = { bucket, path: format.format(bucket) };
        return cached.path;
      },
    };
  }
  if (settings.partitioner === "field") {
    return {
      encode: (record) =>
        settings.partitionFields
          .map((field) => {
            const value = fieldValue(record.value, field);
            if (
              typeof value === "string" ||
              typeof value === "number" ||
              typeof value === "bigint" ||
              typeof value === "boolean"
            ) {
              return `${field}=${segmentValue(String(value))}`;
            }
            throw new DataError(
              `the field partitioner needs "${field}" to be a string, number or boolean; record ${record.topic}-${record.kafkaPartition}@${record.kafkaOffset} has ${value === undefined ? "no such field" : JSON.stringify(value === null ? null : typeof value)}`,
            );
          })
          .join("/"),
    };
  }
  return { encode: (record) => `partition=${record.kafkaPartition}` };
}

/** The time of a record per timestamp.extractor; DataError when RecordField finds no usable time. */
export function recordTime(
  extractor: TimestampExtractorName,
  field: string,
  record: SinkRecord,
  now: number,
): number {
  if (extractor === "Wallclock") return now;
  if (extractor === "Record") return record.timestamp;
  const value = fieldValue(record.value, field);
  const time =
    typeof value === "number"
      ? value
      : typeof value === "bigint"
        ? Number(value)
        : typeof value === "string"
          ? /^-?\d+$/.test(value)
            ? Number(value)
            : Date.parse(value)
          : value instanceof Date
            ? value.getTime()
            : Number.NaN;
  if (!Number.isFinite(time)) {
    throw new DataError(
      `timestamp.field "${field}" of record ${record.topic}-${record.kafkaPartition}@${record.kafkaOffset} is not epoch milliseconds or an ISO-8601 time: ${JSON.stringify(typeof value === "bigint" ? String(value) : (value ?? null))}`,
    );
  }
  return time;
}
