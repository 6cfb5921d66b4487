import { ConfigDef, type ParsedConfig } from "../api/config.ts";
import { ConfigError } from "../api/errors.ts";
import { javaReplacement, regexProblem, wholeMatchRegex } from "./java-regex.ts";
import type { Transformation, TransformationPlugin } from "./transformation.ts";

const config = new ConfigDef()
  .define({
    name: "regex",
    type: "string",
    example: "(.*)\\.inventory\\.(.*)",
    description: "A regular expression that must match the whole topic name.",
    validate: regexProblem,
  })
  .define({
    name: "replacement",
    type: "string",
    example: "cdc-$2",
    description:
      "The new topic name; $1 (or $ with a group name in braces) inserts a group, \\$ a dollar sign.",
  });

/** Kafka Connect's RegexRouter: renames the topic of records whose whole topic name matches `regex`. */
function regexRouter(parsed: ParsedConfig): Transformation {
  const regex = wholeMatchRegex(parsed.string("regex"));
  let replace: (match: RegExpExecArray) => string;
  try {
    replace = javaReplacement(parsed.string("replacement"), regex);
  } catch (error) {
    throw new ConfigError([{ field: "replacement", message: (error as Error).message }]);
  }
  return {
    apply(record) {
      const match = regex.exec(record.topic);
      return match ? { ...record, topic: replace(match) } : record;
    },
  };
}

export const regexRouterPlugin: TransformationPlugin = {
  type: "transformation",
  className: "org.apache.kafka.connect.transforms.RegexRouter",
  aliases: ["RegexRouter"],
  description: "Renames topics that match a regular expression.",
  config,
  create: regexRouter,
};
