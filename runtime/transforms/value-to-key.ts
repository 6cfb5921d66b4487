import { ConfigDef, type ParsedConfig } from "../api/config.ts";
import { DataError } from "../api/errors.ts";
import { ownField } from "../converters/values.ts";
import { partOf, withPart } from "./record-part.ts";
import { fieldSchema, perSchema, requireFields, structFields, structWithFields } from "./struct.ts";
import type { Transformation, TransformationPlugin } from "./transformation.ts";

const config = new ConfigDef().define({
  name: "fields",
  type: "list",
  description: "Value fields that form the new key, in this order.",
  validate: (fields) => (fields.length === 0 ? "must name at least one field" : undefined),
});

/**
 * Kafka Connect's ValueToKey: replaces the key with an object of the named value fields. Schemaless, a
 * missing field becomes null; with a schema it must exist. A null value (tombstone) passes unchanged.
 */
function valueToKey(parsed: ParsedConfig): Transformation {
  const names = parsed.list("fields");
  const keySchemaOf = perSchema((valueSchema) => {
    structFields(valueSchema, "ValueToKey");
    return structWithFields(
      { type: "struct" },
      names.map((name) => {
        const field = fieldSchema(valueSchema, name);
        if (field === undefined) throw new DataError(`ValueToKey: the value schema has no field "${name}"`);
        return field;
      }),
    );
  });
  return {
    apply(record) {
      const part = partOf(record, "value");
      if (part.value === null || part.value === undefined) return record;
      const value = requireFields(part, "ValueToKey");
      const key = Object.fromEntries(names.map((name) => [name, ownField(value, name) ?? null]));
      return withPart(record, "key", { value: key, schema: part.schema && keySchemaOf(part.schema) });
    },
  };
}

export const valueToKeyPlugin: TransformationPlugin = {
  type: "transformation",
  className: "org.apache.kafka.connect.transforms.ValueToKey",
  aliases: ["ValueToKey"],
  description: "Replaces the record key with an object of fields taken from the value.",
  config,
  create: valueToKey,
};
