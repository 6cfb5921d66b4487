import type { Header, Schema, SourceOffset, SourcePartition, SourceRecord } from "../../runtime/api/index.ts";
import type { ColumnFilter } from "./filters.ts";
import { type ColumnDef, type TableDef, tableKey } from "./table-schema.ts";
import { type ColumnMapping, columnMapping, defaultValue, isCharacterType, type TypeModes } from "./types.ts";

/**
 * Debezium's change-event envelope: key = the primary-key columns; value = {before, after, source,
 * transaction, op, ts_ms, ts_us, ts_ns}, with Kafka Connect schemas on both, so that JsonConverter with
 * schemas.enable=true writes the JSON Debezium writes.
 */

export const CONNECTOR_VERSION = "0.1.0";

type Field = Schema & { field: string };

function field(name: string, schema: Schema): Field {
  return { ...schema, field: name };
}

const STRING: Schema = { type: "string", optional: false };
const OPTIONAL_STRING: Schema = { type: "string", optional: true };
const INT64: Schema = { type: "int64", optional: false };
const OPTIONAL_INT64: Schema = { type: "int64", optional: true };

/** Where a change came from: the `source` block of every change event. */
export interface SourceInfo {
  /** Milliseconds since the epoch at which the change was made (binlog header) or read (snapshot). */
  tsMs: number;
  /** "true" | "first" | "last" during a snapshot, "false" while streaming. */
  snapshot: "true" | "first" | "last" | "false";
  db: string;
  table: string | null;
  serverId: number;
  gtid: string | null;
  file: string;
  pos: number;
  row: number;
  thread: number | null;
  query: string | null;
}

/** Debezium's `io.debezium.connector.mysql.Source` schema. */
export const SOURCE_SCHEMA: Schema = {
  type: "struct",
  optional: false,
  name: "io.debezium.connector.mysql.Source",
  version: 1,
  fields: [
    field("version", STRING),
    field("connector", STRING),
    field("name", STRING),
    field("ts_ms", INT64),
    field("snapshot", {
      type: "string",
      optional: true,
      name: "io.debezium.data.Enum",
      version: 1,
      parameters: {
        allowed: "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental",
      },
      default: "false",
    }),
    field("db", STRING),
    field("sequence", OPTIONAL_STRING),
    field("ts_us", OPTIONAL_INT64),
    field("ts_ns", OPTIONAL_INT64),
    field("table", OPTIONAL_STRING),
    field("server_id", INT64),
    field("gtid", OPTIONAL_STRING),
    field("file", STRING),
    field("pos", INT64),
    field("row", { type: "int32", optional: false }),
    field("thread", OPTIONAL_INT64),
    field("query", OPTIONAL_STRING),
  ],
};

const TRANSACTION_SCHEMA: Schema = {
  type: "struct",
  optional: true,
  name: "event.block",
  version: 1,
  fields: [field("id", STRING), field("total_order", INT64), field("data_collection_order", INT64)],
};

/** The `source` struct of a change. */
export function sourceStruct(serverName: string, info: SourceInfo): Record<string, unknown> {
  return {
    version: CONNECTOR_VERSION,
    connector: "mysql",
    name: serverName,
    ts_ms: info.tsMs,
    snapshot: info.snapshot,
    db: info.db,
    sequence: null,
    ts_us: info.tsMs * 1000,
    ts_ns: BigInt(info.tsMs) * 1_000_000n,
    table: info.table,
    server_id: info.serverId,
    gtid: info.gtid,
    file: info.file,
    pos: info.pos,
    row: info.row,
    thread: info.thread,
    query: info.query,
  };
}

/** Processing-time fields of an envelope. */
function processingTime(): { ts_ms: number; ts_us: number; ts_ns: bigint } {
  const ms = Date.now();
  return { ts_ms: ms, ts_us: ms * 1000, ts_ns: BigInt(ms) * 1_000_000n };
}

/** What shapes every record of a connector: its names, modes and column rules. */
export interface EnvelopeSettings {
  readonly topicPrefix: string;
  readonly modes: TypeModes;
  readonly tombstonesOnDelete: boolean;
  readonly columns: ColumnFilter;
}

interface ColumnPlan {
  readonly column: ColumnDef;
  readonly mapping: ColumnMapping;
  readonly mask: string | null;
}

