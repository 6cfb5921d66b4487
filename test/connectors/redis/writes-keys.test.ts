// Invariant: for every redis.type the sink leaves Redis equal to the last record per key — writes replace,
// tombstones and delete events remove the key or the member — in record order within a batch, and writing
// the same records again (from the start or from the middle) leaves Redis as it was.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${topic} is the redis.keyspace's placeholder, not a JS template
import { afterAll, expect, test } from "vitest";
import type { SinkRecord } from "../../../runtime/api/index.ts";
import {
  dropKeys,
  putAndFlush,
  record,
  redis,
  sinkConfig,
  snapshot,
  startTask,
  uniqueTopic,
} from "./harness.ts";

const created: string[] = [];
function topic(prefix: string): string {
  const name = uniqueTopic(prefix);
  created.push(name);
  return name;
}

afterAll(async () => {
  await dropKeys(...created);
  redis.disconnect();
});

/** Writes the records, then writes them all again and then their second half again; returns the states. */
async function writeAndReplay(raw: Record<string, string>, prefix: string, records: readonly SinkRecord[]) {
  const { task, errant } = await startTask(raw);
  await putAndFlush(task, records);
  const first = await snapshot(prefix);
  await putAndFlush(task, records);
  const replayed = await snapshot(prefix);
  await putAndFlush(task, records.slice(Math.floor(records.length / 2)));
  const fromTheMiddle = await snapshot(prefix);
  await task.stop();
  expect(errant).toEqual([]);
  expect(replayed).toEqual(first);
  expect(fromTheMiddle).toEqual(first);
  return first;
}

test("HASH: each record key is a hash of the value's fields, replaced whole; nested values are JSON", async () => {
  const t = topic("customers");
  const state = await writeAndReplay(sinkConfig({ "redis.type": "HASH" }), t, [
    record(t, "1", { id: 1, name: "Ada", city: "London", vip: true }),
    record(t, { id: 2 }, { id: 2n, name: "Grace", tags: ["navy", "cobol"], note: null }),
    record(t, "1", { id: 1, name: "Ada Lovelace" }),
  ]);
  expect(state).toEqual({
    [`${t}:1`]: { id: "1", name: "Ada Lovelace" },
    [`${t}:2`]: { id: "2", name: "Grace", tags: '["navy","cobol"]' },
  });
});

test("update, delete, update of one key in one batch ends with the last update; update then delete ends absent", async () => {
  const t = topic("order");
  const state = await writeAndReplay(sinkConfig(), t, [
    record(t, "k", { v: 1 }),
    record(t, "k", null),
    record(t, "k", { v: 3 }),
    record(t, "gone", { v: 1 }),
    record(t, "gone", { v: 2 }),
    record(t, "gone", null),
  ]);
  expect(state).toEqual({ [`${t}:k`]: { v: "3" } });
});

test("delete events remove the key: ExtractNewRecordState's __deleted rows and raw Debezium op=d events", async () => {
  const t = topic("cdc");
  const envelope = (op: string, before: unknown, after: unknown) => ({
    before,
    after,
    op,
    source: { table: "t" },
    ts_ms: 1,
  });
  const state = await writeAndReplay(sinkConfig(), t, [
    record(t, { id: 1 }, { id: 1, name: "a", __deleted: "false" }),
    record(t, { id: 2 }, { id: 2, name: "b", __deleted: "false" }),
    record(t, { id: 2 }, { id: 2, name: "b", __deleted: "true" }),
    record(t, { id: 3 }, envelope("c", null, { id: 3, name: "c" })),
    record(t, { id: 4 }, envelope("c", null, { id: 4, name: "d" })),
    record(t, { id: 4 }, envelope("u", { id: 4, name: "d" }, { id: 4, name: "D" })),
    record(t, { id: 3 }, envelope("d", { id: 3, name: "c" }, null)),
  ]);
  expect(state).toEqual({
    [`${t}:1`]: { id: "1", name: "a", __deleted: "false" },
    [`${t}:4`]: { id: "4", name: "D" },
  });
});

test("STRING: strings and bytes are stored as they are, other values as JSON; keyspace and separator name the key", async () => {
  const t = topic("strings");
  const raw = sinkConfig({
    "redis.type": "STRING",
    "redis.keyspace": "cache.${topic}",
    "redis.separator": "/",
  });
  const state = await writeAndReplay(raw, `cache.${t}`, [
    record(t, "text", "hello"),
    record(t, "bytes", new Uint8Array([0x68, 0x69])),
    record(t, 7, { n: 12_345_678_901_234_567_890n, ok: true }),
    record(t, "list", [1, "two"]),
    record(t, "gone", "x"),
    record(t, "gone", null),
  ]);
  expect(state).toEqual({
    [`cache.${t}/7`]: '{"n":12345678901234567890,"ok":true}',
    [`cache.${t}/bytes`]: "hi",
    [`cache.${t}/list`]: '[1,"two"]',
    [`cache.${t}/text`]: "hello",
  });
});

test("SET: record keys are members of the keyspace's set; a tombstone removes the member", async () => {
  const t = topic("members");
  const state = await writeAndReplay(sinkConfig({ "redis.type": "SET" }), t, [
    record(t, "a", { any: 1 }),
    record(t, "b", "x"),
    record(t, "c", 3),
    record(t, "b", null),
    record(t, "a", { any: 2 }),
  ]);
  expect(state).toEqual({ [t]: ["a", "c"] });
});

