// Invariant: secrets stay out of what the API returns: a connector config with ${env:…} placeholders
// runs with the resolved values, while GET …/config and the stored task configs show the placeholder.
// And a source record that a transform cannot handle goes to the source's dead-letter topic.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { RunningWorker } from "../../../runtime/worker/standalone.ts";
import { readTopic } from "../../support/kafka.ts";
import { eventually, rest, startTestWorker } from "../../support/worker.ts";

const topic = `provided-${Date.now()}`;
let worker: RunningWorker & { dataDir: string };
beforeAll(async () => {
  process.env.SLUICE_TEST_PROVIDED_TOPIC = topic;
  worker = await startTestWorker({
    worker: { "config.providers": "env", "config.providers.env.class": "env" },
  });
});
afterAll(() => worker?.stop());

test("a placeholder is resolved to run the connector but never shown or stored resolved", async () => {
  const created = await rest(worker, "POST", "/connectors", {
    name: "provided",
    config: {
      "connector.class": "datagen",
      "kafka.topic": "${env:SLUICE_TEST_PROVIDED_TOPIC}",
      quickstart: "users",
      "max.interval": "0",
      iterations: "3",
    },
  });
  expect(created.status).toBe(201);
  const records = await readTopic(topic, (r) => r.length >= 3);
  expect(records).toHaveLength(3);

  expect((await rest(worker, "GET", "/connectors/provided/config")).body["kafka.topic"]).toBe(
    "${env:SLUICE_TEST_PROVIDED_TOPIC}",
  );
  const tasks = await rest(worker, "GET", "/connectors/provided/tasks");
  expect(JSON.stringify(tasks.body)).not.toContain(topic);
  expect(readFileSync(join(worker.dataDir, "connectors.json"), "utf8")).not.toContain(topic);
});

test("an unknown placeholder is refused with 400 naming the key", async () => {
  const response = await rest(worker, "POST", "/connectors", {
    name: "unresolvable",
    config: {
      "connector.class": "datagen",
      "kafka.topic": "${env:SLUICE_TEST_NOT_SET}",
      quickstart: "users",
    },
  });
  expect(response.status).toBe(400);
  expect(response.body.message).toContain("kafka.topic");
  expect(response.body.message).toContain("SLUICE_TEST_NOT_SET");
});

test("a source record that fails its transform goes to the source's dead-letter topic, the rest flow on", async () => {
  const out = `source-dlq-${Date.now()}`;
  const dlq = `${out}-dlq`;
  // Cast userid (text such as "User_3") to int32 fails for every record: all of them are dead-lettered.
  await rest(worker, "POST", "/connectors", {
    name: "source-dlq",
    config: {
      "connector.class": "datagen",
      "kafka.topic": out,
      quickstart: "users",
      "max.interval": "0",
      iterations: "4",
      transforms: "cast",
      "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value",
      "transforms.cast.spec": "userid:int32",
      "errors.tolerance": "all",
      "errors.deadletterqueue.topic.name": dlq,
    },
  });
  const dead = await readTopic(dlq, (r) => r.length >= 4);
  expect(dead).toHaveLength(4);
  expect(dead[0]?.headers["__connect.errors.stage"]).toBe("TRANSFORMATION");
  expect(JSON.parse(dead[0]?.value ?? "{}").userid).toMatch(/^User_/);
  const status = await eventually(
    async () => (await rest(worker, "GET", "/connectors/source-dlq/status")).body,
  );
  expect(status.tasks[0].state).toBe("RUNNING");
});
