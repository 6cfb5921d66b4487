import { ConfigDef, type ParsedConfig } from "../api/config.ts";
import { ConfigError } from "../api/errors.ts";
import type { ConnectRecord, Header, Schema } from "../api/records.ts";
import { JsonData } from "../converters/json-data.ts";
import { isPlainObject, ownField } from "../converters/values.ts";
import { withPart } from "./record-part.ts";
import {
  asField,
  type FieldSchema,
  fieldSchema,
  perSchema,
  structWithFields,
  withoutFieldName,
} from "./struct.ts";
import type { Transformation, TransformationPlugin } from "./transformation.ts";

const MODES = ["drop", "tombstone", "rewrite", "rewrite-with-tombstone"] as const;
const LEGACY_DELETE_MODES = ["drop", "rewrite", "none"] as const;

const config = new ConfigDef()
  .define({
    name: "delete.tombstone.handling.mode",
    type: "string",
    default: null,
    oneOf: MODES,
    description:
      "drop: drop deletes and tombstones; tombstone (the default): turn each delete into a tombstone and drop " +
      'the source\'s tombstones; rewrite: emit the deleted row with __deleted="true" and drop tombstones; ' +
      "rewrite-with-tombstone: as rewrite, keeping tombstones.",
  })
  .define({
    name: "delete.handling.mode",
    type: "string",
    default: "drop",
    oneOf: LEGACY_DELETE_MODES,
    description:
      "Deprecated (use delete.tombstone.handling.mode): drop, none (a null value) or rewrite deletes.",
  })
  .define({
    name: "drop.tombstones",
    type: "boolean",
    default: true,
    description: "Deprecated (use delete.tombstone.handling.mode): drop the source's tombstones.",
  })
  .define({
    name: "add.fields",
    type: "list",
    default: [],
    example: "op,table,source.ts_ms",
    description:
      "Envelope fields to add to the row, named with add.fields.prefix: op → __op, source.ts_ms → __source_ts_ms; " +
      "unqualified names other than op and ts_* are read from source. field:name sets the added name.",
  })
  .define({
    name: "add.fields.prefix",
    type: "string",
    default: "__",
    description: "Prefix of added field names.",
  })
  .define({
    name: "add.headers",
    type: "list",
    default: [],
    example: "op,source.ts_ms",
    description: "Envelope fields to add as headers, named as for add.fields with add.headers.prefix.",
  })
  .define({
    name: "add.headers.prefix",
    type: "string",
    default: "__",
    description: "Prefix of added header names.",
  });

/** What happens to deletes, to the source's tombstones, and whether rows carry `__deleted`. */
interface DeleteHandling {
  tombstones: "drop" | "keep";
  deletes: "drop" | "tombstone" | "rewrite";
}

function deleteHandlingOf(parsed: ParsedConfig): DeleteHandling {
  const mode = parsed.optionalString("delete.tombstone.handling.mode");
  const legacy = ["delete.handling.mode", "drop.tombstones"].some((key) => key in parsed.originals);
  if (mode === null && legacy) {
    const deletes = parsed.string("delete.handling.mode");
    return {
      tombstones: parsed.boolean("drop.tombstones") ? "drop" : "keep",
      deletes: deletes === "none" ? "tombstone" : (deletes as "drop" | "rewrite"),
    };
  }
  switch (mode ?? "tombstone") {
    case "drop":
      return { tombstones: "drop", deletes: "drop" };
    case "rewrite":
      return { tombstones: "drop", deletes: "rewrite" };
    case "rewrite-with-tombstone":
      return { tombstones: "keep", deletes: "rewrite" };
    default:
      return { tombstones: "drop", deletes: "tombstone" };
  }
}

const TOP_LEVEL_FIELDS = new Set(["op", "ts_ms", "ts_us", "ts_ns"]);
const TRANSACTION_FIELDS = new Set(["id", "total_order", "data_collection_order"]);

/** One entry of add.fields or add.headers: where the value is in the envelope and what to call it. */
interface EnvelopeField {
  struct: string | undefined;
  field: string;
  name: string;
}

function envelopeFieldsOf(parsed: ParsedConfig, key: "add.fields" | "add.headers"): EnvelopeField[] {
  const prefix = parsed.string(`${key}.prefix`);
  return parsed.list(key).map((entry) => {
    const [path = "", rename, extra] = entry.split(":");
    const [first = "", second, deeper] = path.split(".");
    if (extra !== undefined || deeper !== undefined || first === "" || second === "" || rename === "") {
      throw new ConfigError([
        { field: key, message: `"${entry}" is not field, struct.field or either with :name` },
      ]);
    }
    const field = second ?? first;
    const struct =
      second !== undefined
        ? first
        : TOP_LEVEL_FIELDS.has(field)
          ? undefined
          : TRANSACTION_FIELDS.has(field)
            ? "transaction"
            : "source";
    const name = prefix + (rename ?? (second !== undefined ? `${first}_${second}` : field));
    return { struct, field, name };
  });
}

/** The schema of a referenced field: in its struct, else on the envelope itself (added by an earlier transform). */
function referencedSchema(envelopeSchema: Schema, { struct, field }: EnvelopeField): FieldSchema | undefined {
  const parent = struct === undefined ? envelopeSchema : fieldSchema(envelopeSchema, struct);
  return (parent && fieldSchema(parent, field)) ?? fieldSchema(envelopeSchema, field);
}

/**
 * The value of a referenced field, looked up as its schema is; undefined when the field is absent
 * (with a schema: when the schema lacks it; a null struct such as a snapshot's transaction gives null).
 */
