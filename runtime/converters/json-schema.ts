import { DataError } from "../api/errors.ts";
import type { Schema, SchemaType } from "../api/records.ts";
import { JsonNumber, type JsonTree } from "./exact-json.ts";
import type { JsonData } from "./json-data.ts";

/**
 * Schemas in the `"schema"` half of Kafka Connect's JSON envelope. Written with Kafka's key order
 * (type; items, keys/values or fields; optional; name; version; doc; parameters; default; and `field`
 * last inside a struct's field) so that the bytes match what Kafka Connect writes.
 */

const SCHEMA_TYPES: ReadonlySet<string> = new Set<SchemaType>([
  "int8",
  "int16",
  "int32",
  "int64",
  "float32",
  "float64",
  "boolean",
  "string",
  "bytes",
  "array",
  "map",
  "struct",
]);

/** The envelope JSON of `schema`; its default value is written through `data`. */
export function schemaToJson(schema: Schema, data: JsonData): Record<string, unknown> {
  const json: Record<string, unknown> = { type: schema.type };
  if (schema.type === "array") json.items = schema.items ? schemaToJson(schema.items, data) : null;
  if (schema.type === "map") {
    json.keys = schema.keys ? schemaToJson(schema.keys, data) : null;
    json.values = schema.values ? schemaToJson(schema.values, data) : null;
  }
  if (schema.type === "struct") {
    json.fields = (schema.fields ?? []).map((field) => ({
      ...schemaToJson(field, data),
      field: field.field,
    }));
  }
  json.optional = schema.optional ?? false;
  if (schema.name !== undefined) json.name = schema.name;
  if (schema.version !== undefined) json.version = schema.version;
  if (schema.doc !== undefined) json.doc = schema.doc;
  if (schema.parameters !== undefined) json.parameters = { ...schema.parameters };
  if (schema.default !== undefined && schema.default !== null)
    json.default = data.toJson(schema, schema.default);
  return json;
}

/**
 * The schema described by an envelope's `"schema"` node; null means "no schema" and returns undefined.
 * Throws DataError naming what is malformed.
 */
export function schemaFromJson(node: JsonTree, data: JsonData): Schema | undefined {
  return node === null ? undefined : readSchema(node, data, "schema");
}

function readSchema(node: JsonTree, data: JsonData, path: string): Schema {
  if (!isObject(node)) throw new DataError(`${path} must be a JSON object describing a schema`);
  const type = node.type;
  if (typeof type !== "string" || !SCHEMA_TYPES.has(type)) {
    throw new DataError(`${path}.type must be one of ${[...SCHEMA_TYPES].join(", ")}; got ${describe(type)}`);
  }
  const schema: Schema = { type: type as SchemaType, optional: node.optional === true };
  if (type === "array") schema.items = readSubschema(node.items, data, `${path}.items`);
  if (type === "map") {
    schema.keys = readSubschema(node.keys, data, `${path}.keys`);
    schema.values = readSubschema(node.values, data, `${path}.values`);
  }
  if (type === "struct") schema.fields = readFields(node.fields, data, `${path}.fields`);
  if (typeof node.name === "string") schema.name = node.name;
  if (node.version instanceof JsonNumber && node.version.isIntegral)
    schema.version = Number(node.version.source);
  if (typeof node.doc === "string") schema.doc = node.doc;
  if (isObject(node.parameters)) schema.parameters = readParameters(node.parameters, `${path}.parameters`);
  if (node.default !== undefined && node.default !== null) {
    schema.default = data.fromJson(schema, node.default, `${path}.default`);
  }
  return schema;
}

function readSubschema(node: JsonTree | undefined, data: JsonData, path: string): Schema {
  if (node === undefined || node === null) throw new DataError(`${path} is missing`);
  return readSchema(node, data, path);
}

function readFields(
  node: JsonTree | undefined,
  data: JsonData,
  path: string,
): Array<Schema & { field: string }> {
  if (!Array.isArray(node)) throw new DataError(`${path} must be an array of field schemas`);
  return node.map((fieldNode, index) => {
    const name = isObject(fieldNode) ? fieldNode.field : undefined;
    if (typeof name !== "string") throw new DataError(`${path}[${index}].field must be the field's name`);
    return { ...readSchema(fieldNode, data, `${path}[${index}]`), field: name };
  });
}

function readParameters(node: { [key: string]: JsonTree }, path: string): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const [key, value] of Object.entries(node)) {
    if (typeof value !== "string")
      throw new DataError(`${path}.${key} must be a string; got ${describe(value)}`);
    parameters[key] = value;
  }
  return parameters;
}

function isObject(node: JsonTree | undefined): node is { [key: string]: JsonTree } {
  return typeof node === "object" && node !== null && !Array.isArray(node) && !(node instanceof JsonNumber);
}

function describe(node: JsonTree | undefined): string {
  if (node instanceof JsonNumber) return node.source;
  return node === undefined ? "nothing" : JSON.stringify(node);
}
