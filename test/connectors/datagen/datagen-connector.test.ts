// Invariant: the datagen plugin answers to Confluent's class name and keys, refuses what it cannot do by
// field, splits into tasks.max identical task configs, and imports nothing of Sluice but runtime/api.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { datagenPlugin } from "../../../connectors/datagen/plugin.ts";
import {
  ConfigError,
  type ConnectorContext,
  ErrorCode,
  type SourceOffset,
  type SourcePartition,
} from "../../../runtime/api/index.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const context: ConnectorContext = {
  name: "gen",
  logger: silent,
  requestTaskReconfiguration() {},
  raiseError() {},
};

/** The fields of the ConfigError that parsing `raw` throws. */
function badFields(raw: Record<string, string>): string[] {
  try {
    datagenPlugin.config.parse(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).fieldErrors.map((e) => e.field).sort();
  }
  throw new Error("the config was accepted");
}

test("the plugin is a source named datagen that answers to Confluent's class name", () => {
  expect(datagenPlugin).toMatchObject({
    name: "datagen",
    aliases: ["io.confluent.kafka.connect.datagen.DatagenConnector"],
    type: "source",
  });
  expect(datagenPlugin.config.keys().map((key) => key.name)).toEqual([
    "kafka.topic",
    "quickstart",
    "schema.keyfield",
    "max.interval",
    "iterations",
    "random.seed",
    "schema.filename",
    "schema.string",
  ]);
});

test("configs it cannot run are refused by field", () => {
  expect(badFields({})).toEqual(["kafka.topic", "quickstart"]);
  expect(
    badFields({
      "kafka.topic": " ",
      quickstart: "clickstream",
      "max.interval": "-1",
      "random.seed": "0.5",
      "schema.filename": "/tmp/x.avsc",
    }),
  ).toEqual(["kafka.topic", "max.interval", "quickstart", "random.seed", "schema.filename"]);
  expect(badFields({ "kafka.topic": "t", quickstart: "users", "schema.keyfield": "pageid" })).toEqual([
    "schema.keyfield",
  ]);
});

test("tasks.max tasks each get the connector's config", async () => {
  const connector = datagenPlugin.createConnector();
  const raw = { "connector.class": "datagen", "kafka.topic": "t", quickstart: "orders", "tasks.max": "3" };
  await connector.start(datagenPlugin.config.parse(raw), context);
  expect(connector.taskConfigs(3)).toEqual([raw, raw, raw]);
  await connector.stop();
  await connector.stop();
});

test("altered offsets must be datagen's {task} partitions with {iteration} offsets or null", async () => {
  const connector = datagenPlugin.createConnector();
  const config = datagenPlugin.config.parse({ "kafka.topic": "t", quickstart: "users" });
  const alter = connector.alterOffsets?.bind(connector);
  expect(alter).toBeDefined();
  if (alter === undefined) return;
  expect(
    await alter(config, [
      { partition: { task: 0 }, offset: { iteration: 10 } },
      { partition: { task: 1 }, offset: null },
    ]),
  ).toBe(false);
  const refused: Array<{ partition: SourcePartition; offset: SourceOffset }> = [
    { partition: { task: -1 }, offset: { iteration: 1 } },
    { partition: { table: "x" }, offset: { iteration: 1 } },
    { partition: { task: 0 }, offset: { iteration: 1.5 } },
    { partition: { task: 0 }, offset: { iteration: 1, extra: true } },
  ];
  for (const bad of refused) {
    await expect(alter(config, [bad])).rejects.toMatchObject({ code: ErrorCode.BAD_REQUEST });
  }
});

test("datagen imports only runtime/api, its own files and Node built-ins", async () => {
  const dir = join(import.meta.dirname, "..", "..", "..", "connectors", "datagen");
  const imports: string[] = [];
  for (const file of await readdir(dir)) {
    const source = await readFile(join(dir, file), "utf8");
    for (const match of source.matchAll(/from "([^"]+)"/g)) imports.push(match[1] as string);
  }
  const outside = imports.filter(
    (specifier) =>
      !specifier.startsWith("node:") &&
      !specifier.startsWith("./") &&
      specifier !== "../../runtime/api/index.ts",
  );
  expect(imports.length).toBeGreaterThan(0);
  expect(outside).toEqual([]);
});
