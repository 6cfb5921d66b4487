import { DataError, isTombstone, jsonText, type Schema, type SinkRecord } from "../../runtime/api/index.ts";
import type { ElasticsearchSettings } from "./config.ts";

/** Elasticsearch and OpenSearch refuse longer document ids. */
const MAX_ID_BYTES = 512;

/** One bulk operation for one record: its two (or, for a delete, one) NDJSON lines. */
export interface BulkAction {
  readonly record: SinkRecord;
  readonly index: string;
  readonly id: string;
  readonly operation: "index" | "update" | "delete";
  /** `index/id`: actions with the same target must reach the server in record order. */
  readonly target: string;
  readonly lines: readonly string[];
  /** The size of the lines in the request body, newlines included. */
  readonly bytes: number;
}

function isPrimitiveKey(value: unknown): value is string | number | bigint | boolean {
  return (
    typeof value === "string" ||
    typeof value === "number" ||
    typeof value === "bigint" ||
    typeof value === "boolean"
  );
}

/**
 * The document id of a record key: a string, number or boolean as its text; bytes as UTF-8; a struct or
 * map with one field as that field's text (Debezium's single-column primary keys); any other struct as
 * its JSON text.
 */
export function documentIdOfKey(key: unknown): string {
  if (key === null || key === undefined)
    throw new DataError("the record has no key, and key.ignore=false makes the key the document id");
  let id: string;
  if (isPrimitiveKey(key)) id = String(key);
  else if (key instanceof Uint8Array) id = Buffer.from(key).toString("utf8");
  else {
    const fields = typeof key === "object" && !Array.isArray(key) ? Object.values(key) : [];
    const only = fields.length === 1 ? fields[0] : undefined;
    id = isPrimitiveKey(only) ? String(only) : jsonText(key);
  }
  if (id === "") throw new DataError("the record key is empty; a document id must not be");
  if (Buffer.byteLength(id) > MAX_ID_BYTES)
    throw new DataError(`the record key makes a document id longer than ${MAX_ID_BYTES} bytes`);
  return id;
}

/** `topic+partition+offset`, Confluent's id of a record when key.ignore=true. */
export function documentIdOfPosition(record: SinkRecord): string {
  return `${record.topic}+${record.kafkaPartition}+${record.kafkaOffset}`;
}

function action(
  record: SinkRecord,
  index: string,
  id: string,
  operation: BulkAction["operation"],
  body?: string,
): BulkAction {
  const retry = operation === "update" ? ',"retry_on_conflict":3' : "";
  const lines = [`{"${operation}":{"_index":${JSON.stringify(index)},"_id":${JSON.stringify(id)}${retry}}}`];
  if (body !== undefined) lines.push(body);
  const bytes = lines.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
  return { record, index, id, operation, target: `${index}/${id}`, lines, bytes };
}

/**
 * The bulk action of a record for `index`, or null when the record is to be skipped (a tombstone with
 * behavior.on.null.values=ignore). Throws DataError when the record cannot be written: a tombstone with
 * behavior `fail`, a missing key, a value that is not a JSON object.
 */
export function bulkActionOf(
  record: SinkRecord,
  settings: ElasticsearchSettings,
  index: string,
): BulkAction | null {
  if (isTombstone(record)) {
    if (settings.onNullValues === "ignore") return null;
    if (settings.onNullValues === "fail") {
      throw new DataError("the record has a null value (a tombstone) and behavior.on.null.values=fail");
    }
    return action(record, index, documentIdOfKey(record.key), "delete");
  }
  const value = record.value;
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    const kind = Array.isArray(value)
      ? "an array"
      : value instanceof Uint8Array
        ? "bytes"
        : `a ${typeof value}`;
    throw new DataError(`a document must be a JSON object (a struct or map); the record value is ${kind}`);
  }
  const id = settings.keyIgnore ? documentIdOfPosition(record) : documentIdOfKey(record.key);
  const document = jsonText(value);
  if (settings.writeMethod === "upsert") {
    return action(record, index, id, "update", `{"doc":${document},"doc_as_upsert":true}`);
  }
  return action(record, index, id, "index", document);
}

type Mapping = Record<string, unknown>;

const LOGICAL_MAPPINGS: Readonly<Record<string, Mapping>> = {
  "org.apache.kafka.connect.data.Timestamp": { type: "date", format: "epoch_millis" },
  "org.apache.kafka.connect.data.Decimal": { type: "double" },
  "io.debezium.time.Timestamp": { type: "date", format: "epoch_millis" },
  "io.debezium.time.ZonedTimestamp": { type: "date" },
};

const PRIMITIVE_MAPPINGS: Readonly<Record<string, Mapping>> = {
  boolean: { type: "boolean" },
  int8: { type: "byte" },
  int16: { type: "short" },
  int32: { type: "integer" },
  int64: { type: "long" },
  float32: { type: "float" },
  float64: { type: "double" },
  string: { type: "text", fields: { keyword: { type: "keyword", ignore_above: 256 } } },
  bytes: { type: "binary" },
};

/**
 * The mapping of a field of `schema`, as Confluent's connector derives it: numbers, booleans and bytes
 * to their types, strings to text with a keyword sub-field, timestamps to date (dates, which are day
 * counts, stay integers), decimals to double, structs to objects; arrays map as their items; maps are left to dynamic mapping.
 */
export function mappingOf(schema: Schema): Mapping | null {
  const logical = schema.name === undefined ? undefined : LOGICAL_MAPPINGS[schema.name];
  if (logical) return logical;
  if (schema.type === "struct") {
    const properties: Record<string, Mapping> = {};
    for (const field of schema.fields ?? []) {
      const mapping = mappingOf(field);
      if (mapping !== null) properties[field.field] = mapping;
    }
    return { properties };
  }
  if (schema.type === "array") return schema.items ? mappingOf(schema.items) : null;
  return PRIMITIVE_MAPPINGS[schema.type] ?? null;
}
