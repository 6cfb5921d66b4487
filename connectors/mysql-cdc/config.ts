import { ConfigDef, ConfigError, type FieldError, type ParsedConfig } from "../../runtime/api/index.ts";
import { ColumnFilter, patternProblem, TableFilter } from "./filters.ts";
import type {
  BigIntUnsignedHandlingMode,
  BinaryHandlingMode,
  DecimalHandlingMode,
  TimePrecisionMode,
  TypeModes,
} from "./types.ts";

/** `snapshot.mode` values; `schema_only` is Debezium's older spelling of `no_data`. */
export const SNAPSHOT_MODES = [
  "initial",
  "initial_only",
  "no_data",
  "schema_only",
  "when_needed",
  "never",
  "always",
] as const;
export type SnapshotMode = (typeof SNAPSHOT_MODES)[number];

const MASK_KEY = /^column\.mask\.with\.(\d+)\.chars$/;

const exclusive = (other: string) => (_value: string, config: ParsedConfig) =>
  config.originals[other] !== undefined && config.originals[other].trim() !== ""
    ? `cannot be combined with ${other}; set only one of them`
    : undefined;

const patterns = (mutuallyExclusiveWith?: string) => (value: string, config: ParsedConfig) =>
  patternProblem(value) ??
  (mutuallyExclusiveWith ? exclusive(mutuallyExclusiveWith)(value, config) : undefined);

