// Invariant: offsets are kept where they belong and survive restarts: a source resumes after its last
// committed offset when the worker restarts, even after kill -9, with no record lost; DELETE offsets
// on a stopped connector makes the next start read from the beginning; offsets can only be changed
// while the connector is STOPPED.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { readTopic } from "../../support/kafka.ts";
import {
  eventually,
  killWorkerProcesses,
  rest,
  spawnWorkerProcess,
  startTestWorker,
  stopWorkerProcess,
  tempDir,
} from "../../support/worker.ts";

afterEach(killWorkerProcesses);

const iterationsIn = (records: Array<{ headers: Record<string, string> }>) =>
  new Set(records.map((r) => Number(r.headers["current.iteration"])));

const datagen = (topic: string, extra: Record<string, string> = {}) => ({
  "connector.class": "datagen",
  "kafka.topic": topic,
  quickstart: "users",
  "random.seed": "1",
  ...extra,
});

test("a source resumes after its committed offset when the worker restarts, losing nothing", async () => {
  const topic = `restart-${Date.now()}`;
  const first = await startTestWorker();
  await rest(first, "POST", "/connectors", {
    name: "gen",
    config: datagen(topic, { "max.interval": "5", iterations: "400" }),
  });
  await eventually(async () =>
    (await rest(first, "GET", "/connectors/gen/offsets")).body.offsets.length > 0 ? true : undefined,
  );
  await first.stop();

  const offsets = JSON.parse(readFileSync(join(first.dataDir, "offsets.json"), "utf8"));
  expect(JSON.stringify(offsets)).toContain("iteration");

  const second = await startTestWorker({ dataDir: first.dataDir });
  const records = await readTopic(topic, (r) => iterationsIn(r).size >= 400, 60_000);
  await second.stop();
  expect(iterationsIn(records).size).toBe(400);
  // At-least-once: a restart may repeat the records after the last commit, but never many.
  expect(records.length).toBeLessThan(400 + 100);
});

test("kill -9 of a worker mid-stream loses no record: the restarted worker fills every gap", async () => {
  const topic = `kill9-${Date.now()}`;
  const dataDir = tempDir();
  const connectorFile = join(dataDir, "gen.json");
  writeFileSync(
    connectorFile,
    JSON.stringify({ name: "gen", config: datagen(topic, { "max.interval": "2", iterations: "3000" }) }),
  );
  const port = 18_000 + Math.floor(Math.random() * 1000);

  const worker = await spawnWorkerProcess(dataDir, port, { connectorFiles: [connectorFile] });
  await eventually(
    () => (existsSync(join(dataDir, "offsets.json")) ? true : undefined),
    30_000,
    "a first offset commit",
  );
  await stopWorkerProcess(worker, "SIGKILL");

  const before = await readTopic(topic, () => false, 3_000);
  expect(iterationsIn(before).size).toBeLessThan(3_000);

  const restarted = await spawnWorkerProcess(dataDir, port);
  const records = await readTopic(topic, (r) => iterationsIn(r).size >= 3_000, 90_000);
  await stopWorkerProcess(restarted);
  expect(iterationsIn(records).size).toBe(3_000);
}, 240_000);

test("SIGTERM drains: the worker exits 0 and commits exactly what Kafka acknowledged", async () => {
  const topic = `sigterm-${Date.now()}`;
  const dataDir = tempDir();
  const connectorFile = join(dataDir, "gen.json");
  writeFileSync(
    connectorFile,
    JSON.stringify({ name: "gen", config: datagen(topic, { "max.interval": "0", iterations: "1000000" }) }),
  );
  const port = 19_000 + Math.floor(Math.random() * 500);
  const worker = await spawnWorkerProcess(dataDir, port, { connectorFiles: [connectorFile] });
  await eventually(
    () => (existsSync(join(dataDir, "offsets.json")) ? true : undefined),
    30_000,
    "a first offset commit",
  );
  await stopWorkerProcess(worker, "SIGTERM");
  expect(worker.child.exitCode).toBe(0);

  const committed = JSON.parse(readFileSync(join(dataDir, "offsets.json"), "utf8"));
  const lastIteration = Number(/"iteration":(\d+)/.exec(JSON.stringify(committed))?.[1]);
  const records = await readTopic(topic, (r) => iterationsIn(r).has(lastIteration), 30_000);
  const seen = iterationsIn(records);
  // Every record up to the committed offset is in Kafka, none missing.
  for (let i = 0; i <= lastIteration; i++)
    if (!seen.has(i)) throw new Error(`iteration ${i} is committed but not in Kafka`);
}, 240_000);

test("DELETE offsets on a stopped source makes the next start read from the beginning", async () => {
  const topic = `reset-${Date.now()}`;
  const worker = await startTestWorker();
  try {
    await rest(worker, "POST", "/connectors", {
      name: "gen",
      config: datagen(topic, { "max.interval": "0", iterations: "50" }),
    });
    await eventually(async () => {
      const { body } = await rest(worker, "GET", "/connectors/gen/offsets");
      return body.offsets[0]?.offset.iteration === 49 ? true : undefined;
    });
    const running = await rest(worker, "DELETE", "/connectors/gen/offsets");
    expect(running.status).toBe(400);
    expect(running.body.message).toMatch(/STOPPED/);

    expect((await rest(worker, "PUT", "/connectors/gen/stop")).status).toBe(204);
    const reset = await rest(worker, "DELETE", "/connectors/gen/offsets");
    expect(reset).toEqual({
      status: 200,
      body: { message: "The offsets for this connector have been reset successfully" },
    });
    expect((await rest(worker, "GET", "/connectors/gen/offsets")).body).toEqual({ offsets: [] });

    await rest(worker, "PUT", "/connectors/gen/resume");
    const records = await readTopic(topic, (r) => r.length >= 100, 30_000);
    const counts = new Map<number, number>();
    for (const i of records.map((r) => Number(r.headers["current.iteration"])))
      counts.set(i, (counts.get(i) ?? 0) + 1);
    expect([...counts.values()].every((n) => n === 2)).toBe(true);
    expect(counts.size).toBe(50);
  } finally {
    await worker.stop();
  }
});

