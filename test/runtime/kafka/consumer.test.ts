// Invariant: a sink consumer delivers each assigned partition's records in offset order from the group's committed position, stops fetching what is paused, and lets partitions move only after onRevoked settled.
import { afterEach, expect, test } from "vitest";
import type { TopicPartition } from "../../../runtime/api/records.ts";
import { KafkaSinkConsumer, type KafkaSinkConsumerOptions } from "../../../runtime/kafka/consumer.ts";
import { KafkaProducer } from "../../../runtime/kafka/producer.ts";
import { ClientSettings } from "../../../runtime/kafka/settings.ts";
import type { RawRecord } from "../../../runtime/kafka/types.ts";
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

function consumer(options: Partial<KafkaSinkConsumerOptions> & { connectorName: string }): KafkaSinkConsumer {
  const created = new KafkaSinkConsumer({ bootstrapServers, settings: fastConsumerSettings(), ...options });
  closers.push(() => created.close());
  return created;
}

async function produce(
  topic: string,
  count: number,
  options: { partition?: number; start?: number; valueBytes?: number; maxRequestSize?: number } = {},
) {
  const producer = new KafkaProducer({
    bootstrapServers,
    settings: ClientSettings.of({ "max.request.size": options.maxRequestSize ?? 1_048_576 }),
  });
  try {
    const batch = records(topic, count, options).map((record) =>
      options.valueBytes === undefined ? record : { ...record, value: Buffer.alloc(options.valueBytes, 1) },
    );
    await Promise.all(producer.send(batch));
  } finally {
    await producer.close();
  }
}

const values = (list: readonly RawRecord[]) => list.map((record) => text(record.value));
const offsets = (list: readonly RawRecord[]) => list.map((record) => record.offset);
const signal = () => AbortSignal.timeout(30_000);

test("a new member of the group resumes at the offsets the previous one committed", async () => {
  const topic = await createTopic("test-consumer-resume");
  await produce(topic, 10);
  const connectorName = uniqueName("resume");
  const first = consumer({ connectorName, topics: [topic] });
  expect(offsets(await pollRecords(first, 10))).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i)));
  await first.commit([{ topic, partition: 0, offset: 6n }]);
  await first.close();

  const second = consumer({ connectorName, topics: [topic] });
  expect(second.groupId).toBe(`connect-${connectorName}`);
  const resumed = await pollRecords(second, 4);
  expect(offsets(resumed)).toEqual([6n, 7n, 8n, 9n]);
  expect(values(resumed)).toEqual(["v6", "v7", "v8", "v9"]);
});

test("a paused partition delivers nothing while the others go on, and resumes where it stopped", async () => {
  const topic = await createTopic("test-consumer-pause", 2);
  await produce(topic, 5, { partition: 0 });
  await produce(topic, 5, { partition: 1 });
  const sink = consumer({
    connectorName: uniqueName("pause"),
    topics: [topic],
    settings: fastConsumerSettings(),
  });
  const firstTwo = await sink.poll(1, signal(), 5000);
  expect(firstTwo).toHaveLength(1);
  const paused: TopicPartition = { topic, partition: firstTwo[0]!.partition };
  const other = 1 - paused.partition;
  sink.pause([paused]);
  expect(sink.paused()).toEqual([paused]);

  const whilePaused = await pollRecords(sink, 5, 3000);
  expect(whilePaused.map((r) => [r.partition, r.offset])).toEqual(
    Array.from({ length: 5 }, (_, i) => [other, BigInt(i)]),
  );
  await produce(topic, 1, { partition: paused.partition, start: 5 });
  expect(await sink.poll(10, signal(), 1500)).toEqual([]);

  sink.resume([paused]);
  const afterResume = await pollRecords(sink, 5);
  expect(afterResume.map((r) => [r.partition, r.offset])).toEqual(
    [1, 2, 3, 4, 5].map((offset) => [paused.partition, BigInt(offset)]),
  );
});

test("seek rewinds a partition to an earlier offset", async () => {
  const topic = await createTopic("test-consumer-seek");
  await produce(topic, 8);
  const sink = consumer({ connectorName: uniqueName("seek"), topics: [topic] });
  expect(offsets(await pollRecords(sink, 8))).toEqual(Array.from({ length: 8 }, (_, i) => BigInt(i)));
  sink.seek({ topic, partition: 0 }, 3n);
  expect(offsets(await pollRecords(sink, 5))).toEqual([3n, 4n, 5n, 6n, 7n]);
  expect(() => sink.seek({ topic, partition: 9 }, 0n)).toThrow(/not assigned/);
});

test("a seek inside onAssigned starts the partition there instead of at the committed offset", async () => {
  const topic = await createTopic("test-consumer-assign-seek");
  await produce(topic, 6);
  const assigned: TopicPartition[][] = [];
  const sink: KafkaSinkConsumer = consumer({
    connectorName: uniqueName("assign-seek"),
    topics: [topic],
    listener: {
      onAssigned: (partitions) => {
        assigned.push([...partitions]);
        for (const tp of partitions) sink.seek(tp, 4n);
      },
    },
  });
  expect(offsets(await pollRecords(sink, 2))).toEqual([4n, 5n]);
  expect(assigned).toEqual([[{ topic, partition: 0 }]]);
});