/** The keys of the mysql-cdc connector, spelled as Debezium's MySQL connector spells them. */
export const mysqlCdcConfig = new ConfigDef()
  .define({
    name: "database.hostname",
    type: "string",
    importance: "high",
    group: "Connection",
    example: "127.0.0.1",
    description: "The host name or IP address of the MySQL or MariaDB server.",
    validate: (host) => (host.trim() === "" ? "must name a host" : undefined),
  })
  .define({
    name: "database.port",
    type: "int",
    default: 3306,
    min: 1,
    max: 65535,
    group: "Connection",
    description: "The server's port.",
  })
  .define({
    name: "database.user",
    type: "string",
    importance: "high",
    group: "Connection",
    example: "sluice",
    description:
      "The user the connector logs in as; it needs REPLICATION SLAVE, REPLICATION CLIENT (MariaDB: BINLOG MONITOR), SELECT and, for snapshots with snapshot.locking.mode=minimal, RELOAD.",
  })
  .define({
    name: "database.password",
    type: "password",
    default: "",
    group: "Connection",
    description: "The user's password.",
  })
  .define({
    name: "database.server.id",
    type: "int",
    importance: "high",
    min: 1,
    max: 4_294_967_295,
    group: "Connection",
    example: "184054",
    description:
      "The numeric id the connector joins the replication topology with; unique among the server, its replicas and every other binlog reader.",
  })
  .define({
    name: "connect.timeout.ms",
    type: "int",
    default: 30_000,
    min: 1,
    group: "Connection",
    description: "How long to wait for a connection to the server before giving up.",
  })
  .define({
    name: "topic.prefix",
    type: "string",
    importance: "high",
    example: "dbserver1",
    description:
      "The logical name of the server: the prefix of every topic (`<topic.prefix>.<db>.<table>`), the schema-change topic itself, and the source partition `{server: <topic.prefix>}`. Do not change it once events were written.",
    validate: (prefix) =>
      /^[A-Za-z0-9._-]+$/.test(prefix)
        ? undefined
        : "may hold only letters, digits, dots, hyphens and underscores",
  })
  .define({
    name: "database.include.list",
    type: "string",
    default: null,
    group: "Filters",
    example: "inventory,orders_.*",
    description: "Regular expressions (anchored, comma-separated) of the databases to capture; default: all.",
    validate: patterns("database.exclude.list"),
  })
  .define({
    name: "database.exclude.list",
    type: "string",
    default: null,
    group: "Filters",
    description: "Regular expressions of databases not to capture.",
    validate: patterns(),
  })
  .define({
    name: "table.include.list",
    type: "string",
    default: null,
    group: "Filters",
    example: "inventory\\.customers,inventory\\.orders",
    description:
      "Regular expressions of the tables (`db.table`) to capture; default: every table of the captured databases.",
    validate: patterns("table.exclude.list"),
  })
  .define({
    name: "table.exclude.list",
    type: "string",
    default: null,
    group: "Filters",
    description: "Regular expressions of tables (`db.table`) not to capture.",
    validate: patterns(),
  })
  .define({
    name: "table.ignore.builtin",
    type: "boolean",
    default: true,
    group: "Filters",
    description: "Skip the system databases mysql, sys, performance_schema and information_schema.",
  })
  .define({
    name: "column.include.list",
    type: "string",
    default: null,
    group: "Filters",
    description:
      "Regular expressions of the columns (`db.table.column`) to put into change-event values; default: all.",
    validate: patterns("column.exclude.list"),
  })
  .define({
    name: "column.exclude.list",
    type: "string",
    default: null,
    group: "Filters",
    example: "inventory\\.customers\\.password_hash",
    description:
      "Regular expressions of columns (`db.table.column`) to leave out of change-event values (keys keep them).",
    validate: patterns(),
  })
  .define({
    name: "snapshot.mode",
    type: "string",
    default: "initial",
    oneOf: SNAPSHOT_MODES,
    group: "Snapshot",
    description:
      "initial: snapshot when there is no offset (or the last snapshot did not finish), then stream; initial_only: snapshot, then stop; no_data (schema_only): no rows, stream from the current position; when_needed: as initial, and again when the stored position is gone from the server; never: stream from the stored position or from the oldest binlog; always: snapshot at every start.",
  })
  .define({
    name: "snapshot.locking.mode",
    type: "string",
    default: "minimal",
    oneOf: ["minimal", "none"],
    group: "Snapshot",
    description:
      "minimal: hold a global read lock only while reading the binlog position and the table definitions; none: no lock (safe only when no DDL runs during the snapshot; on MariaDB the position then comes from the consistent snapshot itself).",
  })
  .define({
    name: "snapshot.lock.timeout.ms",
    type: "int",
    default: 10_000,
    min: 1,
    group: "Snapshot",
    description: "How long to wait for the global read lock before the snapshot fails.",
  })
  .define({
    name: "tombstones.on.delete",
    type: "boolean",
    default: true,
    description:
      "Follow each delete event with a tombstone (the key with a null value) so that compaction can drop the key.",
  })
  .define({
    name: "decimal.handling.mode",
    type: "string",
    default: "precise",
    oneOf: ["precise", "double", "string"],
    group: "Types",
    description: "DECIMAL as Kafka Connect's Decimal (exact), as a double, or as its exact text.",
  })
  .define({
    name: "time.precision.mode",
    type: "string",
    default: "adaptive_time_microseconds",
    oneOf: ["adaptive_time_microseconds", "adaptive", "connect"],
    group: "Types",
    description:
      "adaptive_time_microseconds: Debezium's types at the column's precision, TIME in microseconds; adaptive: the same, TIME(0-3) in milliseconds; connect: Kafka Connect's Date, Time and Timestamp (milliseconds).",
  })
  .define({
    name: "bigint.unsigned.handling.mode",
    type: "string",
    default: "long",
    oneOf: ["long", "precise"],
    group: "Types",
    description:
      "BIGINT UNSIGNED as int64 (values above 2^63-1 wrap to negative, as in Debezium) or as a Decimal with scale 0 (exact).",
  })
  .define({
    name: "binary.handling.mode",
    type: "string",
    default: "bytes",
    oneOf: ["bytes", "base64", "base64-url-safe", "hex"],
    group: "Types",
    description: "BINARY, VARBINARY and BLOB values as bytes or as base64, base64url or hex text.",
  })
  .define({
    name: "include.schema.changes",
    type: "boolean",
    default: true,
    description: "Publish each schema change (DDL) of a captured database to the `<topic.prefix>` topic.",
  })
  .define({
    name: "include.query",
    type: "boolean",
    default: false,
    description:
      "Put the SQL statement behind each streamed change into source.query (MariaDB: needs binlog_annotate_row_events=ON; MySQL: binlog_rows_query_log_events=ON).",
  })
  .define({
    name: "heartbeat.interval.ms",
    type: "int",
    default: 0,
    min: 0,
    description:
      "How often to send a heartbeat record, which moves the stored offset forward while no captured table changes; 0: never.",
  })
  .define({
    name: "topic.heartbeat.prefix",
    type: "string",
    default: "__debezium-heartbeat",
    description: "Heartbeats go to `<topic.heartbeat.prefix>.<topic.prefix>`.",
  })
  .define({
    name: "max.batch.size",
    type: "int",
    default: 2048,
    min: 1,
    group: "Performance",
    description: "The most records one poll returns; also the number of rows each snapshot query reads.",
  })
  .define({
    name: "max.queue.size",
    type: "int",
    default: 8192,
    min: 2,
    group: "Performance",
    description:
      "The most streamed records held in memory; when the queue is full the binlog connection is paused until the engine catches up. Must exceed max.batch.size.",
    validate: (size, config) => {
      const batch = Number(config.originals["max.batch.size"] ?? 2048);
      return Number.isFinite(batch) && size <= batch
        ? `must be larger than max.batch.size (${batch})`
        : undefined;
    },
  })
  .define({
    name: "poll.interval.ms",
    type: "int",
    default: 500,
    min: 1,
    group: "Performance",
    description: "How long a poll waits for new change events before returning none (at most 5000).",
  })
  .define({
    name: "schema.history.internal.file.filename",
    type: "string",
    default: null,
    example: "/var/lib/sluice/dbserver1-schema-history.jsonl",
    description:
      "A file that keeps the table definitions by binlog position, so that after a restart events written before and after a DDL carry the column attributes (nullability, defaults, JSON) they were written with. Without it those attributes come from the current table definitions; column names and values always come from the binlog itself.",
  });