test("ZSET: record keys are members scored by the value; a tombstone removes the member", async () => {
  const t = topic("scores");
  const state = await writeAndReplay(sinkConfig({ "redis.type": "ZSET" }), t, [
    record(t, "ada", 10),
    record(t, "bob", "2.5"),
    record(t, "cy", 7),
    record(t, "ada", 1),
    record(t, "cy", null),
  ]);
  expect(state).toEqual({ [t]: ["ada", "1", "bob", "2.5"] });
});

test("LIST: each member once, in the order of its latest record; a tombstone removes it", async () => {
  const t = topic("recent");
  const state = await writeAndReplay(sinkConfig({ "redis.type": "LIST" }), t, [
    record(t, "a", 1),
    record(t, "b", 1),
    record(t, "c", 1),
    record(t, "a", 2),
    record(t, "d", 1),
    record(t, "b", null),
    record(t, "e", 1),
    record(t, "c", 2),
  ]);
  expect(state).toEqual({ [t]: ["a", "d", "e", "c"] });
});

test("STREAM: each record is appended once, however often it is written; tombstones append nothing", async () => {
  const t = topic("events");
  const records = [
    record(t, "k1", { type: "click", n: 1 }),
    record(t, null, { type: "view", meta: { a: 1 } }),
    record(t, "k1", null),
    record(t, "k2", "plain", 1),
    record(t, "k3", { type: "click", n: 2 }),
  ];
  const state = await writeAndReplay(sinkConfig({ "redis.type": "STREAM" }), t, records);
  expect(state[t]).toEqual([
    ["type", "click", "n", "1"],
    ["type", "view", "meta", '{"a":1}'],
    ["value", "plain"],
    ["type", "click", "n", "2"],
  ]);
  expect(await redis.hgetall(`${t}:kafka-offsets`)).toEqual({
    [`${t}/0`]: String(records[4]?.kafkaOffset),
    [`${t}/1`]: String(records[3]?.kafkaOffset),
  });
});

test("redis.key.ttl expires each written key, and each collection", async () => {
  const keyed = topic("ttl");
  const collection = topic("ttlset");
  const hashes = await startTask(sinkConfig({ "redis.key.ttl": "300" }));
  await putAndFlush(hashes.task, [record(keyed, "1", { a: 1 })]);
  await hashes.task.stop();
  const strings = await startTask(
    sinkConfig({ "redis.type": "STRING", "redis.key.ttl": "300", "redis.keyspace": "${topic}-s" }),
  );
  await putAndFlush(strings.task, [record(keyed, "1", "x")]);
  await strings.task.stop();
  const sets = await startTask(sinkConfig({ "redis.type": "SET", "redis.key.ttl": "300" }));
  await putAndFlush(sets.task, [record(collection, "m", 1)]);
  await sets.task.stop();
  for (const key of [`${keyed}:1`, `${keyed}-s:1`, collection]) {
    const ttl = await redis.ttl(key);
    expect(ttl, key).toBeGreaterThan(290);
    expect(ttl, key).toBeLessThanOrEqual(300);
  }
});

test("redis.multiexec writes each batch in one transaction with the same result", async () => {
  const t = topic("multi");
  const state = await writeAndReplay(sinkConfig({ "redis.multiexec": "true", "redis.batch.size": "3" }), t, [
    record(t, "1", { v: 1 }),
    record(t, "2", { v: 2 }),
    record(t, "1", null),
    record(t, "3", { v: 3 }),
    record(t, "1", { v: 11 }),
  ]);
  expect(state).toEqual({ [`${t}:1`]: { v: "11" }, [`${t}:2`]: { v: "2" }, [`${t}:3`]: { v: "3" } });
});

test("a batch larger than redis.batch.size is written in several pipelines, in order", async () => {
  const t = topic("large");
  const records: SinkRecord[] = [];
  for (let i = 0; i < 2_500; i++) records.push(record(t, `k${i % 100}`, { i }));
  for (let i = 0; i < 100; i += 10) records.push(record(t, `k${i}`, null));
  const state = await writeAndReplay(sinkConfig({ "redis.batch.size": "64" }), t, records);
  expect(Object.keys(state)).toHaveLength(90);
  expect(state[`${t}:k1`]).toEqual({ i: "2401" });
  expect(state[`${t}:k99`]).toEqual({ i: "2499" });
});

test("the sink's scripts run by SHA1: after Redis forgot them (SCRIPT FLUSH), they are loaded again and nothing is lost", async () => {
  const t = topic("flushed");
  const { task, errant } = await startTask(sinkConfig({ "redis.type": "HASH" }));
  await putAndFlush(task, [record(t, "1", { v: 1 })]);
  await redis.script("FLUSH");
  await putAndFlush(task, [record(t, "2", { v: 2 }), record(t, "1", { v: 3 })]);
  await redis.script("FLUSH");
  const s = topic("flushed-stream");
  const { task: streams, errant: streamErrant } = await startTask(sinkConfig({ "redis.type": "STREAM" }));
  await putAndFlush(streams, [record(s, "a", { n: 1 }), record(s, "b", { n: 2 })]);
  await streams.stop();
  await task.stop();
  expect(errant).toEqual([]);
  expect(streamErrant).toEqual([]);
  expect(await snapshot(t)).toEqual({ [`${t}:1`]: { v: "3" }, [`${t}:2`]: { v: "2" } });
  expect(await redis.xlen(s)).toBe(2);
});
