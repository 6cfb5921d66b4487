import { ConfigDef, type ParsedConfig } from "../api/config.ts";
import { keyAndValuePlugins, partOf, type Side, withPart } from "./record-part.ts";
import { asField, perSchema, structWithFields } from "./struct.ts";
import type { Transformation } from "./transformation.ts";

const config = new ConfigDef().define({
  name: "field",
  type: "string",
  description: "The name of the single field that wraps the key or value.",
});

/**
 * Kafka Connect's HoistField: wraps the key or value in an object with one field (a struct schema with
 * one field when it has a schema). As in Kafka Connect, a null is wrapped too.
 */
function hoistField(parsed: ParsedConfig, side: Side): Transformation {
  const name = parsed.string("field");
  const hoistedSchema = perSchema((schema) => structWithFields({ type: "struct" }, [asField(schema, name)]));
  return {
    apply(record) {
      const part = partOf(record, side);
      return withPart(record, side, {
        value: { [name]: part.value ?? null },
        schema: part.schema && hoistedSchema(part.schema),
      });
    },
  };
}

export const hoistFieldPlugins = keyAndValuePlugins({
  name: "HoistField",
  description: "Wraps the whole key or value in an object with a single named field.",
  config,
  create: hoistField,
});
