import { ConfigDef } from "../api/config.ts";
import { isTombstone } from "../api/records.ts";
import { regexProblem, wholeMatchRegex } from "./java-regex.ts";
import type { PredicatePlugin } from "./transformation.ts";

/** Kafka Connect's TopicNameMatches: true when the whole topic name matches `pattern`. */
export const topicNameMatchesPlugin: PredicatePlugin = {
  type: "predicate",
  className: "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
  aliases: ["TopicNameMatches"],
  description: "True for records whose whole topic name matches a regular expression.",
  config: new ConfigDef().define({
    name: "pattern",
    type: "string",
    example: "orders-.*",
    description: "A regular expression that must match the whole topic name.",
    validate: regexProblem,
  }),
  create: (parsed) => {
    const regex = wholeMatchRegex(parsed.string("pattern"));
    return { test: (record) => regex.test(record.topic) };
  },
};

/** Kafka Connect's HasHeaderKey: true when the record has at least one header named `name`. */
export const hasHeaderKeyPlugin: PredicatePlugin = {
  type: "predicate",
  className: "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
  aliases: ["HasHeaderKey"],
  description: "True for records with a header of the given name.",
  config: new ConfigDef().define({ name: "name", type: "string", description: "The header name." }),
  create: (parsed) => {
    const name = parsed.string("name");
    return { test: (record) => record.headers.some((header) => header.key === name) };
  },
};

/** Kafka Connect's RecordIsTombstone: true when the record's value is null. */
export const recordIsTombstonePlugin: PredicatePlugin = {
  type: "predicate",
  className: "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
  aliases: ["RecordIsTombstone"],
  description: "True for tombstones: records with a null value.",
  config: new ConfigDef(),
  create: () => ({ test: isTombstone }),
};
