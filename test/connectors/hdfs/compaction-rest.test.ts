// Invariant: an HDFS sink's compaction is driven through the worker like the rest of Sluice: the
// schedule shows in the connector's status, POST …/compactions runs it now (202 with a job id), GET
// …/compactions and `sluice compactions list` show the run with its report, and the small files of
// the partition become one file with the same offset range.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { RunningWorker } from "../../../runtime/worker/standalone.ts";
import { produce } from "../../support/kafka.ts";
import { eventually, rest, startTestWorker } from "../../support/worker.ts";
import { committedFiles, hdfs, STACK, sinkConfig, testRoot } from "./harness.ts";

const dir = testRoot("compaction-rest");
const topic = `lake-${Date.now()}`;
const name = `lake-sink-${Date.now()}`;
let worker: RunningWorker & { dataDir: string };
beforeAll(async () => {
  worker = await startTestWorker();
});
afterAll(async () => {
  await rest(worker, "DELETE", `/connectors/${name}`);
  await worker?.stop();
  await hdfs.delete(dir, { recursive: true });
});

test("a compaction run through REST merges the sink's small files and is listed with its report", async () => {
  await produce(
    topic,
    Array.from({ length: 8 }, (_, i) => ({ key: null, value: JSON.stringify({ id: i }) })),
  );
  const created = await rest(worker, "PUT", `/connectors/${name}/config`, {
    "connector.class": "io.confluent.connect.hdfs.HdfsSinkConnector",
    topics: topic,
    ...sinkConfig(dir, {
      "flush.size": "2",
      "compaction.redis.url": STACK.redisUrl,
      "compaction.schedule": "0 2 * * *",
    }),
  });
  expect(created.status).toBe(201);
  await eventually(
    async () => {
      const { body } = await rest(worker, "GET", `/connectors/${name}/offsets`);
      return body.offsets[0]?.offset.kafka_offset === 8 ? true : undefined;
    },
    60_000,
    "the sink to commit all 8 records",
  );
  expect(await committedFiles(dir)).toHaveLength(4);

  const status = await rest(worker, "GET", `/connectors/${name}/status`);
  expect(status.body.schedule).toMatchObject({ pattern: "0 2 * * *" });

  const triggered = await rest(worker, "POST", `/connectors/${name}/compactions`, {});
  expect(triggered.status).toBe(202);
  const id = triggered.body.id as string;
  const run = await eventually(
    async () => {
      const { body } = await rest(worker, "GET", `/connectors/${name}/compactions`);
      return (body as Array<{ id: string; state: string }>).find(
        (r) => r.id === id && r.state === "completed",
      );
    },
    60_000,
    "the compaction run to complete",
  );
  expect(run).toMatchObject({ trigger: "manual", report: { filesIn: 4, filesOut: 1 } });
  expect(await committedFiles(dir)).toEqual([`${topic}/partition=0/${topic}+0+0+7.json`]);

  // Asynchronously: the worker runs in this process and must answer the CLI meanwhile.
  const cli = await promisify(execFile)(process.execPath, [
    "bin/sluice.js",
    "compactions",
    "list",
    name,
    "--url",
    worker.url,
  ]);
  expect(cli.stdout).toMatch(new RegExp(`${id}\\s+manual\\s+\\*\\s+completed\\s+4→1`));

  const traversal = await rest(worker, "POST", `/connectors/${name}/compactions`, { path: "../../etc" });
  expect(traversal.status).toBe(400);
});
