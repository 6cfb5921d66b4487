// Invariant: through the engine (standalone worker, Kafka consumer group, JSON converter), a topic of rows
// with updates, tombstones and rewritten deletes lands in Redis hashes as the rows' final state; a record
// that is no row goes to the dead-letter topic with the reason while the rest flow on; and replaying the
// topic from offset 0 (offsets reset) leaves Redis as it was.
import { afterAll, beforeAll, expect, test } from "vitest";
import type { RunningWorker } from "../../../runtime/worker/standalone.ts";
import { produce, readTopic } from "../../support/kafka.ts";
import { eventually, rest, startTestWorker } from "../../support/worker.ts";
import { dropKeys, REDIS_URL, redis, snapshot, uniqueTopic } from "./harness.ts";

let worker: RunningWorker & { dataDir: string };
const topic = uniqueTopic("e2e-accounts");
const connector = `redis-${topic}`;

beforeAll(async () => {
  worker = await startTestWorker();
});
afterAll(async () => {
  await worker?.stop();
  await dropKeys(topic);
  redis.disconnect();
});

/** Waits until the sink has committed offset `next` (the next offset to read) of partition 0. */
async function committed(next: number): Promise<void> {
  await eventually(
    async () => {
      const { body } = await rest(worker, "GET", `/connectors/${connector}/offsets`);
      return body.offsets[0]?.offset.kafka_offset === next ? true : undefined;
    },
    60_000,
    `the sink's committed offset ${next}`,
  );
}

test("a topic of rows, updates and deletes becomes the final hashes; a record that is no row is dead-lettered; a replay changes nothing", async () => {
  const dlq = `${topic}-dlq`;
  await produce(topic, [
    { key: "1", value: '{"id":1,"owner":"Ada","balance":5}' },
    { key: "2", value: '{"id":2,"owner":"Bob","balance":7}' },
    { key: "1", value: '{"id":1,"owner":"Ada","balance":6}' },
    { key: "3", value: "42" },
    { key: "2", value: null },
    { key: "4", value: '{"id":4,"owner":"Di","balance":9,"__deleted":"false"}' },
    { key: "5", value: '{"id":5,"owner":"Ed","balance":1}' },
    { key: "5", value: '{"id":5,"owner":"Ed","balance":1,"__deleted":"true"}' },
  ]);
  const created = await rest(worker, "PUT", `/connectors/${connector}/config`, {
    "connector.class": "redis",
    topics: topic,
    "redis.uri": REDIS_URL,
    "redis.type": "HASH",
    "errors.tolerance": "all",
    "errors.deadletterqueue.topic.name": dlq,
  });
  expect(created.status).toBe(201);
  await committed(8);
  const final = {
    [`${topic}:1`]: { id: "1", owner: "Ada", balance: "6" },
    [`${topic}:4`]: { id: "4", owner: "Di", balance: "9", __deleted: "false" },
  };
  expect(await snapshot(topic)).toEqual(final);
  const [dead] = await readTopic(dlq, (records) => records.length >= 1);
  expect(dead?.key).toBe("3");
  expect(dead?.value).toBe("42");
  expect(dead?.headers["__connect.errors.stage"]).toBe("TASK_PUT");
  expect(dead?.headers["__connect.errors.exception.message"]).toBe(
    "HASH needs a struct or map as the record value; got 42",
  );

  expect((await rest(worker, "PUT", `/connectors/${connector}/stop`)).status).toBe(204);
  expect((await rest(worker, "DELETE", `/connectors/${connector}/offsets`)).status).toBe(200);
  expect((await rest(worker, "PUT", `/connectors/${connector}/resume`)).status).toBe(202);
  const replayed = await readTopic(dlq, (records) => records.length >= 2);
  expect(replayed.map((r) => r.key)).toEqual(["3", "3"]);
  await committed(8);
  expect(await snapshot(topic)).toEqual(final);
});