export type Operation = "c" | "u" | "d" | "r";

/** A row image as read: raw values by column name. */
export type RawRow = Readonly<Record<string, unknown>>;

/**
 * Turns rows of one table version into change records. Built once per table definition (the schema
 * objects are shared by every record of that version).
 */
export class TableEnvelope {
  readonly topic: string;
  readonly keySchema: Schema | undefined;
  readonly valueSchema: Schema;
  readonly #settings: EnvelopeSettings;
  readonly #key: ColumnPlan[];
  readonly #value: ColumnPlan[];

  constructor(def: TableDef, settings: EnvelopeSettings) {
    this.#settings = settings;
    const prefix = `${settings.topicPrefix}.${def.db}.${def.table}`;
    this.topic = prefix;
    const plan = (column: ColumnDef): ColumnPlan => {
      const mapping = columnMapping(column, settings.modes);
      const defaulted = defaultValue(column, mapping);
      const schema: Schema = {
        ...mapping.schema,
        ...(defaulted !== undefined && defaulted !== null ? { default: defaulted } : {}),
        ...(column.comment !== null ? { doc: column.comment } : {}),
      };
      const length = settings.columns.maskLength(def, column.name);
      return {
        column,
        mapping: { schema, convert: mapping.convert },
        mask: length !== null && isCharacterType(column) ? "*".repeat(length) : null,
      };
    };
    const byName = new Map(def.columns.map((c) => [c.name, c]));
    this.#key = def.primaryKey.flatMap((name) => {
      const column = byName.get(name);
      return column ? [plan({ ...column, optional: false })] : [];
    });
    this.#value = def.columns.filter((c) => settings.columns.includes(def, c.name)).map(plan);
    this.keySchema =
      this.#key.length === 0
        ? undefined
        : {
            type: "struct",
            optional: false,
            name: `${prefix}.Key`,
            fields: this.#key.map((p) => field(p.column.name, p.mapping.schema)),
          };
    const rowSchema: Schema = {
      type: "struct",
      optional: true,
      name: `${prefix}.Value`,
      fields: this.#value.map((p) => field(p.column.name, p.mapping.schema)),
    };
    this.valueSchema = {
      type: "struct",
      optional: false,
      name: `${prefix}.Envelope`,
      version: 2,
      fields: [
        field("before", rowSchema),
        field("after", rowSchema),
        field("source", SOURCE_SCHEMA),
        field("transaction", TRANSACTION_SCHEMA),
        field("op", STRING),
        field("ts_ms", OPTIONAL_INT64),
        field("ts_us", OPTIONAL_INT64),
        field("ts_ns", OPTIONAL_INT64),
      ],
    };
  }

  #struct(plans: readonly ColumnPlan[], row: RawRow): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const { column, mapping, mask } of plans) {
      const raw = row[column.name];
      out[column.name] = raw === null || raw === undefined ? null : (mask ?? mapping.convert(raw));
    }
    return out;
  }

  /** The record key of a row: the primary-key struct, or null for a table without one. */
  key(row: RawRow): Record<string, unknown> | null {
    return this.#key.length === 0 ? null : this.#struct(this.#key, row);
  }

  /**
   * The records of one row change: one record, or for a delete a record and (tombstones.on.delete) a
   * tombstone, or for an update that changes the primary key a delete, a tombstone and a create.
   * `offsetOf(i, count)` gives the source offset of the i-th of the row's `count` records.
   */
  records(
    op: Operation,
    before: RawRow | null,
    after: RawRow | null,
    source: Record<string, unknown>,
    partition: SourcePartition,
    offsetOf: (index: number, count: number) => SourceOffset,
  ): SourceRecord[] {
    const envelope = (operation: Operation, b: RawRow | null, a: RawRow | null) => ({
      before: b === null ? null : this.#struct(this.#value, b),
      after: a === null ? null : this.#struct(this.#value, a),
      source,
      transaction: null,
      op: operation,
      ...processingTime(),
    });
    const parts: Array<{ key: unknown; value: unknown; headers: Header[] }> = [];
    const tombstone = (key: unknown) => {
      if (this.#settings.tombstonesOnDelete) parts.push({ key, value: null, headers: [] });
    };
    const oldKey = before === null ? null : this.key(before);
    const newKey = after === null ? null : this.key(after);
    if (op === "u" && before !== null && after !== null && !sameKey(oldKey, newKey)) {
      parts.push({
        key: oldKey,
        value: envelope("d", before, null),
        headers: [{ key: "__debezium.newkey", value: keyText(newKey) }],
      });
      tombstone(oldKey);
      parts.push({
        key: newKey,
        value: envelope("c", null, after),
        headers: [{ key: "__debezium.oldkey", value: keyText(oldKey) }],
      });
    } else if (op === "d") {
      parts.push({ key: oldKey, value: envelope("d", before, null), headers: [] });
      tombstone(oldKey);
    } else {
      parts.push({ key: newKey ?? oldKey, value: envelope(op, before, after), headers: [] });
    }
    return parts.map(({ key, value, headers }, index) => ({
      topic: this.topic,
      key,
      keySchema: this.keySchema,
      value,
      valueSchema: value === null ? undefined : this.valueSchema,
      headers,
      sourcePartition: partition,
      sourceOffset: offsetOf(index, parts.length),
    }));
  }
}

