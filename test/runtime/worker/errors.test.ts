// Invariant: bad records and failing tasks lose nothing: a poison record goes to the dead-letter
// topic with its context headers while the rest flow on; a task that throws is shown FAILED with its
// trace and restarted by the supervisor with backoff; a retriable put is redelivered. Source records
// that fail are dead-lettered the same way, and count as done for their offsets.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { RunningWorker } from "../../../runtime/worker/standalone.ts";
import { produce, readTopic } from "../../support/kafka.ts";
import { eventually, rest, startTestWorker } from "../../support/worker.ts";

let worker: RunningWorker & { dataDir: string };
beforeAll(async () => {
  worker = await startTestWorker();
});
afterAll(() => worker?.stop());

const captured = (file: string) =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];

test("a poison record lands in the dead-letter topic with its headers while the rest flow on", async () => {
  const topic = `dlq-source-${Date.now()}`;
  const dlq = `${topic}-dlq`;
  const file = join(worker.dataDir, "dlq-capture.jsonl");
  await produce(topic, [
    { key: '"a"', value: '{"n":1}' },
    { key: '"b"', value: "not json{" },
    { key: '"c"', value: '{"n":3}' },
  ]);
  const put = await rest(worker, "PUT", "/connectors/dlq-sink/config", {
    "connector.class": "capture-sink",
    topics: topic,
    "capture.file": file,
    "errors.tolerance": "all",
    "errors.deadletterqueue.topic.name": dlq,
    "errors.deadletterqueue.context.headers.enable": "true",
  });
  expect(put.status).toBe(201);

  const rows = await eventually(
    () => (captured(file).length >= 2 ? captured(file) : undefined),
    30_000,
    "good records",
  );
  expect(rows.map((r) => r.value)).toEqual([{ n: 1 }, { n: 3 }]);

  const [dead] = await readTopic(dlq, (records) => records.length >= 1);
  expect(dead?.value).toBe("not json{");
  expect(dead?.key).toBe('"b"');
  expect(dead?.headers).toMatchObject({
    "__connect.errors.topic": topic,
    "__connect.errors.partition": "0",
    "__connect.errors.offset": "1",
    "__connect.errors.connector.name": "dlq-sink",
    "__connect.errors.task.id": "0",
    "__connect.errors.stage": "VALUE_CONVERTER",
  });
  expect(dead?.headers["__connect.errors.exception.message"]).toMatch(/json/i);
  expect(dead?.headers["__connect.errors.exception.stacktrace"]).toContain("at ");

  const metrics = await fetch(`${worker.url}/metrics`).then((r) => r.text());
  expect(metrics).toMatch(/sluice_records_dead_lettered_total\{connector="dlq-sink",task="0"\} 1/);
  await rest(worker, "DELETE", "/connectors/dlq-sink");
});

test("a poison record with errors.tolerance=none fails the task with the reason in its trace", async () => {
  const topic = `dlq-none-${Date.now()}`;
  await produce(topic, [{ key: null, value: "{oops" }]);
  await rest(worker, "PUT", "/connectors/strict-sink/config", {
    "connector.class": "capture-sink",
    topics: topic,
    "capture.file": join(worker.dataDir, "strict.jsonl"),
  });
  const status = await eventually(async () => {
    const { body } = await rest(worker, "GET", "/connectors/strict-sink/tasks/0/status");
    return body.state === "FAILED" ? body : undefined;
  });
  expect(status.trace).toMatch(/Tolerance exceeded in error handler at stage VALUE_CONVERTER/);
  await rest(worker, "DELETE", "/connectors/strict-sink");
});

test("source records whose transform fails are dead-lettered with their stage, and their offsets still committed", async () => {
  const topic = `dlq-src-${Date.now()}`;
  const dlq = `${topic}-dlq`;
  // users' gender is MALE, FEMALE or OTHER: casting it to int32 fails on every record.
  const put = await rest(worker, "PUT", "/connectors/dlq-source/config", {
    "connector.class": "datagen",
    "kafka.topic": topic,
    quickstart: "users",
    iterations: "5",
    "max.interval": "1",
    transforms: "cast",
    "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value",
    "transforms.cast.spec": "gender:int32",
    "errors.tolerance": "all",
    "errors.deadletterqueue.topic.name": dlq,
    "errors.deadletterqueue.context.headers.enable": "true",
  });
  expect(put.status).toBe(201);
  const dead = await readTopic(dlq, (records) => records.length >= 5);
  expect(dead).toHaveLength(5);
  for (const record of dead) {
    expect(JSON.parse(record.value ?? "null")).toMatchObject({ gender: expect.stringMatching(/^[A-Z]+$/) });
    expect(record.headers).toMatchObject({
      "__connect.errors.connector.name": "dlq-source",
      "__connect.errors.stage": "TRANSFORMATION",
    });
  }
  // Skipped records count as done: the task's offset reaches the last of them (iterations count from 0).
  const offsets = await eventually(async () => {
    const { body } = await rest(worker, "GET", "/connectors/dlq-source/offsets");
    return body.offsets?.[0]?.offset?.iteration === 4 ? body.offsets : undefined;
  });
  expect(offsets).toHaveLength(1);
  const { body: status } = await rest(worker, "GET", "/connectors/dlq-source/status");
  expect(status.tasks[0].state).toBe("RUNNING");
  await rest(worker, "DELETE", "/connectors/dlq-source");
});

