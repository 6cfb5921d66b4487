import { DataError } from "../api/errors.ts";
import type { Schema } from "../api/records.ts";
import { describeKind, isPlainObject } from "../converters/values.ts";
import type { Part } from "./record-part.ts";

/**
 * Structs as transforms see them: a `struct` schema with named fields and a plain object value.
 * Schemaless records carry plain objects (Kafka Connect's maps) with no schema.
 */

export type FieldSchema = Schema & { field: string };

/** The value as a plain object; throws DataError saying what needed one. */
export function requireObject(value: unknown, purpose: string): Record<string, unknown> {
  if (!isPlainObject(value))
    throw new DataError(`${purpose} needs an object value, got ${describeKind(value)}`);
  return value;
}

/** The fields of a struct schema; throws DataError when `schema` is not a struct schema. */
export function structFields(schema: Schema | undefined, purpose: string): FieldSchema[] {
  if (schema?.type !== "struct")
    throw new DataError(`${purpose} needs a struct schema, got ${schema?.type ?? "none"}`);
  return schema.fields ?? [];
}

/** The part's value as an object: a struct when the part has a schema, else a schemaless map. */
export function requireFields(part: Part, purpose: string): Record<string, unknown> {
  if (part.schema !== undefined) structFields(part.schema, purpose);
  return requireObject(part.value, purpose);
}

/** The schema of the field `name`, or undefined when the struct schema has none. */
export function fieldSchema(schema: Schema, name: string): FieldSchema | undefined {
  return schema.fields?.find((field) => field.field === name);
}

/**
 * A struct schema like `base` (name, version, doc, parameters, optional) with `fields` instead of its
 * own. The default is dropped (it would not fit the new fields), and so is a field name `base` had.
 */
export function structWithFields(base: Schema & { field?: string }, fields: FieldSchema[]): Schema {
  const { default: _default, fields: _fields, field: _field, ...basics } = base;
  return { ...basics, type: "struct", fields };
}

/** `schema` as the struct field `name`. */
export function asField(schema: Schema, name: string): FieldSchema {
  return { ...schema, field: name };
}

/** A field's schema on its own, without the field's name. */
export function withoutFieldName(schema: FieldSchema): Schema {
  const { field: _field, ...rest } = schema;
  return rest;
}

/**
 * Caches a schema derivation per input schema object, so that records sharing a schema also share the
 * derived one (which keeps the converters' per-schema caches warm). Schemas are treated as immutable.
 */
export function perSchema(derive: (schema: Schema) => Schema): (schema: Schema) => Schema {
  const cache = new WeakMap<Schema, Schema>();
  return (schema) => {
    let derived = cache.get(schema);
    if (derived === undefined) {
      derived = derive(schema);
      cache.set(schema, derived);
    }
    return derived;
  };
}
