import { ConfigDef, type ParsedConfig } from "../api/index.ts";
import type { ErrorHandlingConfig } from "./error-handler.ts";

/** A connector name: 1 to 249 characters, none of them '/', '\\' or a control character. */
export function isValidConnectorName(name: string): boolean {
  if (name.length === 0 || name.length > 249) return false;
  for (const char of name) {
    const code = char.codePointAt(0) ?? 0;
    if (char === "/" || char === "\\" || code < 0x20 || code === 0x7f) return false;
  }
  return true;
}

/**
 * The keys every connector config has, whatever its plugin, spelled as Kafka Connect spells them.
 * A connector's own spec is merged after these.
 */
export function commonConnectorConfig(type: "source" | "sink"): ConfigDef {
  const def = new ConfigDef()
    .define({
      name: "name",
      type: "string",
      description: "Globally unique name of the connector.",
      example: "inventory-cdc",
      importance: "high",
      validate: (v) =>
        isValidConnectorName(v)
          ? undefined
          : "must be 1-249 characters without '/', '\\' or control characters",
    })
    .define({
      name: "connector.class",
      type: "string",
      description:
        "The connector plugin: its short name (e.g. mysql-cdc) or the Java class name users already have.",
      example: "io.debezium.connector.mysql.MySqlConnector",
      importance: "high",
    })
    .define({
      name: "tasks.max",
      type: "int",
      default: 1,
      min: 1,
      description: "Maximum number of tasks.",
      importance: "high",
    })
    .define({
      name: "key.converter",
      type: "string",
      default: null,
      description: "Overrides the worker's key converter.",
    })
    .define({
      name: "value.converter",
      type: "string",
      default: null,
      description: "Overrides the worker's value converter.",
    })
    .define({
      name: "transforms",
      type: "list",
      default: [],
      description: "Aliases of the transformations to apply, in order.",
    })
    .define({
      name: "predicates",
      type: "list",
      default: [],
      description: "Aliases of the predicates used by transformations.",
    })
    .define({
      name: "errors.tolerance",
      type: "string",
      default: "none",
      oneOf: ["none", "all"],
      description:
        "none: a bad record fails the task. all: bad records are skipped (and sent to the dead-letter topic if set).",
    })
    .define({
      name: "errors.retry.timeout",
      type: "long",
      default: 0n,
      min: -1,
      description: "How long a retriable failure is retried, in ms (-1: forever).",
    })
    .define({
      name: "errors.retry.delay.max.ms",
      type: "long",
      default: 60_000n,
      min: 1,
      description: "Longest wait between retries.",
    })
    .define({
      name: "errors.log.enable",
      type: "boolean",
      default: false,
      description: "Log every tolerated error.",
    })
    .define({
      name: "errors.log.include.messages",
      type: "boolean",
      default: false,
      description: "Include the record's key and value in error logs.",
    });
  if (type === "sink") {
    def
      .define({
        name: "topics",
        type: "list",
        default: [],
        description: "Topics to consume (or topics.regex).",
        example: "dbserver1.inventory.customers",
      })
      .define({
        name: "topics.regex",
        type: "string",
        default: null,
        description: "A regular expression of the topics to consume (or topics).",
        validate: (v, config) => {
          if (config.list("topics").length > 0) return "set either topics or topics.regex, not both";
          try {
            new RegExp(v);
            return undefined;
          } catch (error) {
            return `is not a valid regular expression: ${(error as Error).message}`;
          }
        },
      })
      .define({
        name: "errors.deadletterqueue.topic.name",
        type: "string",
        default: "",
        description: "Dead-letter topic for records that fail (with errors.tolerance=all).",
      })
      .define({
        name: "errors.deadletterqueue.topic.replication.factor",
        type: "int",
        default: 1,
        min: 1,
        description: "Replication factor of the dead-letter topic when created.",
      })
      .define({
        name: "errors.deadletterqueue.context.headers.enable",
        type: "boolean",
        default: true,
        description: "Add __connect.errors.* headers saying where and why the record failed.",
      });
  } else {
    def
      .define({
        name: "errors.deadletterqueue.topic.name",
        type: "string",
        default: "",
        description:
          "Sluice addition: dead-letter topic for source records whose conversion or transformation fails.",
      })
      .define({
        name: "errors.deadletterqueue.context.headers.enable",
        type: "boolean",
        default: true,
        description: "Add __connect.errors.* headers saying where and why the record failed.",
      })
      .define({
        name: "exactly.once.support",
        type: "string",
        default: "requested",
        oneOf: ["requested", "required"],
        description:
          "required: refuse the connector unless the worker runs with exactly.once.source.support=enabled. requested: exactly-once when the worker has it, at-least-once otherwise.",
      })
      .define({
        name: "transaction.boundary",
        type: "string",
        default: "poll",
        oneOf: ["poll", "interval", "connector"],
        description:
          "With exactly-once delivery, what one Kafka transaction holds: every batch the task returns from one poll (poll), or everything polled in transaction.boundary.interval.ms (interval; fewer, larger transactions). connector (boundaries the connector defines) is not supported yet.",
      })
      .define({
        name: "transaction.boundary.interval.ms",
        type: "int",
        default: null,
        min: 1,
        description:
          "With transaction.boundary=interval, how long a transaction stays open; default: the worker's offset.flush.interval.ms.",
      })
      .define({
        name: "topic.creation.default.partitions",
        type: "int",
        default: 1,
        min: 1,
        description: "Partitions of topics the connector writes to, when Sluice creates them.",
      })
      .define({
        name: "topic.creation.default.replication.factor",
        type: "int",
        default: 1,
        min: -1,
        description: "Replication factor of topics Sluice creates.",
      });
  }
  return def;
}

/** What of the worker's config the connector keys are checked against. */
export interface WorkerCapabilities {
  /** exactly.once.source.support=enabled */
  readonly exactlyOnceSource: boolean;
}

/** Checks the rules between keys, and against the worker, that a per-key validator cannot see. */
export function crossFieldErrors(
  type: "source" | "sink",
  config: ParsedConfig,
  worker: WorkerCapabilities,
): Array<{ field: string; message: string }> {
  if (type === "sink") {
    if (config.list("topics").length === 0 && config.optionalString("topics.regex") === null) {
      return [{ field: "topics", message: "a sink connector needs topics or topics.regex" }];
    }
    return [];
  }
  const errors: Array<{ field: string; message: string }> = [];
  if (config.string("exactly.once.support") === "required" && !worker.exactlyOnceSource) {
    errors.push({
      field: "exactly.once.support",
      message:
        "is required, but this worker runs with exactly.once.source.support=disabled; enable it in the worker config or set exactly.once.support=requested",
    });
  }
  if (config.string("transaction.boundary") === "connector") {
    errors.push({
      field: "transaction.boundary",
      message: "connector-defined transaction boundaries are not supported yet; use poll or interval",
    });
  }
  return errors;
}

export function errorHandlingConfig(config: ParsedConfig): ErrorHandlingConfig {
  return {
    tolerance: config.string("errors.tolerance") as "none" | "all",
    retryTimeoutMs: Number(config.long("errors.retry.timeout")),
    retryDelayMaxMs: Number(config.long("errors.retry.delay.max.ms")),
    logEnable: config.boolean("errors.log.enable"),
    logIncludeMessages: config.boolean("errors.log.include.messages"),
    dlqTopic: config.string("errors.deadletterqueue.topic.name"),
    dlqContextHeaders: config.boolean("errors.deadletterqueue.context.headers.enable"),
  };
}