function referencedValue(
  envelope: Record<string, unknown>,
  envelopeSchema: Schema | undefined,
  reference: EnvelopeField,
): { value: unknown } | undefined {
  const { struct, field } = reference;
  const parent = struct === undefined ? envelope : ownField(envelope, struct);
  const found = isPlainObject(parent) && Object.hasOwn(parent, field) ? { value: parent[field] } : undefined;
  const value = found ?? (Object.hasOwn(envelope, field) ? { value: envelope[field] } : undefined);
  if (envelopeSchema === undefined) return value;
  return referencedSchema(envelopeSchema, reference) === undefined
    ? undefined
    : { value: value?.value ?? null };
}

const headerJson = new JsonData({ decimalFormat: "BASE64", replaceNullWithDefault: true });

function headerValue(value: unknown): string | Uint8Array | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || value instanceof Uint8Array) return value;
  if (typeof value === "object") return JSON.stringify(headerJson.toJson(undefined, value));
  return String(value);
}

/** A Debezium change event: schema named `*.Envelope`, or schemaless with `op` and `before`/`after`. */
function isEnvelope(record: ConnectRecord): record is ConnectRecord & { value: Record<string, unknown> } {
  if (!isPlainObject(record.value)) return false;
  if (record.valueSchema !== undefined) return record.valueSchema.name?.endsWith(".Envelope") === true;
  const value = record.value;
  return typeof value.op === "string" && (Object.hasOwn(value, "after") || Object.hasOwn(value, "before"));
}

/**
 * Debezium's io.debezium.transforms.ExtractNewRecordState: replaces a change event with the row state
 * after the change (with its schema), handles deletes and tombstones as configured, and copies envelope
 * fields into the row (add.fields) or headers (add.headers). Records that are not change events pass
 * unchanged; a truncate (no before, no after) is dropped. Beyond Debezium, schemaless change events
 * (plain objects with `op` and `before`/`after`) are unwrapped too.
 */
function extractNewRecordState(parsed: ParsedConfig): Transformation {
  const handling = deleteHandlingOf(parsed);
  const addedFields = envelopeFieldsOf(parsed, "add.fields");
  const addedHeaders = envelopeFieldsOf(parsed, "add.headers");
  const rewrite = handling.deletes === "rewrite";

  const stateSchema = (envelopeSchema: Schema, stateField: "before" | "after"): Schema => {
    const state = fieldSchema(envelopeSchema, stateField);
    const fields = [...(state?.fields ?? [])];
    for (const added of addedFields) {
      const found = referencedSchema(envelopeSchema, added);
      if (found === undefined) continue;
      const { default: _default, ...basics } = withoutFieldName(found);
      fields.push(asField({ ...basics, optional: true }, added.name));
    }
    if (rewrite) fields.push(asField({ type: "string", optional: true }, "__deleted"));
    return structWithFields(state ?? { type: "struct", optional: true }, fields);
  };
  const afterSchema = perSchema((schema) => stateSchema(schema, "after"));
  const beforeSchema = perSchema((schema) => stateSchema(schema, "before"));

  const envelopeHeaders = (record: ConnectRecord & { value: Record<string, unknown> }): Header[] => {
    const headers = [...record.headers];
    for (const added of addedHeaders) {
      const found = referencedValue(record.value, record.valueSchema, added);
      if (found) headers.push({ key: added.name, value: headerValue(found.value) });
    }
    return headers;
  };

  /** A kept tombstone gets only the `op` header, as "d". */
  const tombstoneHeaders = (record: ConnectRecord): Header[] => {
    const op = addedHeaders.find((header) => header.struct === undefined && header.field === "op");
    return op ? [...record.headers, { key: op.name, value: "d" }] : record.headers;
  };

  const rowOf = (
    record: ConnectRecord & { value: Record<string, unknown> },
    state: unknown,
    deleted: string,
  ) => {
    const entries = Object.entries(isPlainObject(state) ? state : {});
    for (const added of addedFields) {
      const found = referencedValue(record.value, record.valueSchema, added);
      if (found) entries.push([added.name, found.value]);
    }
    if (rewrite) entries.push(["__deleted", deleted]);
    return Object.fromEntries(entries);
  };

  return {
    apply(record) {
      if (record.value === null || record.value === undefined) {
        return handling.tombstones === "drop" ? null : { ...record, headers: tombstoneHeaders(record) };
      }
      if (!isEnvelope(record)) return record;
      const schema = record.valueSchema;
      const before = ownField(record.value, "before") ?? null;
      const after = ownField(record.value, "after") ?? null;
      if (before === null && after === null) return null;
      const unwrapped = { ...record, headers: envelopeHeaders(record) };
      if (after !== null) {
        return withPart(unwrapped, "value", {
          value: rowOf(record, after, "false"),
          schema: schema && afterSchema(schema),
        });
      }
      switch (handling.deletes) {
        case "drop":
          return null;
        case "tombstone": {
          const afterField = schema && fieldSchema(schema, "after");
          return withPart(unwrapped, "value", {
            value: null,
            schema: afterField && withoutFieldName(afterField),
          });
        }
        case "rewrite":
          return withPart(unwrapped, "value", {
            value: rowOf(record, before, "true"),
            schema: schema && beforeSchema(schema),
          });
      }
    },
  };
}

export const extractNewRecordStatePlugin: TransformationPlugin = {
  type: "transformation",
  className: "io.debezium.transforms.ExtractNewRecordState",
  aliases: ["ExtractNewRecordState"],
  description: "Unwraps Debezium change events to the row state after the change.",
  config,
  create: extractNewRecordState,
};
