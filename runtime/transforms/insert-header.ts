import { ConfigDef, type ParsedConfig } from "../api/config.ts";
import type { Transformation, TransformationPlugin } from "./transformation.ts";

const config = new ConfigDef()
  .define({ name: "header", type: "string", description: "The header's name." })
  .define({ name: "value.literal", type: "string", description: "The header's value, as text." });

/** Kafka Connect's InsertHeader: adds a header with a fixed text value (after any with the same name). */
function insertHeader(parsed: ParsedConfig): Transformation {
  const header = { key: parsed.string("header"), value: parsed.string("value.literal") };
  return {
    apply: (record) => ({ ...record, headers: [...record.headers, header] }),
  };
}

export const insertHeaderPlugin: TransformationPlugin = {
  type: "transformation",
  className: "org.apache.kafka.connect.transforms.InsertHeader",
  aliases: ["InsertHeader"],
  description: "Adds a header with a fixed value.",
  config,
  create: insertHeader,
};
