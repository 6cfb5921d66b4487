// Invariant: a connector's whole life runs through Kafka Connect's REST API against a real broker:
// created, running, paused (nothing flows), resumed (flow continues where it stopped), stopped,
// deleted — with Kafka Connect's status codes and bodies.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { RunningWorker } from "../../../runtime/worker/standalone.ts";
import { eventually, rest, startTestWorker } from "../../support/worker.ts";

let worker: RunningWorker & { dataDir: string };
beforeAll(async () => {
  worker = await startTestWorker();
});
afterAll(() => worker?.stop());

const lines = (file: string) =>
  existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean) : [];

test("a datagen source and a sink run, pause, resume and stop through REST", async () => {
  const topic = `lifecycle-${Date.now()}`;
  const capture = join(worker.dataDir, "capture.jsonl");

  const created = await rest(worker, "POST", "/connectors", {
    name: "gen",
    config: {
      "connector.class": "io.confluent.kafka.connect.datagen.DatagenConnector",
      "kafka.topic": topic,
      quickstart: "users",
      "max.interval": "20",
      "random.seed": "7",
    },
  });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ name: "gen", type: "source", tasks: [{ connector: "gen", task: 0 }] });

  const sink = await rest(worker, "PUT", "/connectors/sink/config", {
    "connector.class": "capture-sink",
    topics: topic,
    "capture.file": capture,
  });
  expect(sink.status).toBe(201);

  await eventually(async () => {
    const { body } = await rest(worker, "GET", "/connectors/sink/status");
    return body.connector.state === "RUNNING" && body.tasks[0]?.state === "RUNNING" ? body : undefined;
  });
  await eventually(() => (lines(capture).length >= 5 ? true : undefined), 30_000, "records in the sink");

  expect((await rest(worker, "PUT", "/connectors/gen/pause")).status).toBe(202);
  const paused = await eventually(async () => {
    const { body } = await rest(worker, "GET", "/connectors/gen/status");
    return body.tasks[0]?.state === "PAUSED" ? body : undefined;
  });
  expect(paused.connector.state).toBe("PAUSED");
  await new Promise((r) => setTimeout(r, 1500));
  const atPause = lines(capture).length;
  await new Promise((r) => setTimeout(r, 1500));
  expect(lines(capture).length).toBe(atPause);

  expect((await rest(worker, "PUT", "/connectors/gen/resume")).status).toBe(202);
  await eventually(
    () => (lines(capture).length > atPause + 3 ? true : undefined),
    30_000,
    "flow after resume",
  );

  // Datagen numbers its records; after resume the sequence continues with no gap and no restart from 0.
  const iterations = lines(capture).map((l) => Number(JSON.parse(l).headers["current.iteration"]));
  expect(iterations).toEqual(iterations.map((_, i) => i));

  const metrics = await eventually(
    async () => {
      const text = await fetch(`${worker.url}/metrics`).then((r) => r.text());
      return text.includes('sluice_offset_commit_timestamp_seconds{connector="sink"') ? text : undefined;
    },
    30_000,
    "a sink offset commit in the metrics",
  );
  expect(metrics).toMatch(/sluice_source_records_polled_total\{connector="gen",task="0"\} \d+/);
  expect(metrics).toMatch(
    new RegExp(
      `sluice_sink_consumer_lag_records\\{connector="sink",task="0",topic="${topic}",partition="0"\\} \\d+`,
    ),
  );

  const topics = await rest(worker, "GET", "/connectors/gen/topics");
  expect(topics.body).toEqual({ gen: { topics: [topic] } });

  expect((await rest(worker, "PUT", "/connectors/gen/stop")).status).toBe(204);
  const stopped = await eventually(async () => {
    const { body } = await rest(worker, "GET", "/connectors/gen/status");
    return body.connector.state === "STOPPED" ? body : undefined;
  });
  expect(stopped.tasks).toEqual([]);

  const list = await rest(worker, "GET", "/connectors?expand=status");
  expect(Object.keys(list.body).sort()).toEqual(["gen", "sink"]);
  expect(list.body.gen.status.connector.state).toBe("STOPPED");

  expect((await rest(worker, "DELETE", "/connectors/gen")).status).toBe(204);
  const afterDelete = await fetch(`${worker.url}/metrics`).then((r) => r.text());
  expect(afterDelete).not.toContain('connector="gen"');
  expect(afterDelete).toContain('connector="sink"');
  expect((await rest(worker, "GET", "/connectors/gen")).status).toBe(404);
  expect((await rest(worker, "DELETE", "/connectors/sink")).status).toBe(204);
});