/** The typed settings of a config parsed with `mysqlCdcConfig`. */
export interface MySqlCdcSettings {
  readonly hostname: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly serverId: number;
  readonly connectTimeoutMs: number;
  readonly topicPrefix: string;
  readonly tables: TableFilter;
  readonly columns: ColumnFilter;
  readonly snapshotMode: SnapshotMode;
  readonly snapshotLocking: "minimal" | "none";
  readonly snapshotLockTimeoutMs: number;
  readonly tombstonesOnDelete: boolean;
  readonly modes: TypeModes;
  readonly includeSchemaChanges: boolean;
  readonly includeQuery: boolean;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTopic: string;
  readonly maxBatchSize: number;
  readonly maxQueueSize: number;
  readonly pollIntervalMs: number;
  readonly schemaHistoryFile: string | null;
}

/** Every `column.mask.with.N.chars` key of a config, with N; problems name the key. */
function maskRules(config: ParsedConfig): {
  rules: Array<{ length: number; list: string }>;
  errors: FieldError[];
} {
  const rules: Array<{ length: number; list: string }> = [];
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(config.originals)) {
    const match = MASK_KEY.exec(key);
    if (!match) {
      if (key.startsWith("column.mask.with.")) {
        errors.push({
          field: key,
          message: "must be spelled column.mask.with.<N>.chars with N a whole number",
        });
      }
      continue;
    }
    const problem = patternProblem(value);
    if (problem) errors.push({ field: key, message: problem });
    else rules.push({ length: Number(match[1]), list: value });
  }
  return { rules, errors };
}

/** The typed settings; throws ConfigError naming each bad key (also the dynamic mask keys). */
export function mysqlCdcSettings(config: ParsedConfig): MySqlCdcSettings {
  const masks = maskRules(config);
  if (masks.errors.length > 0) throw new ConfigError(masks.errors);
  return {
    hostname: config.string("database.hostname"),
    port: config.int("database.port"),
    user: config.string("database.user"),
    password: config.string("database.password"),
    serverId: config.int("database.server.id"),
    connectTimeoutMs: config.int("connect.timeout.ms"),
    topicPrefix: config.string("topic.prefix"),
    tables: new TableFilter({
      databaseInclude: config.optionalString("database.include.list"),
      databaseExclude: config.optionalString("database.exclude.list"),
      tableInclude: config.optionalString("table.include.list"),
      tableExclude: config.optionalString("table.exclude.list"),
      ignoreBuiltin: config.boolean("table.ignore.builtin"),
    }),
    columns: new ColumnFilter(
      config.optionalString("column.include.list"),
      config.optionalString("column.exclude.list"),
      masks.rules,
    ),
    snapshotMode: config.string("snapshot.mode") as SnapshotMode,
    snapshotLocking: config.string("snapshot.locking.mode") as "minimal" | "none",
    snapshotLockTimeoutMs: config.int("snapshot.lock.timeout.ms"),
    tombstonesOnDelete: config.boolean("tombstones.on.delete"),
    modes: {
      decimal: config.string("decimal.handling.mode") as DecimalHandlingMode,
      time: config.string("time.precision.mode") as TimePrecisionMode,
      bigintUnsigned: config.string("bigint.unsigned.handling.mode") as BigIntUnsignedHandlingMode,
      binary: config.string("binary.handling.mode") as BinaryHandlingMode,
    },
    includeSchemaChanges: config.boolean("include.schema.changes"),
    includeQuery: config.boolean("include.query"),
    heartbeatIntervalMs: config.int("heartbeat.interval.ms"),
    heartbeatTopic: `${config.string("topic.heartbeat.prefix")}.${config.string("topic.prefix")}`,
    maxBatchSize: config.int("max.batch.size"),
    maxQueueSize: config.int("max.queue.size"),
    pollIntervalMs: Math.min(config.int("poll.interval.ms"), 5_000),
    schemaHistoryFile: config.optionalString("schema.history.internal.file.filename"),
  };
}

/** Whether this snapshot mode ever reads rows. */
export function snapshotsData(mode: SnapshotMode): boolean {
  return mode !== "no_data" && mode !== "schema_only" && mode !== "never";
}
