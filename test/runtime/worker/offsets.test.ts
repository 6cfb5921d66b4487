// Invariant: offsets are kept where they belong and survive restarts: a source resumes after its last
// committed offset when the worker restarts, even after kill -9, with no record lost; DELETE offsets
// on a stopped connector makes the next start read from the beginning; offsets can only be changed
// while the connector is STOPPED.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { readTopic } from "../../support/kafka.ts";
import { eventually, rest, startTestWorker, tempDir, writeWorkerConfig } from "../../support/worker.ts";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

const iterationsIn = (records: Array<{ headers: Record<string, string> }>) =>
  new Set(records.map((r) => Number(r.headers["current.iteration"])));

const datagen = (topic: string, extra: Record<string, string> = {}) => ({
  "connector.class": "datagen",
  "kafka.topic": topic,
  quickstart: "users",
  "random.seed": "1",
  ...extra,
});

/** Starts `sluice standalone` as a child process and resolves with its REST URL once it answers. */
async function spawnWorker(
  dataDir: string,
  port: number,
  connectorFile?: string,
): Promise<{ child: ChildProcess; url: string }> {
  const workerFile = writeWorkerConfig(dataDir, {}, port);
  const child = spawn(
    process.execPath,
    ["bin/sluice.js", "standalone", workerFile, ...(connectorFile ? [connectorFile] : [])],
    {
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => ((await fetch(`${url}/health`)).ok ? true : undefined),
    60_000,
    "the worker to be healthy",
  );
  return { child, url };
}

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

  const { child } = await spawnWorker(dataDir, port, connectorFile);
  await eventually(
    () => (existsSync(join(dataDir, "offsets.json")) ? true : undefined),
    30_000,
    "a first offset commit",
  );
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));

  const before = await readTopic(topic, () => false, 3_000);
  expect(iterationsIn(before).size).toBeLessThan(3_000);

  const restarted = await spawnWorker(dataDir, port);
  const records = await readTopic(topic, (r) => iterationsIn(r).size >= 3_000, 90_000);
  restarted.child.kill("SIGTERM");
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
  const { child } = await spawnWorker(dataDir, port, connectorFile);
  await eventually(
    () => (existsSync(join(dataDir, "offsets.json")) ? true : undefined),
    30_000,
    "a first offset commit",
  );
  child.kill("SIGTERM");
  const code = await new Promise((r) => child.once("exit", r));
  expect(code).toBe(0);

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
