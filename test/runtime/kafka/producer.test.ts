// Invariant: every record the producer acknowledges is in Kafka at the offset it reported, in send order per partition, with its key, value, headers and timestamp intact.
import { afterEach, expect, test } from "vitest";
import { DataError, ErrorCode, SluiceError } from "../../../runtime/api/errors.ts";
import { KafkaSinkConsumer } from "../../../runtime/kafka/consumer.ts";
import { KafkaProducer } from "../../../runtime/kafka/producer.ts";
import { ClientSettings } from "../../../runtime/kafka/settings.ts";
import {
  bootstrapServers,
  createTopic,
  fastConsumerSettings,
  pollRecords,
  records,
  text,
  uniqueName,
} from "./fixtures.ts";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function producer(settings: Record<string, string | number> = {}): KafkaProducer {
  const created = new KafkaProducer({ bootstrapServers, settings: ClientSettings.of(settings) });
  closers.push(() => created.close());
  return created;
}

function consumer(topic: string): KafkaSinkConsumer {
  const created = new KafkaSinkConsumer({
    bootstrapServers,
    connectorName: uniqueName("producer-test"),
    topics: [topic],
    settings: fastConsumerSettings(),
  });
  closers.push(() => created.close());
  return created;
}

test("records sent in many calls are acknowledged with consecutive offsets and read back in order", async () => {
  const topic = await createTopic("test-producer-order");
  const sending = producer({ "linger.ms": 2, "batch.size": 4096 });
  const acks = [];
  for (let i = 0; i < 2000; i += 100) acks.push(...sending.send(records(topic, 100, { start: i })));
  const metadata = await Promise.all(acks);
  expect(metadata.map((m) => m.offset)).toEqual(Array.from({ length: 2000 }, (_, i) => BigInt(i)));
  expect(new Set(metadata.map((m) => `${m.topic}/${m.partition}`))).toEqual(new Set([`${topic}/0`]));

  const read = await pollRecords(consumer(topic), 2000);
  expect(read.map((r) => r.offset)).toEqual(Array.from({ length: 2000 }, (_, i) => BigInt(i)));
  expect(read.map((r) => text(r.value))).toEqual(Array.from({ length: 2000 }, (_, i) => `v${i}`));
});

test("headers, tombstones, null keys and timestamps round-trip unchanged", async () => {
  const topic = await createTopic("test-producer-fields");
  const [ack] = producer().send([
    {
      topic,
      key: Buffer.from("user-1"),
      value: null,
      headers: [
        { key: "origin", value: "db1" },
        { key: "origin", value: Buffer.from([0, 1, 2]) },
        { key: "empty", value: null },
      ],
      timestamp: 1_700_000_000_123,
    },
  ]);
  expect(await ack).toEqual({ topic, partition: 0, offset: 0n });
  const [record] = await pollRecords(consumer(topic), 1);
  expect({
    ...record,
    key: text(record!.key),
    headers: record!.headers.map((h) => [h.key, h.value && [...h.value]]),
  }).toEqual({
    topic,
    partition: 0,
    offset: 0n,
    key: "user-1",
    value: null,
    headers: [
      ["origin", [...Buffer.from("db1")]],
      ["origin", [0, 1, 2]],
      ["empty", null],
    ],
    timestamp: 1_700_000_000_123,
  });
});

test("a keyed record goes to the partition Kafka's Java producer would choose", async () => {
  const topic = await createTopic("test-producer-partitioner", 6);
  const keys = ["a", "b", "key-1", "key-2", "order-42"];
  const acks = producer().send(
    keys.map((key) => ({ topic, key: Buffer.from(key), value: Buffer.from("x"), headers: [] })),
  );
  // Utils.toPositive(Utils.murmur2(key)) % 6, computed with kafka-clients 4.1.1.
  expect((await Promise.all(acks)).map((m) => m.partition)).toEqual([4, 2, 0, 2, 0]);
});