test("DELETE offsets on a stopped sink makes it re-read the topic from the start", async () => {
  const topic = `sink-reset-${Date.now()}`;
  const worker = await startTestWorker();
  const file = join(worker.dataDir, "reset.jsonl");
  const count = () => (existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").length : 0);
  try {
    await rest(worker, "POST", "/connectors", {
      name: "gen",
      config: datagen(topic, { "max.interval": "0", iterations: "30" }),
    });
    await rest(worker, "POST", "/connectors", {
      name: `sink-${topic}`,
      config: { "connector.class": "capture-sink", topics: topic, "capture.file": file },
    });
    await eventually(() => (count() >= 30 ? true : undefined), 30_000, "the first pass");
    await eventually(
      async () => {
        const { body } = await rest(worker, "GET", `/connectors/sink-${topic}/offsets`);
        return body.offsets[0]?.offset.kafka_offset === 30 ? body : undefined;
      },
      30_000,
      "the sink's committed offset",
    );
    await rest(worker, "PUT", `/connectors/sink-${topic}/stop`);
    const reset = await rest(worker, "DELETE", `/connectors/sink-${topic}/offsets`);
    expect(reset.status).toBe(200);
    await rest(worker, "PUT", `/connectors/sink-${topic}/resume`);
    await eventually(() => (count() >= 60 ? true : undefined), 30_000, "the second pass");
    expect(count()).toBe(60);
  } finally {
    await worker.stop();
  }
});

test("enabling exactly-once carries a source's offsets from the file into the offsets topic, where PATCH and DELETE act", async () => {
  const topic = `eos-carry-${Date.now()}`;
  const offsetsTopic = `offsets-${topic}`;
  const first = await startTestWorker();
  await rest(first, "POST", "/connectors", {
    name: "gen",
    config: datagen(topic, { "max.interval": "0", iterations: "50" }),
  });
  await eventually(async () => {
    const { body } = await rest(first, "GET", "/connectors/gen/offsets");
    return body.offsets[0]?.offset.iteration === 49 ? true : undefined;
  });
  await first.stop();

  const second = await startTestWorker({
    dataDir: first.dataDir,
    worker: { "exactly.once.source.support": "enabled", "offset.storage.topic": offsetsTopic },
  });
  try {
    // Carried over: the source does not start again from the beginning.
    expect((await rest(second, "GET", "/connectors/gen/offsets")).body).toEqual({
      offsets: [{ partition: { task: 0 }, offset: { iteration: 49 } }],
    });
    const stored = await readTopic(offsetsTopic, (r) => r.length >= 1, 10_000);
    expect(stored.map((r) => [r.key, r.value])).toEqual([['["gen",{"task":0}]', '{"iteration":49}']]);

    expect((await rest(second, "PUT", "/connectors/gen/stop")).status).toBe(204);
    const altered = await rest(second, "PATCH", "/connectors/gen/offsets", {
      offsets: [{ partition: { task: 0 }, offset: { iteration: 39 } }],
    });
    expect(altered.status).toBe(200);
    expect((await rest(second, "GET", "/connectors/gen/offsets")).body.offsets[0].offset).toEqual({
      iteration: 39,
    });
    // Resumed, the source writes iterations 40–49 once more, in transactions.
    await rest(second, "PUT", "/connectors/gen/resume");
    const records = await readTopic(topic, (r) => r.length >= 60, 30_000);
    expect(records.slice(50).map((r) => Number(r.headers["current.iteration"]))).toEqual(
      Array.from({ length: 10 }, (_, i) => 40 + i),
    );

    expect((await rest(second, "PUT", "/connectors/gen/stop")).status).toBe(204);
    expect((await rest(second, "DELETE", "/connectors/gen/offsets")).status).toBe(200);
    expect((await rest(second, "GET", "/connectors/gen/offsets")).body).toEqual({ offsets: [] });
  } finally {
    await second.stop();
  }
}, 120_000);

test("transaction.boundary=interval commits records and offsets every interval, all of them in the end", async () => {
  const topic = `eos-interval-${Date.now()}`;
  const worker = await startTestWorker({
    worker: { "exactly.once.source.support": "enabled", "offset.storage.topic": `offsets-${topic}` },
  });
  try {
    await rest(worker, "POST", "/connectors", {
      name: "gen",
      config: datagen(topic, {
        "max.interval": "1",
        iterations: "300",
        "transaction.boundary": "interval",
        "transaction.boundary.interval.ms": "300",
      }),
    });
    const records = await readTopic(topic, (r) => r.length >= 300, 60_000);
    expect(iterationsIn(records).size).toBe(300);
    await eventually(async () => {
      const { body } = await rest(worker, "GET", "/connectors/gen/offsets");
      return body.offsets[0]?.offset.iteration === 299 ? true : undefined;
    });
    // Nothing was aborted or written twice: what Kafka holds, committed or not, is the 300 records.
    const uncommitted = await readTopic(topic, () => false, 2_000, { isolation: "read_uncommitted" });
    expect(uncommitted.length).toBe(300);
  } finally {
    await worker.stop();
  }
}, 120_000);
