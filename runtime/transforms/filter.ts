import { ConfigDef } from "../api/config.ts";
import type { TransformationPlugin } from "./transformation.ts";

/** Kafka Connect's Filter: drops every record it is applied to; pair it with a predicate. */
export const filterPlugin: TransformationPlugin = {
  type: "transformation",
  className: "org.apache.kafka.connect.transforms.Filter",
  aliases: ["Filter"],
  description: "Drops the records it applies to; use it with a predicate (and negate) to choose which.",
  config: new ConfigDef(),
  create: () => ({ apply: () => null }),
};