/**
 * A first member reads both partitions of a topic; a second member joins; the first member's onRevoked
 * takes `revokeMs`, then commits offset 4 of each partition. Returns the callbacks in the order they ran,
 * and the records the second member got (after one more record was produced to its partition).
 */
async function rebalanceWhileRevoking(revokeMs: number) {
  const topic = await createTopic("test-consumer-rebalance", 2);
  await produce(topic, 4, { partition: 0 });
  await produce(topic, 4, { partition: 1 });
  const connectorName = uniqueName("rebalance");
  const events: string[] = [];
  const first: KafkaSinkConsumer = consumer({
    connectorName,
    topics: [topic],
    listener: {
      onAssigned: (partitions) => {
        events.push(`first assigned ${partitions.map((p) => p.partition).join(",")}`);
      },
      onRevoked: async (partitions) => {
        events.push(`first revoking ${partitions.map((p) => p.partition).join(",")}`);
        await new Promise((resolve) => setTimeout(resolve, revokeMs));
        await first.commit(partitions.map((tp) => ({ ...tp, offset: 4n })));
        events.push("first revoked");
      },
    },
  });
  expect(await pollRecords(first, 8)).toHaveLength(8);

  const second = consumer({
    connectorName,
    topics: [topic],
    listener: {
      onAssigned: (partitions) => {
        events.push(`second assigned ${partitions.map((p) => p.partition).join(",")}`);
      },
    },
  });
  const stop = AbortSignal.timeout(30_000);
  const settled = () => first.assignment().length > 0 && second.assignment().length > 0;
  const secondRecords: RawRecord[] = [];
  await Promise.all([
    (async () => {
      while (!stop.aborted && !settled()) await first.poll(100, stop, 200);
    })(),
    (async () => {
      while (!stop.aborted && !settled()) secondRecords.push(...(await second.poll(100, stop, 200)));
    })(),
  ]);
  const secondPartition = second.assignment()[0]!.partition;
  await produce(topic, 1, { partition: secondPartition, start: 4 });
  secondRecords.push(...(await pollRecords(second, 1, 5000)));
  return { events, firstPartition: first.assignment()[0]!.partition, secondPartition, secondRecords };
}

test("onRevoked of the old member settles and commits before the new member is assigned the partitions", async () => {
  const { events, firstPartition, secondPartition, secondRecords } = await rebalanceWhileRevoking(1000);
  expect(events.slice(0, 3)).toEqual(["first assigned 0,1", "first revoking 0,1", "first revoked"]);
  expect(events.slice(3).sort()).toEqual([
    `first assigned ${firstPartition}`,
    `second assigned ${secondPartition}`,
  ]);
  expect(secondRecords.map((r) => [r.partition, r.offset])).toEqual([[secondPartition, 4n]]);
});

test("an onRevoked that outlasts session.timeout.ms keeps the member in the group until it settles", async () => {
  // session.timeout.ms is 6000 (the broker's minimum); without heartbeats the member would be expelled.
  const { events, firstPartition, secondPartition, secondRecords } = await rebalanceWhileRevoking(7000);
  expect(events.slice(0, 3)).toEqual(["first assigned 0,1", "first revoking 0,1", "first revoked"]);
  expect(events.slice(3).sort()).toEqual([
    `first assigned ${firstPartition}`,
    `second assigned ${secondPartition}`,
  ]);
  expect(secondRecords.map((r) => [r.partition, r.offset])).toEqual([[secondPartition, 4n]]);
}, 30_000);

test("memory stays bounded by fetch.max.bytes however far behind the consumer is, and pausing frees it", async () => {
  const topic = await createTopic("test-consumer-bounded");
  // Kafka returns a record batch whole even when it exceeds fetch.max.bytes: keep batches small (16 KiB).
  await produce(topic, 3000, { valueBytes: 1000, maxRequestSize: 16_384 });
  const sink = consumer({
    connectorName: uniqueName("bounded"),
    topics: [topic],
    settings: fastConsumerSettings({ "fetch.max.bytes": 65_536, "max.partition.fetch.bytes": 65_536 }),
  });
  const samples: number[] = [];
  let delivered = 0;
  for (let i = 0; i < 20; i++) {
    delivered += (await sink.poll(10, signal(), 2000)).length;
    await new Promise((resolve) => setTimeout(resolve, 20));
    samples.push(sink.bufferedBytes);
  }
  expect(delivered).toBe(200);
  expect(Math.max(...samples)).toBeGreaterThan(0);
  // One response buffered plus one that landed while the records were handed out.
  expect(Math.max(...samples)).toBeLessThanOrEqual(2 * 65_536 + 16_384);
  sink.pause([{ topic, partition: 0 }]);
  expect(sink.bufferedBytes).toBe(0);
  expect(await sink.poll(10, signal(), 500)).toEqual([]);
  expect(sink.bufferedBytes).toBe(0);
  sink.resume([{ topic, partition: 0 }]);
  expect(offsets(await sink.poll(1, signal(), 5000))).toEqual([200n]);
});

