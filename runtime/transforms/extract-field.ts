import { ConfigDef, type ParsedConfig } from "../api/config.ts";
import { DataError } from "../api/errors.ts";
import { ownField } from "../converters/values.ts";
import { keyAndValuePlugins, partOf, type Side, withPart } from "./record-part.ts";
import { fieldSchema, requireObject, structFields, withoutFieldName } from "./struct.ts";
import type { Transformation } from "./transformation.ts";

const config = new ConfigDef().define({
  name: "field",
  type: "string",
  description: "The field to extract.",
});

/**
 * Kafka Connect's ExtractField: replaces the key or value with one of its top-level fields (null when a
 * schemaless object lacks it). With a schema the field must exist and its schema becomes the part's; a
 * null part stays null but takes the field's schema.
 */
function extractField(parsed: ParsedConfig, side: Side): Transformation {
  const name = parsed.string("field");
  return {
    apply(record) {
      const part = partOf(record, side);
      const isNull = part.value === null || part.value === undefined;
      if (part.schema === undefined) {
        if (isNull) return record;
        return withPart(record, side, {
          value: ownField(requireObject(part.value, "ExtractField"), name) ?? null,
          schema: undefined,
        });
      }
      structFields(part.schema, "ExtractField");
      const field = fieldSchema(part.schema, name);
      if (field === undefined) throw new DataError(`ExtractField: the ${side} schema has no field "${name}"`);
      const value = isNull ? null : (ownField(requireObject(part.value, "ExtractField"), name) ?? null);
      return withPart(record, side, { value, schema: withoutFieldName(field) });
    },
  };
}

export const extractFieldPlugins = keyAndValuePlugins({
  name: "ExtractField",
  description: "Replaces the whole key or value with one of its fields.",
  config,
  create: extractField,
});
