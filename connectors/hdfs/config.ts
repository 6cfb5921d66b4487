import { ConfigDef, type ParsedConfig } from "../../runtime/api/index.ts";
import { FORMAT_CLASSES, type FormatName, formatOf } from "./format.ts";
import {
  PARTITIONER_CLASSES,
  type PartitionerName,
  partitionerOf,
  TIMESTAMP_EXTRACTORS,
  type TimestampExtractorName,
  validateFieldNames,
  validatePathFormat,
  validateTimeZone,
} from "./partitioner.ts";
import { normalizeRoot } from "./paths.ts";

const FIVE_MINUTES = 300_000;

/** Accepts WebHDFS addresses: http(s)://, or webhdfs:// and swebhdfs:// as Hadoop spells them. */
function webhdfsBase(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return undefined;
  }
  const scheme = { "http:": "http:", "https:": "https:", "webhdfs:": "http:", "swebhdfs:": "https:" }[
    parsed.protocol
  ];
  if (scheme === undefined || parsed.host === "") return undefined;
  return `${scheme}//${parsed.host}`;
}

/** The keys of Confluent's HDFS sink that Sluice implements, plus `hdfs.user` and the compaction keys. */
export const hdfsConfig = new ConfigDef()
  .define({
    name: "hdfs.url",
    type: "string",
    example: "http://namenode:9870",
    importance: "high",
    group: "HDFS",
    description:
      "The NameNode's WebHDFS address (http://host:port, or webhdfs://host:port). The RPC form hdfs://host:8020 is not supported: Sluice talks to HDFS through WebHDFS only.",
    validate: (url) =>
      webhdfsBase(url) === undefined
        ? `must be the NameNode's WebHDFS address, e.g. http://namenode:9870; got "${url}"${url.startsWith("hdfs://") ? " (hdfs:// is Hadoop RPC, which Sluice does not speak; use the NameNode's HTTP port)" : ""}`
        : undefined,
  })
  .define({
    name: "hdfs.user",
    type: "string",
    default: null,
    example: "etl",
    importance: "high",
    group: "HDFS",
    description:
      "The HDFS user that owns the files (WebHDFS user.name, simple authentication). Default: $HADOOP_USER_NAME, else the NameNode's static user.",
    validate: (user) => (/^[^\s/:]+$/.test(user) ? undefined : "must be a user name without spaces, / or :"),
  })
  .define({
    name: "topics.dir",
    type: "string",
    default: "topics",
    example: "/data/topics",
    importance: "high",
    group: "HDFS",
    description:
      "The directory that holds one directory per topic; relative paths are taken from the HDFS root. Temp files live in its +tmp directory.",
    validate: (dir) =>
      normalizeRoot(dir) === undefined
        ? 'must be a path without "..", "." , ":" or control characters'
        : undefined,
  })
  .define({
    name: "logs.dir",
    type: "string",
    default: "logs",
    example: "/data/logs",
    importance: "high",
    group: "HDFS",
    description:
      "The directory of the write-ahead logs (one per topic partition) that make commits exactly-once, and of compaction manifests.",
    validate: (dir, config) => {
      const root = normalizeRoot(dir);
      if (root === undefined) return 'must be a path without "..", ".", ":" or control characters';
      const topics = normalizeRoot(config.originals["topics.dir"] ?? "topics");
      if (
        topics !== undefined &&
        (root === topics || root.startsWith(`${topics}/`) || topics.startsWith(`${root}/`))
      ) {
        return `must not overlap topics.dir (${topics})`;
      }
      return undefined;
    },
  })
  .define({
    name: "format.class",
    type: "string",
    default: "json",
    oneOf: [...FORMAT_CLASSES.keys()],
    importance: "high",
    group: "Files",
    description:
      "The file format: json (JSON lines, .json), json.gz (gzip-compressed JSON lines, .json.gz), parquet (.parquet) or avro (.avro). Confluent's io.confluent.connect.hdfs.{json.JsonFormat,avro.AvroFormat,parquet.ParquetFormat} are accepted. Parquet and Avro need records with a struct value schema.",
  })
  .define({
    name: "flush.size",
    type: "int",
    default: 10_000,
    min: 1,
    importance: "high",
    group: "Files",
    description:
      "Records per file: a file that holds this many is committed. All open files of a topic partition commit together.",
  })
  .define({
    name: "rotate.interval.ms",
    type: "int",
    default: -1,
    min: -1,
    group: "Files",
    description:
      "Commit a file once its records span this long by the timestamp extractor's time (record time for Record/RecordField, the wall clock for Wallclock). -1: off.",
    validate: (ms) => (ms === 0 ? "must be -1 (off) or positive" : undefined),
  })
  .define({
    name: "rotate.schedule.interval.ms",
    type: "int",
    default: FIVE_MINUTES,
    min: -1,
    importance: "high",
    group: "Files",
    description:
      "Commit every open file at each multiple of this interval by the wall clock in `timezone` (e.g. 300000: at :00, :05, :10 …), even when the topic is quiet. -1: off.",
    validate: (ms) => (ms === 0 ? "must be -1 (off) or positive" : undefined),
  })
  .define({
    name: "partitioner.class",
    type: "string",
    default: "default",
    oneOf: [...PARTITIONER_CLASSES.keys()],
    importance: "high",
    group: "Partitioning",
    description:
      "How records are spread over directories: default (partition=<kafka partition>), field (<field>=<value>/… of partition.field.name) or time (path.format of the timestamp). Confluent's io.confluent.connect.storage.partitioner.{Default,Field,TimeBased,Hourly,Daily}Partitioner are accepted.",
  })
  .define({
    name: "partition.field.name",
    type: "list",
    default: [],
    example: "region,country",
    group: "Partitioning",
    description:
      "The value fields (dotted for nested ones) whose values name the directories of the field partitioner.",
    validate: (fields, config) =>
      validateFieldNames(fields, partitionerOf(config.originals["partitioner.class"] ?? "default")),
  })
  .define({
    name: "path.format",
    type: "string",
    default: "",
    example: "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH",
    group: "Partitioning",
    description:
      "The time partitioner's directory pattern in Joda-Time syntax: YYYY/yyyy, MM, dd, HH, mm, ss and 'quoted literals'; it must stay relative (no leading /, no ..).",
    validate: (format, config) =>
      validatePathFormat(format, partitionerOf(config.originals["partitioner.class"] ?? "default")),
  })
  .define({
    name: "partition.duration.ms",
    type: "int",
    default: -1,
    min: -1,
    example: "3600000",
    group: "Partitioning",
    description: "The time partitioner's bucket length: each directory holds the records of one bucket.",
    validate: (ms, config) =>
      partitionerOf(config.originals["partitioner.class"] ?? "default") === "time" && ms <= 0
        ? "must be positive with the time partitioner"
        : undefined,
  })
  .define({
    name: "timezone",
    type: "string",
    default: "UTC",
    example: "Europe/Berlin",
    group: "Partitioning",
    description: "The IANA time zone of path.format, of time buckets and of rotate.schedule.interval.ms.",
    validate: validateTimeZone,
  })
  .define({
    name: "locale",
    type: "string",
    default: "en",
    group: "Partitioning",
    description:
      "Accepted for Confluent compatibility; path.format patterns Sluice supports are numeric only.",
  })
  .define({
    name: "timestamp.extractor",
    type: "string",
    default: "Wallclock",
    oneOf: [...TIMESTAMP_EXTRACTORS],
    group: "Partitioning",
    description:
      "The time of a record for the time partitioner and rotate.interval.ms: Wallclock (when it is written), Record (its Kafka timestamp) or RecordField (timestamp.field).",
  })
  .define({
    name: "timestamp.field",
    type: "string",
    default: "timestamp",
    group: "Partitioning",
    description:
      "With RecordField: the value field (dotted for nested) holding epoch milliseconds or an ISO-8601 string.",
  })
  .define({
    name: "compaction.redis.url",
    type: "string",
    default: null,
    example: "redis://127.0.0.1:6379",
    group: "Compaction",
    description:
      "The Redis of the BullMQ queue that schedules and runs this connector's compactions. Unset: no compaction.",
    validate: (url) => (/^rediss?:\/\/./.test(url) ? undefined : "must be a redis:// or rediss:// URL"),
  })
  .define({
    name: "compaction.schedule",
    type: "string",
    default: "0 2 * * *",
    example: "0 2 * * *",
    group: "Compaction",
    description:
      "When compaction runs: a cron pattern (5 fields, or 6 with seconds first). Default: nightly at 02:00.",
    validate: (pattern) => {
      const fields = pattern.trim().split(/\s+/).length;
      return fields === 5 || fields === 6
        ? undefined
        : `must be a cron pattern of 5 or 6 fields; got "${pattern}"`;
    },
  })
  .define({
    name: "compaction.timezone",
    type: "string",
    default: "UTC",
    group: "Compaction",
    description: "The IANA time zone of compaction.schedule.",
    validate: validateTimeZone,
  })
  .define({
    name: "compaction.target.size",
    type: "int",
    default: 134_217_728,
    min: 1,
    group: "Compaction",
    description:
      "The largest merged file in bytes (default 128 MiB, one HDFS block). Runs of consecutive smaller files of one topic partition in one directory are merged up to it.",
  });

