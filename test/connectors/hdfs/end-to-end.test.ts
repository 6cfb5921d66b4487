// Invariant: through a standalone worker (Kafka → JSON converter → hdfs sink), every record of a topic
// ends in exactly one committed HDFS file even when the worker process is killed with SIGKILL mid-stream
// and restarted, the consumer group's offsets follow what HDFS holds, and PATCH offsets on the stopped
// connector moves where it resumes although the position lives in HDFS.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, expect, test } from "vitest";
import { KafkaAdmin } from "../../../runtime/kafka/admin.ts";
import { produce } from "../../support/kafka.ts";
import {
  eventually,
  killWorkerProcesses,
  rest,
  spawnWorkerProcess,
  startTestWorker,
  stopWorkerProcess,
  tempDir,
} from "../../support/worker.ts";
import { committedFiles, committedIds, hdfs, multiset, range, STACK, testRoot } from "./harness.ts";

const roots: string[] = [];
afterEach(killWorkerProcesses);
afterAll(async () => {
  for (const dir of roots) await hdfs.delete(dir, { recursive: true });
});

function sinkConnector(
  topic: string,
  root: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    "connector.class": "io.confluent.connect.hdfs.HdfsSinkConnector",
    topics: topic,
    "hdfs.url": STACK.webhdfsUrl,
    "hdfs.user": STACK.hdfsUser,
    "topics.dir": `${root}/topics`,
    "logs.dir": `${root}/logs`,
    "flush.size": "50",
    "rotate.schedule.interval.ms": "1000",
    // A killed worker's consumer leaves the group only when its session expires; keep that short.
    "consumer.override.session.timeout.ms": "8000",
    "consumer.override.heartbeat.interval.ms": "1000",
    ...extra,
  };
}

async function createTopic(name: string, partitions: number): Promise<void> {
  const admin = new KafkaAdmin({ bootstrapServers: [STACK.kafkaBootstrap] });
  try {
    await admin.createTopics([{ name, partitions }]);
  } finally {
    await admin.close();
  }
}

const records = (ids: number[]) => ids.map((id) => ({ key: String(id), value: JSON.stringify({ id }) }));

async function committedOffsets(worker: { url: string }, name: string): Promise<number> {
  const { body } = await rest(worker, "GET", `/connectors/${name}/offsets`);
  return (body.offsets as Array<{ offset: { kafka_offset: number } }>).reduce(
    (n, o) => n + o.offset.kafka_offset,
    0,
  );
}

test("kill -9 of the worker mid-stream leaves every record in exactly one committed file after a restart", async () => {
  const topic = `hdfs-kill9-${Date.now()}`;
  const root = testRoot("e2e-kill9");
  roots.push(root);
  await createTopic(topic, 2);
  await produce(topic, records(range(0, 500)));
  // The topic keeps flowing, 50 records every 100 ms, while the worker is killed and restarted.
  const flowing = (async () => {
    for (let next = 500; next < 3_000; next += 50) {
      await produce(topic, records(range(next, 50)));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();

  const dataDir = tempDir();
  const connectorFile = join(dataDir, "hdfs.json");
  const name = `lake-${topic}`;
  writeFileSync(connectorFile, JSON.stringify({ name, config: sinkConnector(topic, root) }));
  const port = 20_000 + Math.floor(Math.random() * 1000);
  const worker = await spawnWorkerProcess(dataDir, port, { connectorFiles: [connectorFile] });
  await eventually(
    async () => ((await committedFiles(root)).length >= 12 ? true : undefined),
    60_000,
    "some committed files",
  );
  await stopWorkerProcess(worker, "SIGKILL");
  expect(multiset(await committedIds(root)).duplicates).toEqual([]);

  const restarted = await spawnWorkerProcess(dataDir, port);
  await flowing;
  await eventually(
    async () => ((await committedIds(root)).length >= 3_000 ? true : undefined),
    90_000,
    "all 3000 records in HDFS",
  );
  await eventually(
    async () => ((await committedOffsets(restarted, name)) === 3_000 ? true : undefined),
    30_000,
    "the group offsets",
  );
  await stopWorkerProcess(restarted);

  const { ids, duplicates } = multiset(await committedIds(root));
  expect(duplicates).toEqual([]);
  expect(ids).toEqual(range(0, 3_000));
  expect(await hdfs.listOrEmpty(`${root}/topics/+tmp/${topic}`)).toEqual([]);
}, 240_000);

test("PATCH offsets on the stopped connector skips to the new offset although HDFS holds the position", async () => {
  const topic = `hdfs-patch-${Date.now()}`;
  const root = testRoot("e2e-patch");
  roots.push(root);
  await produce(topic, records(range(0, 200)));
  const worker = await startTestWorker();
  const name = `lake-${topic}`;
  try {
    const created = await rest(worker, "POST", "/connectors", { name, config: sinkConnector(topic, root) });
    expect(created.status).toBe(201);
    await eventually(
      async () => ((await committedOffsets(worker, name)) === 200 ? true : undefined),
      60_000,
      "offset 200",
    );

    expect((await rest(worker, "PUT", `/connectors/${name}/stop`)).status).toBe(204);
    const patched = await rest(worker, "PATCH", `/connectors/${name}/offsets`, {
      offsets: [{ partition: { kafka_topic: topic, kafka_partition: 0 }, offset: { kafka_offset: 300 } }],
    });
    expect(patched.status).toBe(200);
    await produce(topic, records(range(200, 200)));
    expect((await rest(worker, "PUT", `/connectors/${name}/resume`)).status).toBe(202);

    await eventually(
      async () => ((await committedOffsets(worker, name)) === 400 ? true : undefined),
      60_000,
      "offset 400",
    );
    const { ids, duplicates } = multiset(await committedIds(root));
    expect(duplicates).toEqual([]);
    expect(ids).toEqual([...range(0, 200), ...range(300, 100)]);
    expect(await committedFiles(root)).toContain(`${topic}/partition=0/${topic}+0+300+349.json`);
  } finally {
    await worker.stop();
  }
}, 180_000);
