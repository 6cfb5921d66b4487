// Invariant: what the admin reports about topics, group offsets and offsets by time is what Kafka holds, and what it alters is what a consumer of the group then sees.
import { afterEach, expect, test } from "vitest";
import { ErrorCode, type SluiceError } from "../../../runtime/api/errors.ts";
import { KafkaAdmin } from "../../../runtime/kafka/admin.ts";
import { KafkaSinkConsumer } from "../../../runtime/kafka/consumer.ts";
import { KafkaProducer } from "../../../runtime/kafka/producer.ts";
import {
  bootstrapServers,
  createTopic,
  fastConsumerSettings,
  pollRecords,
  records,
  uniqueName,
} from "./fixtures.ts";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function admin(): KafkaAdmin {
  const created = new KafkaAdmin({ bootstrapServers });
  closers.push(() => created.close());
  return created;
}

function producer(): KafkaProducer {
  const created = new KafkaProducer({ bootstrapServers });
  closers.push(() => created.close());
  return created;
}

test("createTopics creates missing topics once and leaves existing ones alone", async () => {
  const kafka = admin();
  const name = uniqueName("test-admin-create");
  expect(
    await kafka.createTopics([{ name, partitions: 3, configs: { "cleanup.policy": "compact" } }]),
  ).toEqual([name]);
  expect(await kafka.createTopics([{ name, partitions: 5 }])).toEqual([]);
  expect(await kafka.describeTopic(name)).toEqual([
    { topic: name, partition: 0, leader: 1 },
    { topic: name, partition: 1, leader: 1 },
    { topic: name, partition: 2, leader: 1 },
  ]);
  expect(await kafka.listTopics()).toContain(name);
  await kafka.deleteTopics([name, `${name}-never-existed`]);
  expect(await kafka.listTopics()).not.toContain(name);
});

test("describing a topic that does not exist names it", async () => {
  const name = uniqueName("test-admin-missing");
  await expect(admin().describeTopic(name)).rejects.toThrow(`topic "${name}" does not exist`);
});

test("a group's offsets can be listed, altered while it is empty, and deleted so it starts over", async () => {
  const kafka = admin();
  const topic = await createTopic("test-admin-group", 2);
  await Promise.all(
    producer().send([...records(topic, 5, { partition: 0 }), ...records(topic, 5, { partition: 1 })]),
  );
  const connectorName = uniqueName("admin-group");
  const groupId = `connect-${connectorName}`;
  expect(await kafka.listGroupOffsets(groupId)).toEqual([]);

  const member = new KafkaSinkConsumer({
    bootstrapServers,
    connectorName,
    topics: [topic],
    settings: fastConsumerSettings(),
  });
  expect(await pollRecords(member, 10)).toHaveLength(10);
  await member.commit([
    { topic, partition: 0, offset: 5n },
    { topic, partition: 1, offset: 2n },
  ]);
  expect(await kafka.listGroupOffsets(groupId)).toEqual([
    { topic, partition: 0, offset: 5n },
    { topic, partition: 1, offset: 2n },
  ]);
  const refused = await kafka
    .alterGroupOffsets(groupId, [{ topic, partition: 0, offset: 1n }])
    .catch((e: SluiceError) => e);
  expect((refused as SluiceError).code).toBe(ErrorCode.STATE_CONFLICT);
  await member.close();

  await kafka.alterGroupOffsets(groupId, [{ topic, partition: 0, offset: 1n }]);
  expect(await kafka.listGroupOffsets(groupId)).toEqual([
    { topic, partition: 0, offset: 1n },
    { topic, partition: 1, offset: 2n },
  ]);
  await kafka.deleteGroupOffsets(groupId, [{ topic, partition: 1 }]);
  expect(await kafka.listGroupOffsets(groupId)).toEqual([{ topic, partition: 0, offset: 1n }]);

  const next = new KafkaSinkConsumer({
    bootstrapServers,
    connectorName,
    topics: [topic],
    settings: fastConsumerSettings(),
  });
  closers.push(() => next.close());
  const resumed = await pollRecords(next, 9);
  expect(resumed.filter((r) => r.partition === 0).map((r) => r.offset)).toEqual([1n, 2n, 3n, 4n]);
  expect(resumed.filter((r) => r.partition === 1).map((r) => r.offset)).toEqual([0n, 1n, 2n, 3n, 4n]);
  await next.close();

  await kafka.deleteGroupOffsets(groupId);
  expect(await kafka.listGroupOffsets(groupId)).toEqual([]);
});

test("listOffsets finds the earliest, the latest and the first offset at or after a time", async () => {
  const kafka = admin();
  const topic = await createTopic("test-admin-offsets", 2);
  const at = (i: number) => 1_700_000_000_000 + i * 1000;
  await Promise.all(
    producer().send(
      Array.from({ length: 6 }, (_, i) => ({
        ...records(topic, 1, { partition: 0, start: i })[0]!,
        timestamp: at(i),
      })),
    ),
  );
  expect(await kafka.listOffsets(topic, "earliest")).toEqual([
    { topic, partition: 0, offset: 0n, timestamp: -1 },
    { topic, partition: 1, offset: 0n, timestamp: -1 },
  ]);
  expect(await kafka.listOffsets(topic, "latest")).toEqual([
    { topic, partition: 0, offset: 6n, timestamp: -1 },
    { topic, partition: 1, offset: 0n, timestamp: -1 },
  ]);
  expect(await kafka.listOffsets(topic, { timestamp: at(3) - 500 }, [0])).toEqual([
    { topic, partition: 0, offset: 3n, timestamp: at(3) },
  ]);
  expect(await kafka.listOffsets(topic, { timestamp: at(4) })).toEqual([
    { topic, partition: 0, offset: 4n, timestamp: at(4) },
    { topic, partition: 1, offset: 0n, timestamp: -1 },
  ]);
  expect(await kafka.listOffsets(topic, { timestamp: at(99) }, [0])).toEqual([
    { topic, partition: 0, offset: 6n, timestamp: -1 },
  ]);
});