test("a record larger than max.request.size is refused alone as a DataError and its neighbours are written", async () => {
  const topic = await createTopic("test-producer-too-large");
  const [small1, big, small2] = producer({ "max.request.size": 10_000 }).send([
    ...records(topic, 1),
    { topic, key: null, value: Buffer.alloc(20_000), headers: [] },
    ...records(topic, 1, { start: 1 }),
  ]);
  await expect(big).rejects.toBeInstanceOf(DataError);
  expect([await small1, await small2]).toEqual([
    { topic, partition: 0, offset: 0n },
    { topic, partition: 0, offset: 1n },
  ]);
});

test("a record the broker refuses as too large fails alone; the rest of its request is written", async () => {
  const topic = await createTopic("test-producer-broker-too-large");
  // The broker accepts at most 1 MiB per batch by default; the producer's own limit is raised above it.
  const acks = producer({ "max.request.size": 4_000_000, "linger.ms": 50 }).send([
    ...records(topic, 2),
    { topic, key: null, value: Buffer.alloc(2_000_000), headers: [] },
    ...records(topic, 2, { start: 2 }),
  ]);
  const settled = await Promise.allSettled(acks);
  expect(settled.map((s) => s.status)).toEqual([
    "fulfilled",
    "fulfilled",
    "rejected",
    "fulfilled",
    "fulfilled",
  ]);
  const refused = settled[2] as PromiseRejectedResult;
  expect(refused.reason).toBeInstanceOf(DataError);
  expect((refused.reason as SluiceError).message).toContain("MESSAGE_TOO_LARGE");
  const offsets = settled
    .filter((s) => s.status === "fulfilled")
    .map((s) => (s as PromiseFulfilledResult<{ offset: bigint }>).value.offset);
  expect(new Set(offsets).size).toBe(4);
});

test("an explicit partition the topic does not have is a DataError", async () => {
  const topic = await createTopic("test-producer-bad-partition", 2);
  const [ack] = producer().send(records(topic, 1, { partition: 5 }));
  await expect(ack).rejects.toThrow(/partition 5 does not exist \(2 partitions\)/);
  await expect(ack).rejects.toBeInstanceOf(DataError);
});

test("unknown producer settings and refused values are a ConfigError naming each key as written", () => {
  const settings = ClientSettings.fromConfigs(
    "producer",
    { "producer.linger.msx": "5", "producer.buffer.memory": "1000" },
    { "producer.override.acks": "1", "producer.override.compression.type": "brotli" },
  );
  let error: unknown;
  try {
    new KafkaProducer({ bootstrapServers, settings });
  } catch (thrown) {
    error = thrown;
  }
  expect(error).toBeInstanceOf(SluiceError);
  expect((error as SluiceError).code).toBe(ErrorCode.CONFIG_INVALID);
  expect((error as { fieldErrors: unknown }).fieldErrors).toEqual([
    { field: "producer.override.acks", message: "Sluice produces with acks=all only" },
    {
      field: "producer.override.compression.type",
      message: 'must be one of none, gzip, snappy, lz4, zstd; got "brotli"',
    },
    {
      field: "producer.linger.msx",
      message: "is not a producer setting Sluice supports; remove it or check its spelling",
    },
  ]);
});

test("a send after close is refused and close is idempotent", async () => {
  const topic = await createTopic("test-producer-close");
  const sending = producer();
  await Promise.all(sending.send(records(topic, 3)));
  await Promise.all([sending.close(), sending.close()]);
  const [late] = sending.send(records(topic, 1));
  await expect(late).rejects.toThrow(/after the producer was closed/);
});

test("sending to a topic that does not exist is a retriable error naming the topic", async () => {
  const topic = uniqueName("test-producer-missing");
  const [ack] = producer({ "retry.backoff.ms": 10 }).send(records(topic, 1));
  await expect(ack).rejects.toThrow(`topic "${topic}" does not exist`);
  await expect(ack).rejects.toMatchObject({ code: ErrorCode.EXTERNAL_TRANSIENT, retriable: true });
});