function sameKey(a: Record<string, unknown> | null, b: Record<string, unknown> | null): boolean {
  return keyText(a) === keyText(b);
}

/** The key as JSON text, for the __debezium.oldkey/newkey headers and key comparison. */
function keyText(key: Record<string, unknown> | null): string | null {
  if (key === null) return null;
  return JSON.stringify(key, (_k, v: unknown) => {
    if (typeof v === "bigint") return v.toString();
    if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
    return v;
  });
}

/** Caches one TableEnvelope per table definition, so that schemas are built once per table version. */
export class EnvelopeCache {
  readonly #settings: EnvelopeSettings;
  readonly #byTable = new Map<string, { fingerprint: string; envelope: TableEnvelope }>();

  constructor(settings: EnvelopeSettings) {
    this.#settings = settings;
  }

  envelope(def: TableDef): TableEnvelope {
    const fingerprint = JSON.stringify(def);
    const key = tableKey(def);
    const cached = this.#byTable.get(key);
    if (cached?.fingerprint === fingerprint) return cached.envelope;
    const envelope = new TableEnvelope(def, this.#settings);
    this.#byTable.set(key, { fingerprint, envelope });
    return envelope;
  }
}

const HEARTBEAT_KEY_SCHEMA: Schema = {
  type: "struct",
  optional: false,
  name: "io.debezium.connector.common.ServerNameKey",
  version: 1,
  fields: [field("serverName", STRING)],
};

const HEARTBEAT_VALUE_SCHEMA: Schema = {
  type: "struct",
  optional: false,
  name: "io.debezium.connector.common.Heartbeat",
  version: 1,
  fields: [field("ts_ms", INT64)],
};

/** Debezium's heartbeat record: it carries an offset forward while no captured table changes. */
export function heartbeatRecord(
  topic: string,
  serverName: string,
  partition: SourcePartition,
  offset: SourceOffset,
): SourceRecord {
  return {
    topic,
    key: { serverName },
    keySchema: HEARTBEAT_KEY_SCHEMA,
    value: { ts_ms: Date.now() },
    valueSchema: HEARTBEAT_VALUE_SCHEMA,
    headers: [],
    sourcePartition: partition,
    sourceOffset: offset,
  };
}

const SCHEMA_CHANGE_KEY_SCHEMA: Schema = {
  type: "struct",
  optional: false,
  name: "io.debezium.connector.mysql.SchemaChangeKey",
  version: 1,
  fields: [field("databaseName", STRING)],
};

const COLUMN_SCHEMA: Schema = {
  type: "struct",
  optional: false,
  name: "io.debezium.connector.schema.Column",
  version: 1,
  fields: [
    field("name", STRING),
    field("jdbcType", { type: "int32", optional: false }),
    field("nativeType", { type: "int32", optional: true }),
    field("typeName", STRING),
    field("typeExpression", OPTIONAL_STRING),
    field("charsetName", OPTIONAL_STRING),
    field("length", { type: "int32", optional: true }),
    field("scale", { type: "int32", optional: true }),
    field("position", { type: "int32", optional: false }),
    field("optional", { type: "boolean", optional: true }),
    field("autoIncremented", { type: "boolean", optional: true }),
    field("generated", { type: "boolean", optional: true }),
    field("comment", OPTIONAL_STRING),
    field("defaultValueExpression", OPTIONAL_STRING),
    field("enumValues", { type: "array", optional: true, items: STRING }),
  ],
};

const TABLE_SCHEMA: Schema = {
  type: "struct",
  optional: true,
  name: "io.debezium.connector.schema.Table",
  version: 1,
  fields: [
    field("defaultCharsetName", OPTIONAL_STRING),
    field("primaryKeyColumnNames", { type: "array", optional: true, items: STRING }),
    field("columns", { type: "array", optional: false, items: COLUMN_SCHEMA }),
    field("comment", OPTIONAL_STRING),
  ],
};

const CHANGE_SCHEMA: Schema = {
  type: "struct",
  optional: false,
  name: "io.debezium.connector.schema.Change",
  version: 1,
  fields: [field("type", STRING), field("id", STRING), field("table", TABLE_SCHEMA)],
};

const SCHEMA_CHANGE_VALUE_SCHEMA: Schema = {
  type: "struct",
  optional: false,
  name: "io.debezium.connector.mysql.SchemaChangeValue",
  version: 1,
  fields: [
    field("source", SOURCE_SCHEMA),
    field("ts_ms", INT64),
    field("databaseName", OPTIONAL_STRING),
    field("schemaName", OPTIONAL_STRING),
    field("ddl", OPTIONAL_STRING),
    field("tableChanges", { type: "array", optional: false, items: CHANGE_SCHEMA }),
  ],
};

/** java.sql.Types of each MySQL type, as Debezium's schema-change events report `jdbcType`. */
const JDBC_TYPES: Readonly<Record<string, number>> = {
  bit: -7,
  tinyint: -6,
  smallint: 5,
  mediumint: 4,
  int: 4,
  integer: 4,
  bigint: -5,
  float: 7,
  double: 8,
  real: 8,
  decimal: 3,
  numeric: 2,
  char: 1,
  varchar: 12,
  tinytext: 12,
  text: -1,
  mediumtext: -1,
  longtext: -1,
  json: 1,
  enum: 1,
  set: 1,
  binary: -2,
  varbinary: -3,
  tinyblob: -3,
  blob: 2004,
  mediumblob: 2004,
  longblob: 2004,
  date: 91,
  time: 92,
  datetime: 93,
  timestamp: 2014,
  year: 4,
  geometry: 1111,
};

export type TableChangeType = "CREATE" | "ALTER" | "DROP";

/** One entry of a schema-change event's `tableChanges`, in Debezium's shape. */
export function tableChange(type: TableChangeType, def: TableDef): Record<string, unknown> {
  return {
    type,
    id: `"${def.db}"."${def.table}"`,
    table: {
      defaultCharsetName: def.defaultCharset,
      primaryKeyColumnNames: [...def.primaryKey],
      columns: def.columns.map((c, i) => ({
        name: c.name,
        jdbcType: JDBC_TYPES[c.type] ?? 1111,
        nativeType: null,
        typeName: c.type.toUpperCase() + (c.unsigned ? " UNSIGNED" : ""),
        typeExpression: c.type.toUpperCase() + (c.unsigned ? " UNSIGNED" : ""),
        charsetName: c.charset,
        length: c.length ?? c.precision ?? (c.fsp > 0 ? c.fsp : null),
        scale: c.scale,
        position: i + 1,
        optional: c.optional,
        autoIncremented: c.autoIncrement,
        generated: c.generated,
        comment: c.comment,
        defaultValueExpression: c.defaultExpression,
        enumValues: c.values ? [...c.values] : null,
      })),
      comment: def.comment,
    },
  };
}

/** Debezium's schema-change record on the `<topic.prefix>` topic, keyed by database name. */
export function schemaChangeRecord(
  topicPrefix: string,
  databaseName: string,
  ddl: string,
  source: Record<string, unknown>,
  changes: Array<Record<string, unknown>>,
  partition: SourcePartition,
  offset: SourceOffset,
): SourceRecord {
  return {
    topic: topicPrefix,
    key: { databaseName },
    keySchema: SCHEMA_CHANGE_KEY_SCHEMA,
    value: { source, ts_ms: Date.now(), databaseName, schemaName: null, ddl, tableChanges: changes },
    valueSchema: SCHEMA_CHANGE_VALUE_SCHEMA,
    headers: [],
    sourcePartition: partition,
    sourceOffset: offset,
  };
}
