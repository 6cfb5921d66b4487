// Invariant: a worker config loads into typed settings with the documented defaults (REST on loopback),
// from worker.json or Kafka Connect's connect-standalone.properties, or fails with a ConfigError that
// names every bad field.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config provider placeholders, not templates
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { ConfigError, type RawConfig } from "../../../runtime/api/index.ts";
import { loadWorkerConfig, parseWorkerConfig } from "../../../runtime/config/worker-config.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-worker-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** The fields of the ConfigError that loading `raw` throws, sorted. */
async function badFields(raw: RawConfig): Promise<string[]> {
  const error = await parseWorkerConfig(raw).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).fieldErrors.map((e) => e.field).sort();
}

test("an empty config binds REST to loopback and takes the documented defaults", async () => {
  const config = await parseWorkerConfig({});
  expect(config).toMatchObject({
    bootstrapServers: ["localhost:9092"],
    listeners: [{ protocol: "http", host: "127.0.0.1", port: 8083 }],
    workerId: "127.0.0.1:8083",
    dataDir: resolve(".data"),
    offsetStorageFile: resolve(".data", "offsets.json"),
    offsetFlushIntervalMs: 10_000,
    offsetFlushTimeoutMs: 5_000,
    keyConverter: { className: "org.apache.kafka.connect.json.JsonConverter", config: {} },
    valueConverter: { className: "org.apache.kafka.connect.json.JsonConverter", config: {} },
    taskShutdownGracefulTimeoutMs: 5_000,
    producer: {},
    consumer: {},
    restAuth: { type: "none" },
    restBodyLimitBytes: 1_048_576,
    taskRestart: { backoffInitialMs: 1_000, backoffMaxMs: 60_000, budget: 10, windowMs: 600_000 },
    warnings: [],
  });
});

test("a JSON worker config takes typed values, passes prefixed keys through and advertises its address", async () => {
  const path = join(dir, "worker.json");
  await writeFile(
    path,
    JSON.stringify({
      "bootstrap.servers": ["127.0.0.1:19092", "[::1]:19093"],
      listeners: "http://:8084",
      "rest.advertised.host.name": "sluice-1.internal",
      "rest.advertised.port": 80,
      "sluice.data.dir": join(dir, "data"),
      "offset.flush.interval.ms": 2000,
      "value.converter": "org.apache.kafka.connect.storage.StringConverter",
      "value.converter.schemas.enable": false,
      "producer.acks": "all",
      "consumer.max.poll.records": 500,
      "sluice.rest.auth.type": "basic",
      "sluice.rest.auth.username": "ops",
      "sluice.rest.auth.password": "pw",
    }),
  );
  const config = await loadWorkerConfig(path);
  expect(config).toMatchObject({
    bootstrapServers: ["127.0.0.1:19092", "[::1]:19093"],
    listeners: [{ protocol: "http", host: "0.0.0.0", port: 8084 }],
    workerId: "sluice-1.internal:80",
    dataDir: join(dir, "data"),
    offsetStorageFile: join(dir, "data", "offsets.json"),
    offsetFlushIntervalMs: 2000,
    valueConverter: {
      className: "org.apache.kafka.connect.storage.StringConverter",
      config: { "schemas.enable": "false" },
    },
    producer: { acks: "all" },
    consumer: { "max.poll.records": "500" },
    restAuth: { type: "basic", username: "ops", password: "pw" },
    warnings: [],
  });
});

