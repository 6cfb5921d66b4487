// Invariant: source offsets kept in a Kafka topic behave as the file store does (set, get, getAll,
// reset; reads see every earlier write, also another store's), use Kafka Connect's record format, and
// only offsets of committed transactions are ever read: offsets written in an aborted transaction are
// as if never written.
import { afterAll, beforeAll, expect, test } from "vitest";
import { KafkaAdmin } from "../../../runtime/kafka/admin.ts";
import { KafkaProducer } from "../../../runtime/kafka/producer.ts";
import { KafkaOffsetStore } from "../../../runtime/storage/kafka/kafka-offset-store.ts";
import { produce, readTopic } from "../../support/kafka.ts";
import { bootstrapServers, uniqueName } from "../kafka/fixtures.ts";

const admin = new KafkaAdmin({ bootstrapServers });
const stores: KafkaOffsetStore[] = [];
let topic: string;

async function openStore(): Promise<KafkaOffsetStore> {
  const store = await KafkaOffsetStore.open({
    bootstrapServers,
    admin,
    topic,
    partitions: 3,
    replicationFactor: 1,
  });
  stores.push(store);
  return store;
}

beforeAll(() => {
  topic = uniqueName("offsets");
});
afterAll(async () => {
  for (const store of stores) await store.close();
  await admin.close();
});

test("offsets set in one store are read back by it and by a store opened later, in Kafka Connect's format", async () => {
  const store = await openStore();
  expect(await store.get("db", { server: "a" })).toBeNull();
  await store.set("db", [
    { partition: { server: "a" }, offset: { file: "binlog.000001", pos: 4 } },
    { partition: { server: "b" }, offset: { file: "binlog.000002", pos: 8 } },
  ]);
  await store.set("db", [{ partition: { server: "a" }, offset: { file: "binlog.000001", pos: 99 } }]);
  await store.set("other", [{ partition: { table: "t" }, offset: { id: 7 } }]);
  expect(await store.get("db", { server: "a" })).toEqual({ file: "binlog.000001", pos: 99 });

  const later = await openStore();
  expect(await later.getAll("db")).toEqual([
    { partition: { server: "a" }, offset: { file: "binlog.000001", pos: 99 } },
    { partition: { server: "b" }, offset: { file: "binlog.000002", pos: 8 } },
  ]);
  // A write by one store is seen by the next read of the other.
  await store.set("db", [{ partition: { server: "b" }, offset: null }]);
  expect(await later.getAll("db")).toEqual([
    { partition: { server: "a" }, offset: { file: "binlog.000001", pos: 99 } },
  ]);

  const raw = await readTopic(topic, (records) => records.length >= 5, 10_000);
  expect(raw.map((r) => r.key)).toContain('["db",{"server":"a"}]');
  expect(raw.find((r) => r.key === '["other",{"table":"t"}]')?.value).toBe('{"id":7}');
});

test("reset removes every offset of one connector only", async () => {
  const store = await openStore();
  await store.set("r1", [
    { partition: { p: 1 }, offset: { n: 1 } },
    { partition: { p: 2 }, offset: { n: 2 } },
  ]);
  await store.set("r2", [{ partition: { p: 1 }, offset: { n: 3 } }]);
  await store.reset("r1");
  expect(await store.getAll("r1")).toEqual([]);
  expect(await (await openStore()).getAll("r2")).toEqual([{ partition: { p: 1 }, offset: { n: 3 } }]);
});

test("offsets written in a committed transaction are read; those of an aborted one never are", async () => {
  const store = await openStore();
  const producer = new KafkaProducer({ bootstrapServers, transactionalId: uniqueName("offsets-tx") });
  try {
    await producer.beginTransaction();
    producer.send(store.records("tx", [{ partition: { p: 1 }, offset: { n: 1 } }]));
    await producer.commitTransaction();
    await producer.beginTransaction();
    producer.send(store.records("tx", [{ partition: { p: 1 }, offset: { n: 2 } }]));
    await producer.abortTransaction();
    expect(await store.get("tx", { p: 1 })).toEqual({ n: 1 });
    expect(await (await openStore()).get("tx", { p: 1 })).toEqual({ n: 1 });
  } finally {
    await producer.close();
  }
});

test("records that are not [connector, partition] keys are skipped, not fatal", async () => {
  await produce(topic, [
    { key: "not json", value: "{}" },
    { key: '["ok",{"p":1}]', value: '{"n":5}' },
  ]);
  const store = await openStore();
  expect(await store.get("ok", { p: 1 })).toEqual({ n: 5 });
});
