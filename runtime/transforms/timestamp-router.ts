import { ConfigDef, type ParsedConfig } from "../api/config.ts";
import { DataError } from "../api/errors.ts";
import { JavaDateFormat } from "./java-date-format.ts";
import type { Transformation, TransformationPlugin } from "./transformation.ts";

const TOPIC = "${topic}";
const TIMESTAMP = "${timestamp}";

function dateFormatProblem(pattern: string): string | undefined {
  try {
    new JavaDateFormat(pattern);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const config = new ConfigDef()
  .define({
    name: "topic.format",
    type: "string",
    default: `${TOPIC}-${TIMESTAMP}`,
    description: `The new topic name; ${TOPIC} and ${TIMESTAMP} are replaced.`,
  })
  .define({
    name: "timestamp.format",
    type: "string",
    default: "yyyyMMdd",
    description: `A SimpleDateFormat pattern (UTC) for the record's timestamp in ${TIMESTAMP}.`,
    validate: dateFormatProblem,
  });

/**
 * Kafka Connect's TimestampRouter: routes each record to a topic named from its topic and timestamp,
 * e.g. `orders-20240131`. A record without a timestamp raises DataError.
 */
function timestampRouter(parsed: ParsedConfig): Transformation {
  const topicFormat = parsed.string("topic.format");
  const format = new JavaDateFormat(parsed.string("timestamp.format"));
  return {
    apply(record) {
      if (record.timestamp === undefined)
        throw new DataError("TimestampRouter needs a record timestamp; it has none");
      const topic = topicFormat
        .replaceAll(TOPIC, record.topic)
        .replaceAll(TIMESTAMP, format.format(record.timestamp));
      return { ...record, topic };
    },
  };
}

export const timestampRouterPlugin: TransformationPlugin = {
  type: "transformation",
  className: "org.apache.kafka.connect.transforms.TimestampRouter",
  aliases: ["TimestampRouter"],
  description: "Routes records to a topic named from the topic and the record's timestamp.",
  config,
  create: timestampRouter,
};