test("Kafka Connect's connect-standalone.properties loads, with ignored keys reported", async () => {
  const path = join(dir, "connect-standalone.properties");
  await writeFile(
    path,
    [
      "bootstrap.servers=localhost:9092",
      "key.converter=org.apache.kafka.connect.json.JsonConverter",
      "value.converter=org.apache.kafka.connect.json.JsonConverter",
      "key.converter.schemas.enable=true",
      "value.converter.schemas.enable=true",
      `offset.storage.file.filename=${dir}/connect.offsets`,
      "offset.flush.interval.ms=10000",
      "plugin.path=/usr/local/share/java,/usr/local/share/kafka/plugins",
      "header.converter=org.apache.kafka.connect.storage.SimpleHeaderConverter",
    ].join("\n"),
  );
  const config = await loadWorkerConfig(path);
  expect(config.offsetStorageFile).toBe(join(dir, "connect.offsets"));
  expect(config.keyConverter).toEqual({
    className: "org.apache.kafka.connect.json.JsonConverter",
    config: { "schemas.enable": "true" },
  });
  expect(config.warnings).toEqual([
    "plugin.path is ignored: Sluice's connectors are built in",
    "header.converter is not a Sluice worker setting and is ignored",
  ]);
});

test("worker values may use the providers the worker enables, and the secret is resolved", async () => {
  await writeFile(join(dir, "rest.properties"), "token=from-file\n");
  const config = await parseWorkerConfig(
    {
      "config.providers": "env,file",
      "sluice.rest.auth.type": "bearer",
      "sluice.rest.auth.token": `\${file:${dir}/rest.properties:token}`,
      "sluice.data.dir": "${env:SLUICE_DATA}",
    },
    { env: { SLUICE_DATA: join(dir, "state") } },
  );
  expect(config.restAuth).toEqual({ type: "bearer", token: "from-file" });
  expect(config.dataDir).toBe(join(dir, "state"));
});

test("every malformed value is refused at once, each by its field name", async () => {
  expect(
    await badFields({
      "bootstrap.servers": "localhost",
      listeners: "https://127.0.0.1:8443",
      "offset.flush.interval.ms": "soon",
      "sluice.rest.auth.type": "oauth",
      "sluice.task.restart.budget": -1,
      "rest.advertised.port": 70000,
      "producer.acks": { all: true },
      "config.providers": "env",
      "sluice.data.dir": "${env:NOT_SET}",
    }),
  ).toEqual([
    "bootstrap.servers",
    "listeners",
    "offset.flush.interval.ms",
    "producer.acks",
    "rest.advertised.port",
    "sluice.data.dir",
    "sluice.rest.auth.type",
    "sluice.task.restart.budget",
  ]);
});

test("settings that depend on each other are refused by the field to fix", async () => {
  expect(await badFields({ "sluice.rest.auth.type": "bearer" })).toEqual(["sluice.rest.auth.token"]);
  expect(await badFields({ "sluice.rest.auth.type": "basic", "sluice.rest.auth.username": "ops" })).toEqual([
    "sluice.rest.auth.password",
  ]);
  expect(
    await badFields({
      "sluice.task.restart.backoff.initial.ms": 5000,
      "sluice.task.restart.backoff.max.ms": 1000,
    }),
  ).toEqual(["sluice.task.restart.backoff.max.ms"]);
});

test("an unresolvable placeholder is refused by the field that holds it", async () => {
  const error = await parseWorkerConfig(
    {
      "config.providers": "env",
      "sluice.rest.auth.type": "bearer",
      "sluice.rest.auth.token": "${env:NOT_SET}",
    },
    { env: {} },
  ).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).fieldErrors).toEqual([
    {
      field: "sluice.rest.auth.token",
      message: "cannot resolve ${env:NOT_SET}: environment variable NOT_SET is not set",
    },
  ]);
});

test("a worker file that is not JSON is refused by its path, with the position and without its content", async () => {
  const path = join(dir, "worker.json");
  await writeFile(path, '{\n  "sluice.rest.auth.token": "s3cret",\n  oops\n}');
  const error = await loadWorkerConfig(path).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  const [fieldError] = (error as ConfigError).fieldErrors;
  expect(fieldError?.field).toBe(path);
  expect(fieldError?.message).toMatch(/^is not valid JSON \(at position \d+/);
  expect(fieldError?.message).not.toContain("s3cret");
  await expect(loadWorkerConfig(join(dir, "absent.json"))).rejects.toMatchObject({
    fieldErrors: [{ field: join(dir, "absent.json") }],
  });
});
