import { ConfigDef, type ParsedConfig } from "../api/config.ts";
import { DataError } from "../api/errors.ts";
import type { Schema } from "../api/records.ts";
import { describeKind, isPlainObject, ownField } from "../converters/values.ts";
import { keyAndValuePlugins, partTransformation, type Side } from "./record-part.ts";
import {
  asField,
  type FieldSchema,
  perSchema,
  requireFields,
  structFields,
  structWithFields,
} from "./struct.ts";
import type { Transformation } from "./transformation.ts";

const config = new ConfigDef().define({
  name: "delimiter",
  type: "string",
  default: ".",
  description: "Put between the names of nested fields to form the flattened field's name.",
});

/** Scalars, bytes and arrays are copied into the flattened object unchanged. */
function keepsAsIs(item: unknown): boolean {
  return typeof item !== "object" || item === null || Array.isArray(item) || item instanceof Uint8Array;
}

/**
 * Kafka Connect's Flatten: lifts the fields of nested objects to the top level, naming each by its path
 * (`address.city`). Arrays, bytes and scalars stay as they are. With a schema, nested structs are
 * flattened and a field becomes optional when any struct above it is; map fields are refused, as in
 * Kafka Connect. A null nested struct yields nulls for all of its fields.
 */
function flatten(parsed: ParsedConfig, side: Side): Transformation {
  const delimiter = parsed.string("delimiter");
  const join = (prefix: string, name: string) => (prefix === "" ? name : `${prefix}${delimiter}${name}`);

  const flattenMap = (
    value: Record<string, unknown>,
    prefix: string,
    out: Array<[string, unknown]>,
  ): void => {
    for (const [name, item] of Object.entries(value)) {
      const path = join(prefix, name);
      if (isPlainObject(item)) flattenMap(item, path, out);
      else if (keepsAsIs(item)) out.push([path, item ?? null]);
      else throw new DataError(`Flatten cannot flatten a ${describeKind(item)} at "${path}"`);
    }
  };

  const flattenFields = (
    fields: FieldSchema[],
    prefix: string,
    optional: boolean,
    out: FieldSchema[],
  ): void => {
    for (const field of fields) {
      const path = join(prefix, field.field);
      const fieldOptional = optional || field.optional === true;
      if (field.type === "struct") flattenFields(field.fields ?? [], path, fieldOptional, out);
      else if (field.type === "map") throw new DataError(`Flatten does not support the map field "${path}"`);
      else out.push(asField({ ...field, optional: fieldOptional }, path));
    }
  };

  const flattenStruct = (
    schema: Schema,
    value: unknown,
    prefix: string,
    out: Array<[string, unknown]>,
  ): void => {
    const object = isPlainObject(value) ? value : {};
    for (const field of schema.fields ?? []) {
      const item = ownField(object, field.field) ?? null;
      if (field.type === "struct") flattenStruct(field, item, join(prefix, field.field), out);
      else out.push([join(prefix, field.field), item]);
    }
  };

  const flattenedSchema = perSchema((schema) => {
    const out: FieldSchema[] = [];
    flattenFields(structFields(schema, "Flatten"), "", schema.optional === true, out);
    return structWithFields(schema, out);
  });

  return partTransformation(side, (part) => {
    const value = requireFields(part, "Flatten");
    const out: Array<[string, unknown]> = [];
    if (part.schema === undefined) {
      flattenMap(value, "", out);
      return { value: Object.fromEntries(out), schema: undefined };
    }
    const schema = flattenedSchema(part.schema);
    flattenStruct(part.schema, value, "", out);
    return { value: Object.fromEntries(out), schema };
  });
}

export const flattenPlugins = keyAndValuePlugins({
  name: "Flatten",
  description: "Flattens nested objects into top-level fields named by their path.",
  config,
  create: flatten,
});
