import { ConfigDef, type ParsedConfig } from "../../runtime/api/index.ts";
import { findQuickstart, QUICKSTARTS, type Quickstart } from "./quickstarts.ts";
import { hashString } from "./random.ts";

/** Confluent's datagen keys; `random.seed` also makes every record reproducible. */
export const datagenConfig = new ConfigDef()
  .define({
    name: "kafka.topic",
    type: "string",
    example: "users",
    importance: "high",
    description: "The topic to write to.",
    validate: (topic) => (topic.trim() === "" ? "must name a topic" : undefined),
  })
  .define({
    name: "quickstart",
    type: "string",
    oneOf: [...QUICKSTARTS.keys()],
    example: "users",
    importance: "high",
    description: "The data set to generate.",
  })
  .define({
    name: "schema.keyfield",
    type: "string",
    default: null,
    example: "userid",
    description: "The value field whose text is the record key; default: the quickstart's own key field.",
    validate: (field, config) => {
      const quickstart = findQuickstart(config.originals["quickstart"] ?? "");
      if (field === "" || quickstart === undefined) return undefined;
      const fields = quickstart.valueSchema.fields.map((f) => f.field);
      return fields.includes(field)
        ? undefined
        : `must be a field of ${quickstart.name}: ${fields.join(", ")}`;
    },
  })
  .define({
    name: "max.interval",
    type: "int",
    default: 500,
    min: 0,
    importance: "high",
    description:
      "The longest wait between records, in ms; each wait is drawn at random up to it. 0: as fast as possible, in batches.",
  })
  .define({
    name: "iterations",
    type: "int",
    default: -1,
    importance: "high",
    description:
      "How many records each task generates over its whole life (counted through its committed offset, so a restart does not start over); less than 1: no limit. A task that has generated them all stays RUNNING and idle.",
  })
  .define({
    name: "random.seed",
    type: "int",
    default: null,
    example: "42",
    description:
      "The seed of every random field: record n of task t is the same on every run with the same seed. Default: derived from the connector's name.",
  })
  .define({
    name: "schema.filename",
    type: "string",
    default: null,
    description: "Confluent's custom Avro schema file; not supported by Sluice's datagen (use quickstart).",
    validate: (value) => (value === "" ? undefined : "is not supported by Sluice's datagen; use quickstart"),
  })
  .define({
    name: "schema.string",
    type: "string",
    default: null,
    description: "Confluent's inline Avro schema; not supported by Sluice's datagen (use quickstart).",
    validate: (value) => (value === "" ? undefined : "is not supported by Sluice's datagen; use quickstart"),
  });

/** A datagen config, typed. */
export interface DatagenSettings {
  readonly topic: string;
  readonly quickstart: Quickstart;
  readonly keyField: string;
  readonly maxIntervalMs: number;
  /** Records per task over its life; null: no limit. */
  readonly iterations: number | null;
  readonly seed: number;
}

/** The typed settings of a config parsed with `datagenConfig`. */
export function datagenSettings(config: ParsedConfig, connectorName: string): DatagenSettings {
  const quickstart = findQuickstart(config.string("quickstart")) as Quickstart;
  const iterations = config.int("iterations");
  const seed =
    config.originals["random.seed"] === undefined ? hashString(connectorName) : config.int("random.seed");
  return {
    topic: config.string("kafka.topic"),
    quickstart,
    keyField: config.optionalString("schema.keyfield") || quickstart.keyField,
    maxIntervalMs: config.int("max.interval"),
    iterations: iterations < 1 ? null : iterations,
    seed,
  };
}
