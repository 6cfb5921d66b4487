// Invariant: through the engine (standalone worker, Kafka consumer group, JSON converter), a topic of rows
// with updates and tombstones lands in OpenSearch as the rows' final state; a document OpenSearch refuses
// goes to the dead-letter topic with the server's reason while the rest flow on; and replaying the topic
// from offset 0 (offsets reset) leaves the index as it was.
import { afterAll, beforeAll, expect, test } from "vitest";
import type { RunningWorker } from "../../../runtime/worker/standalone.ts";
import { produce, readTopic } from "../../support/kafka.ts";
import { eventually, rest, startTestWorker } from "../../support/worker.ts";
import { documents, dropIndices, OPENSEARCH_URL, uniqueTopic } from "./harness.ts";

let worker: RunningWorker & { dataDir: string };
const topic = uniqueTopic("e2e-customers");
const connector = `es-${topic}`;

beforeAll(async () => {
  worker = await startTestWorker();
});
afterAll(async () => {
  await worker?.stop();
  await dropIndices(topic);
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

test("a topic of rows, updates and tombstones becomes the final rows; a refused document is dead-lettered; a replay changes nothing", async () => {
  const dlq = `${topic}-dlq`;
  await produce(topic, [
    { key: '"1"', value: '{"id":1,"name":"Ada","amount":5}' },
    { key: '"2"', value: '{"id":2,"name":"Bob","amount":7}' },
    { key: '"1"', value: '{"id":1,"name":"Ada L.","amount":6}' },
    { key: '"3"', value: '{"id":3,"name":"Cy","amount":"lots"}' },
    { key: '"2"', value: null },
    { key: '"4"', value: '{"id":4,"name":"Di","amount":9}' },
  ]);
  const created = await rest(worker, "PUT", `/connectors/${connector}/config`, {
    "connector.class": "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
    topics: topic,
    "connection.url": OPENSEARCH_URL,
    flavor: "opensearch",
    "behavior.on.null.values": "delete",
    "errors.tolerance": "all",
    "errors.deadletterqueue.topic.name": dlq,
  });
  expect(created.status).toBe(201);
  await committed(6);
  const final = {
    "1": { id: 1, name: "Ada L.", amount: 6 },
    "4": { id: 4, name: "Di", amount: 9 },
  };
  expect(await documents(topic)).toEqual(final);
  const [dead] = await readTopic(dlq, (records) => records.length >= 1);
  expect(dead?.key).toBe('"3"');
  expect(dead?.value).toBe('{"id":3,"name":"Cy","amount":"lots"}');
  expect(dead?.headers["__connect.errors.stage"]).toBe("TASK_PUT");
  expect(dead?.headers["__connect.errors.exception.message"]).toMatch(
    /with HTTP 400: mapper_parsing_exception: failed to parse field \[amount\] of type \[long\]/,
  );

  expect((await rest(worker, "PUT", `/connectors/${connector}/stop`)).status).toBe(204);
  expect((await rest(worker, "DELETE", `/connectors/${connector}/offsets`)).status).toBe(200);
  expect((await rest(worker, "PUT", `/connectors/${connector}/resume`)).status).toBe(202);
  const replayed = await readTopic(dlq, (records) => records.length >= 2);
  expect(replayed.map((r) => r.key)).toEqual(['"3"', '"3"']);
  await committed(6);
  expect(await documents(topic)).toEqual(final);
});
