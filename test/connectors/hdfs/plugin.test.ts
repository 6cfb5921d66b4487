// Invariant: the hdfs plugin answers to Confluent's class name and keys, refuses by field every config that
// could write outside topics.dir or cannot run, checks the NameNode in validate, and imports nothing of
// Sluice but runtime/api.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { hdfsPlugin } from "../../../connectors/hdfs/plugin.ts";
import { ConfigError, type ConnectorContext } from "../../../runtime/api/index.ts";
import { STACK, silent } from "./harness.ts";

const context: ConnectorContext = {
  name: "lake",
  logger: silent,
  requestTaskReconfiguration() {},
  raiseError() {},
};
const base = { "hdfs.url": STACK.webhdfsUrl };

/** The fields of the ConfigError that parsing `raw` throws, with their messages. */
function refused(raw: Record<string, string>): Record<string, string> {
  try {
    hdfsPlugin.config.parse(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return Object.fromEntries((error as ConfigError).fieldErrors.map((e) => [e.field, e.message]));
  }
  throw new Error("the config was accepted");
}

test("the plugin is a sink named hdfs that answers to Confluent's class name", () => {
  expect(hdfsPlugin).toMatchObject({
    name: "hdfs",
    aliases: ["io.confluent.connect.hdfs.HdfsSinkConnector"],
    type: "sink",
  });
  expect(hdfsPlugin.config.keys().map((key) => key.name)).toEqual([
    "hdfs.url",
    "hdfs.user",
    "topics.dir",
    "logs.dir",
    "format.class",
    "flush.size",
    "rotate.interval.ms",
    "rotate.schedule.interval.ms",
    "partitioner.class",
    "partition.field.name",
    "path.format",
    "partition.duration.ms",
    "timezone",
    "locale",
    "timestamp.extractor",
    "timestamp.field",
    "compaction.redis.url",
    "compaction.schedule",
    "compaction.timezone",
    "compaction.target.size",
  ]);
  const defaults = hdfsPlugin.config.parse(base);
  expect(defaults.int("rotate.schedule.interval.ms")).toBe(300_000);
  expect(defaults.string("format.class")).toBe("json");
  expect(defaults.string("compaction.schedule")).toBe("0 2 * * *");
});

test("paths that would leave topics.dir, and templates that would build them, are refused by field", () => {
  const time = { ...base, "partitioner.class": "time", "partition.duration.ms": "3600000" };
  expect(Object.keys(refused({ ...base, "topics.dir": "data/../../etc" }))).toEqual(["topics.dir"]);
  expect(Object.keys(refused({ ...base, "topics.dir": "/" }))).toEqual(["topics.dir"]);
  expect(Object.keys(refused({ ...base, "topics.dir": "/a\u0000b" }))).toEqual(["topics.dir"]);
  expect(refused({ ...base, "topics.dir": "/lake", "logs.dir": "/lake/logs" })).toEqual({
    "logs.dir": "must not overlap topics.dir (/lake)",
  });
  expect(Object.keys(refused({ ...time, "path.format": "'..'/YYYY" }))).toEqual(["path.format"]);
  expect(Object.keys(refused({ ...time, "path.format": "/'abs'/YYYY" }))).toEqual(["path.format"]);
  expect(Object.keys(refused({ ...time, "path.format": "YYYY/'x\u0007'" }))).toEqual(["path.format"]);
  expect(Object.keys(refused({ ...time, "path.format": "YYYY//MM" }))).toEqual(["path.format"]);
  expect(refused({ ...time, "path.format": "'day'=EEE" })["path.format"]).toMatch(/pattern letters "EEE"/);
  expect(
    Object.keys(refused({ ...base, "partitioner.class": "field", "partition.field.name": "a/b" })),
  ).toEqual(["partition.field.name"]);
});

test("configs that cannot run are refused by field with what to fix", () => {
  expect(Object.keys(refused({}))).toEqual(["hdfs.url"]);
  expect(refused({ "hdfs.url": "hdfs://namenode:8020" })["hdfs.url"]).toMatch(
    /WebHDFS address.*hdfs:\/\/ is Hadoop RPC/,
  );
  expect(Object.keys(refused({ ...base, "format.class": "orc", "flush.size": "0" })).sort()).toEqual([
    "flush.size",
    "format.class",
  ]);
  expect(
    Object.keys(
      refused({
        ...base,
        "partitioner.class": "time",
        timezone: "Mars/Olympus",
        "compaction.schedule": "nightly",
        "compaction.redis.url": "localhost:6379",
      }),
    ).sort(),
  ).toEqual([
    "compaction.redis.url",
    "compaction.schedule",
    "partition.duration.ms",
    "path.format",
    "timezone",
  ]);
  expect(Object.keys(refused({ ...base, "partitioner.class": "field" }))).toEqual(["partition.field.name"]);
  expect(
    hdfsPlugin.config
      .parse({ ...base, "partitioner.class": "io.confluent.connect.storage.partitioner.HourlyPartitioner" })
      .string("partitioner.class"),
  ).toBe("io.confluent.connect.storage.partitioner.HourlyPartitioner");
});

test("validate reaches the NameNode and names hdfs.url when it does not answer", async () => {
  const connector = hdfsPlugin.createConnector();
  const signal = AbortSignal.timeout(30_000);
  expect(
    await connector.validate?.(hdfsPlugin.config.parse({ ...base, "hdfs.user": STACK.hdfsUser }), signal),
  ).toEqual([]);
  const problems = await connector.validate?.(
    hdfsPlugin.config.parse({ "hdfs.url": "http://127.0.0.1:1" }),
    signal,
  );
  expect(problems?.map((p) => p.field)).toEqual(["hdfs.url"]);
});

test("tasks.max tasks each get the connector's config", async () => {
  const connector = hdfsPlugin.createConnector();
  const raw = { ...base, topics: "orders", "tasks.max": "2" };
  await connector.start(hdfsPlugin.config.parse(raw), context);
  expect(connector.taskConfigs(2)).toEqual([raw, raw]);
  await connector.stop();
  await connector.stop();
});

test("the hdfs connector imports only runtime/api, its own files, Node built-ins and its libraries", async () => {
  const dir = join(import.meta.dirname, "..", "..", "..", "connectors", "hdfs");
  const imports: string[] = [];
  for (const file of await readdir(dir)) {
    const source = await readFile(join(dir, file), "utf8");
    for (const match of source.matchAll(/from "([^"]+)"/g)) imports.push(match[1] as string);
  }
  const libraries = new Set(["avsc", "bullmq", "hyparquet", "hyparquet-writer"]);
  const outside = imports.filter(
    (specifier) =>
      !specifier.startsWith("node:") &&
      !specifier.startsWith("./") &&
      specifier !== "../../runtime/api/index.ts" &&
      !libraries.has(specifier),
  );
  expect(imports.length).toBeGreaterThan(0);
  expect(outside).toEqual([]);
});