/** An HDFS sink config, typed. */
export interface HdfsSettings {
  readonly url: string;
  readonly user: string | null;
  /** Absolute, clean (see normalizeRoot). */
  readonly topicsDir: string;
  readonly logsDir: string;
  readonly format: FormatName;
  readonly flushSize: number;
  /** null: off. */
  readonly rotateIntervalMs: number | null;
  readonly rotateScheduleIntervalMs: number | null;
  readonly partitioner: PartitionerName;
  readonly partitionFields: readonly string[];
  readonly pathFormat: string;
  readonly partitionDurationMs: number;
  readonly timeZone: string;
  readonly timestampExtractor: TimestampExtractorName;
  readonly timestampField: string;
  readonly compaction: {
    readonly redisUrl: string | null;
    readonly schedule: string;
    readonly timeZone: string;
    readonly targetSize: number;
  };
}

/** The typed settings of a config parsed with `hdfsConfig`. */
export function hdfsSettings(config: ParsedConfig): HdfsSettings {
  const positive = (ms: number) => (ms > 0 ? ms : null);
  const user = config.optionalString("hdfs.user") || process.env.HADOOP_USER_NAME || null;
  return {
    url: webhdfsBase(config.string("hdfs.url")) as string,
    user,
    topicsDir: normalizeRoot(config.string("topics.dir")) as string,
    logsDir: normalizeRoot(config.string("logs.dir")) as string,
    format: formatOf(config.string("format.class")),
    flushSize: config.int("flush.size"),
    rotateIntervalMs: positive(config.int("rotate.interval.ms")),
    rotateScheduleIntervalMs: positive(config.int("rotate.schedule.interval.ms")),
    partitioner: partitionerOf(config.string("partitioner.class")),
    partitionFields: config.list("partition.field.name"),
    pathFormat: config.string("path.format"),
    partitionDurationMs: config.int("partition.duration.ms"),
    timeZone: config.string("timezone"),
    timestampExtractor: config.string("timestamp.extractor") as TimestampExtractorName,
    timestampField: config.string("timestamp.field"),
    compaction: {
      redisUrl: config.optionalString("compaction.redis.url") || null,
      schedule: config.string("compaction.schedule").trim(),
      timeZone: config.string("compaction.timezone"),
      targetSize: config.int("compaction.target.size"),
    },
  };
}