test("a source record whose transform fails with errors.tolerance=none fails the task at that stage", async () => {
  await rest(worker, "PUT", "/connectors/strict-source/config", {
    "connector.class": "datagen",
    "kafka.topic": `strict-src-${Date.now()}`,
    quickstart: "users",
    iterations: "1",
    transforms: "cast",
    "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value",
    "transforms.cast.spec": "gender:int32",
  });
  const status = await eventually(async () => {
    const { body } = await rest(worker, "GET", "/connectors/strict-source/tasks/0/status");
    return body.state === "FAILED" ? body : undefined;
  });
  expect(status.trace).toMatch(/Tolerance exceeded in error handler at stage TRANSFORMATION/);
  await rest(worker, "DELETE", "/connectors/strict-source");
});

test("a task that throws is shown FAILED with its trace, then restarted with backoff, and nothing is lost", async () => {
  const topic = `flaky-${Date.now()}`;
  const file = join(worker.dataDir, "flaky.jsonl");
  await produce(
    topic,
    Array.from({ length: 20 }, (_, i) => ({ key: null, value: JSON.stringify({ i }) })),
  );
  await rest(worker, "PUT", "/connectors/flaky-sink/config", {
    "connector.class": "capture-sink",
    topics: topic,
    "capture.file": file,
    "capture.fail.puts": "2",
  });
  const failed = await eventually(
    async () => {
      const { body } = await rest(worker, "GET", "/connectors/flaky-sink/status");
      return body.tasks[0]?.state === "FAILED" ? body.tasks[0] : undefined;
    },
    15_000,
    "a FAILED status",
  );
  expect(failed.trace).toContain("capture-sink failing on purpose");

  await eventually(
    async () => {
      const { body } = await rest(worker, "GET", "/connectors/flaky-sink/status");
      return body.tasks[0]?.state === "RUNNING" && captured(file).length >= 20 ? true : undefined;
    },
    30_000,
    "the restarted task delivering everything",
  );
  expect(captured(file).map((r) => r.value.i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  const metrics = await fetch(`${worker.url}/metrics`).then((r) => r.text());
  expect(metrics).toMatch(/sluice_task_restarts_total\{connector="flaky-sink",task="0"\} 2/);
  await rest(worker, "DELETE", "/connectors/flaky-sink");
});

test("a put that fails with a retriable error is redelivered without failing the task", async () => {
  const topic = `retry-${Date.now()}`;
  const file = join(worker.dataDir, "retry.jsonl");
  await produce(
    topic,
    Array.from({ length: 5 }, (_, i) => ({ key: null, value: JSON.stringify({ i }) })),
  );
  await rest(worker, "PUT", "/connectors/retry-sink/config", {
    "connector.class": "capture-sink",
    topics: topic,
    "capture.file": file,
    "capture.retriable.puts": "3",
  });
  await eventually(() => (captured(file).length >= 5 ? true : undefined), 30_000, "redelivered records");
  expect(captured(file).map((r) => r.value.i)).toEqual([0, 1, 2, 3, 4]);
  const { body } = await rest(worker, "GET", "/connectors/retry-sink/status");
  expect(body.tasks[0].state).toBe("RUNNING");
  await rest(worker, "DELETE", "/connectors/retry-sink");
});

test("a sink whose topic does not exist yet waits for it, RUNNING, instead of failing", async () => {
  const topic = `later-${Date.now()}`;
  const file = join(worker.dataDir, "later.jsonl");
  await rest(worker, "PUT", "/connectors/later-sink/config", {
    "connector.class": "capture-sink",
    topics: topic,
    "capture.file": file,
  });
  await new Promise((r) => setTimeout(r, 2_000));
  const { body } = await rest(worker, "GET", "/connectors/later-sink/status");
  expect(body.tasks[0].state).toBe("RUNNING");
  await produce(topic, [{ key: null, value: '{"late":true}' }]);
  const rows = await eventually(
    () => (captured(file).length >= 1 ? captured(file) : undefined),
    30_000,
    "the late record",
  );
  expect(rows.map((r) => r.value)).toEqual([{ late: true }]);
  await rest(worker, "DELETE", "/connectors/later-sink");
});
