// Invariant: a Redis config that cannot work — a server that does not answer, JSON without RedisJSON, a
// keyspace with unknown placeholders, a collection without a key — is refused at validate time, field by
// field, with what to fix; a good config validates clean.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${topic} is the redis.keyspace's placeholder, not a JS template
import { afterAll, expect, test } from "vitest";
import { redisPlugin } from "../../../connectors/redis/plugin.ts";
import { ConfigError, type ConnectorContext, SluiceError } from "../../../runtime/api/index.ts";
import { redis, silent, sinkConfig, startTask } from "./harness.ts";

const context: ConnectorContext = {
  name: "redis",
  logger: silent,
  requestTaskReconfiguration() {},
  raiseError() {},
};
const NO_REDIS_JSON =
  "redis.type=JSON needs the RedisJSON module, and the server has no JSON.SET command; load RedisJSON (Redis Stack, Redis 8) or choose STRING, which stores the value as JSON text";

afterAll(() => {
  redis.disconnect();
});

async function validate(raw: Record<string, string>) {
  return redisPlugin.createConnector().validate?.(redisPlugin.config.parse(raw), AbortSignal.timeout(20_000));
}

function parseErrors(raw: Record<string, string>): Array<{ field: string; message: string }> {
  try {
    redisPlugin.config.parse(raw);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).fieldErrors];
  }
}

test("the plugin is the sink named redis", () => {
  expect(redisPlugin).toMatchObject({ name: "redis", aliases: [], type: "sink" });
});

test("a reachable Redis validates clean for every type but JSON", async () => {
  for (const type of ["STRING", "HASH", "STREAM", "SET", "ZSET", "LIST"]) {
    expect(await validate(sinkConfig({ "redis.type": type })), type).toEqual([]);
  }
});

test("an unreachable server is refused on redis.uri with the reason, without the password", async () => {
  expect(await validate(sinkConfig({ "redis.uri": "redis://:secret@127.0.0.1:1/2" }))).toEqual([
    { field: "redis.uri", message: "cannot reach redis://127.0.0.1:1/2: connect ECONNREFUSED 127.0.0.1:1" },
  ]);
});

test("the stack's Redis has no RedisJSON: redis.type=JSON is refused at validate time and at task start", async () => {
  expect(await redis.call("COMMAND", "INFO", "JSON.SET")).toEqual([null]);
  expect(await validate(sinkConfig({ "redis.type": "JSON" }))).toEqual([
    { field: "redis.type", message: NO_REDIS_JSON },
  ]);
  const failure = await startTask(sinkConfig({ "redis.type": "JSON" })).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(SluiceError);
  expect((failure as SluiceError).message).toBe(NO_REDIS_JSON);
});

test("bad URIs, unknown types and placeholders, a zero TTL and a collection without a key do not parse", () => {
  expect(
    parseErrors({ "redis.uri": "http://localhost:6379", "redis.type": "GRAPH", "redis.key.ttl": "soon" }),
  ).toEqual([
    {
      field: "redis.type",
      message: 'must be one of STRING, HASH, JSON, STREAM, SET, ZSET, LIST; got "GRAPH"',
    },
    { field: "redis.key.ttl", message: 'must be a whole number; got "soon"' },
    { field: "redis.uri", message: "must be a redis:// or rediss:// URI" },
  ]);
  expect(
    parseErrors({ "redis.uri": "http://localhost:6379", "redis.keyspace": "${table}", "redis.key.ttl": "0" }),
  ).toEqual([
    { field: "redis.uri", message: "must be a redis:// or rediss:// URI" },
    { field: "redis.keyspace", message: 'has the unknown placeholder "${table}"; the only one is ${topic}' },
    { field: "redis.key.ttl", message: "must be -1 (no expiry) or a positive number of seconds" },
  ]);
  expect(parseErrors({ "redis.type": "set", "redis.keyspace": "" })).toEqual([
    { field: "redis.keyspace", message: "must name the SET's key" },
  ]);
  expect(parseErrors({ "redis.type": "hash", "redis.keyspace": "" })).toEqual([]);
});

test("the connector plans tasks.max tasks, each with the whole config", async () => {
  const connector = redisPlugin.createConnector();
  const raw = sinkConfig({ topics: "orders", "redis.type": "SET" });
  await connector.start(redisPlugin.config.parse(raw), context);
  expect(connector.taskConfigs(2)).toEqual([raw, raw]);
  await connector.stop();
});
