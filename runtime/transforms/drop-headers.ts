import { ConfigDef, type ParsedConfig } from "../api/config.ts";
import type { Transformation, TransformationPlugin } from "./transformation.ts";

const config = new ConfigDef().define({
  name: "headers",
  type: "list",
  description: "Names of the headers to remove.",
  validate: (headers) => (headers.length === 0 ? "must name at least one header" : undefined),
});

/** Kafka Connect's DropHeaders: removes every header with one of the given names. */
function dropHeaders(parsed: ParsedConfig): Transformation {
  const dropped = new Set(parsed.list("headers"));
  return {
    apply: (record) => ({ ...record, headers: record.headers.filter((header) => !dropped.has(header.key)) }),
  };
}

export const dropHeadersPlugin: TransformationPlugin = {
  type: "transformation",
  className: "org.apache.kafka.connect.transforms.DropHeaders",
  aliases: ["DropHeaders"],
  description: "Removes headers by name.",
  config,
  create: dropHeaders,
};