test("the next fetch of a partition reads ahead while its buffer is half spent, and records stay in order", async () => {
  const topic = await createTopic("test-consumer-read-ahead");
  await produce(topic, 400, { valueBytes: 1000, maxRequestSize: 16_384 });
  const sink = consumer({
    connectorName: uniqueName("read-ahead"),
    topics: [topic],
    settings: fastConsumerSettings({ "max.partition.fetch.bytes": 65_536 }),
  });
  const read = await pollRecords(sink, 1);
  // One fetch of at most 64 KiB is buffered; taking most of it leaves under half.
  read.push(...(await sink.poll(45, signal(), 2000)));
  await new Promise((resolve) => setTimeout(resolve, 300));
  // What is left of the first fetch plus the next one, fetched before the first ran dry.
  expect(sink.bufferedBytes).toBeGreaterThan(65_536);
  expect(sink.bufferedBytes).toBeLessThanOrEqual(65_536 / 2 + 65_536 + 16_384);
  while (read.length < 400) read.push(...(await sink.poll(100, signal(), 2000)));
  expect(offsets(read)).toEqual(Array.from({ length: 400 }, (_, i) => BigInt(i)));
});

test("auto.offset.reset=latest starts a group without commits at the end of the partition", async () => {
  const topic = await createTopic("test-consumer-latest");
  await produce(topic, 3);
  const sink = consumer({
    connectorName: uniqueName("latest"),
    topics: [topic],
    settings: fastConsumerSettings({ "auto.offset.reset": "latest" }),
  });
  expect(await sink.poll(10, signal(), 1500)).toEqual([]);
  await produce(topic, 1, { start: 3 });
  const read = await pollRecords(sink, 1);
  expect(read.map((r) => [r.offset, text(r.value)])).toEqual([[3n, "v3"]]);
});

test("topics.regex subscribes to every matching topic, also one created later, and not to the others", async () => {
  const prefix = uniqueName("test-consumer-regex");
  for (const name of [`${prefix}-a`, `${prefix}-b`, `other-${prefix}`]) {
    await createTopic(name, 1, { exactName: true });
    await produce(name, 1);
  }
  const sink = consumer({
    connectorName: uniqueName("regex"),
    topicsRegex: `${prefix}-.*`,
    settings: fastConsumerSettings({ "metadata.max.age.ms": 500 }),
  });
  const read = await pollRecords(sink, 2);
  expect(read.map((r) => r.topic).sort()).toEqual([`${prefix}-a`, `${prefix}-b`]);
  expect(await sink.poll(10, signal(), 1000)).toEqual([]);
  // The new topic makes the group rebalance; committed partitions resume after what was read.
  await sink.commit(read.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset + 1n })));

  await createTopic(`${prefix}-c`, 1, { exactName: true });
  await produce(`${prefix}-c`, 1);
  const later = await pollRecords(sink, 1);
  expect(later.map((r) => [r.topic, r.offset])).toEqual([[`${prefix}-c`, 0n]]);
  expect(
    sink
      .assignment()
      .map((tp) => tp.topic)
      .sort(),
  ).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
});

test("a consumer needs exactly one of topics and topics.regex, and refuses unknown settings", () => {
  const fieldErrors = (build: () => unknown) => {
    try {
      build();
    } catch (error) {
      return (error as { fieldErrors?: unknown }).fieldErrors;
    }
    return undefined;
  };
  const connectorName = "validation";
  expect(fieldErrors(() => new KafkaSinkConsumer({ bootstrapServers, connectorName, topics: [] }))).toEqual([
    { field: "topics", message: "a sink connector needs topics or topics.regex" },
  ]);
  expect(
    fieldErrors(
      () => new KafkaSinkConsumer({ bootstrapServers, connectorName, topics: ["a"], topicsRegex: "a.*" }),
    ),
  ).toEqual([{ field: "topics.regex", message: "give either topics or topics.regex, not both" }]);
  const settings = ClientSettings.fromConfigs(
    "consumer",
    { "consumer.session.timeout.ms": "1000", "consumer.key.deserializer": "x" },
    { "consumer.override.enable.auto.commit": "true", "consumer.override.auto.offset.reset": "smallest" },
  );
  expect(
    fieldErrors(() => new KafkaSinkConsumer({ bootstrapServers, connectorName, topics: ["a"], settings })),
  ).toEqual([
    {
      field: "consumer.override.auto.offset.reset",
      message: 'must be one of earliest, latest, none; got "smallest"',
    },
    { field: "consumer.override.enable.auto.commit", message: "Sluice commits sink offsets itself" },
    { field: "heartbeat.interval.ms", message: "must be less than session.timeout.ms (1000)" },
  ]);
});
