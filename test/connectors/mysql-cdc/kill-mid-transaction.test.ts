// Invariant: kill -9 of a worker while it streams a large transaction loses nothing: the restarted worker
// resumes exactly after the offset committed inside that transaction (its event and row counts), so
// Kafka holds every row, and repeats only the records acknowledged after that last commit.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type mysql from "mysql2/promise";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { createTopic } from "../../runtime/kafka/fixtures.ts";
import { type ReadRecord, readTopic } from "../../support/kafka.ts";
import {
  eventually,
  killWorkerProcesses,
  rest,
  spawnWorkerProcess,
  stopWorkerProcess,
  tempDir,
} from "../../support/worker.ts";
import { adminConnection, connectorConfig, freshDatabase } from "./harness.ts";

const DB = "cdc_kill";
const ROWS = 60_000;
const NAME = `mysql-kill-${Date.now()}`;
const PREFIX = `kill${Date.now()}`;
const TOPIC = `${PREFIX}.${DB}.t`;
let db: mysql.Connection;

beforeAll(async () => {
  db = await adminConnection();
  await freshDatabase(db, DB);
  await db.query(`CREATE TABLE ${DB}.t (id INT PRIMARY KEY, v VARCHAR(100) NOT NULL)`);
});
afterEach(killWorkerProcesses);
afterAll(async () => {
  await db.query(`DROP DATABASE IF EXISTS ${DB}`);
  await db.end();
});

interface Change {
  id: number;
  pos: number;
  row: number;
}

function changes(records: readonly ReadRecord[]): Change[] {
  return records.map((r) => {
    const value = JSON.parse(r.value as string) as {
      after: { id: number };
      source: { pos: number; row: number };
    };
    return { id: value.after.id, pos: value.source.pos, row: value.source.row };
  });
}

/** The committed offset of the connector in the worker's offset file. */
function committedOffset(dataDir: string): Record<string, unknown> | null {
  const path = join(dataDir, "offsets.json");
  if (!existsSync(path)) return null;
  const text = readFileSync(path, "utf8");
  const match = /\{[^{}]*"file"[^{}]*\}/.exec(text.replaceAll("\\", ""));
  return match ? (JSON.parse(match[0]) as Record<string, unknown>) : null;
}

test("a worker killed mid-transaction resumes after the offset committed inside it; every row reaches Kafka", {
  timeout: 300_000,
}, async () => {
  await createTopic(TOPIC, 1, { exactName: true });
  const dataDir = tempDir("sluice-mysql-kill-");
  const connectorFile = join(dataDir, "connector.json");
  writeFileSync(
    connectorFile,
    JSON.stringify({
      name: NAME,
      config: { ...connectorConfig(DB, { "topic.prefix": PREFIX }), "connector.class": "mysql-cdc" },
    }),
  );
  const port = 20_000 + Math.floor(Math.random() * 1000);
  const worker = await spawnWorkerProcess(dataDir, port, { connectorFiles: [connectorFile] });
  const { url } = worker;
  await eventually(async () => {
    const { body } = await rest({ url }, "GET", `/connectors/${NAME}/status`);
    return body?.tasks?.[0]?.state === "RUNNING" ? true : undefined;
  });
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // the no_data snapshot ends; streaming starts

  await db.query(
    `INSERT INTO ${DB}.t SELECT seq, CONCAT('row ', seq, ' ', REPEAT('x', 60)) FROM ${DB}.seq_1_to_${ROWS}`,
  );
  const midTransaction = await eventually(
    () => {
      const offset = committedOffset(dataDir);
      return offset && ((offset.event as number) > 0 || (offset.row as number) > 0) ? offset : undefined;
    },
    60_000,
    "an offset committed inside the transaction",
  );
  await stopWorkerProcess(worker, "SIGKILL");
  const committed = committedOffset(dataDir) as Record<string, unknown>;
  expect(committed.pos).toBe(midTransaction.pos);
  const beforeRestart = changes(await readTopic(TOPIC, () => false, 3_000));
  expect(beforeRestart.length).toBeLessThan(ROWS);

  const restarted = await spawnWorkerProcess(dataDir, port);
  try {
    const ids = new Set<number>();
    const all = changes(
      await readTopic(
        TOPIC,
        (records) => {
          const last = records.at(-1);
          if (last?.value) ids.add((JSON.parse(last.value) as { after: { id: number } }).after.id);
          return ids.size === ROWS;
        },
        120_000,
      ),
    );
    // Nothing lost.
    expect(new Set(all.map((c) => c.id)).size).toBe(ROWS);

    // The restarted worker's first record is the one right after the committed offset: row `row` of the
    // transaction's `event`-th row event (events in order of their positions).
    const eventPositions = [...new Set(all.map((c) => c.pos))];
    const resumedAt = all.findIndex((c, i) => i > 0 && c.id <= (all[i - 1] as Change).id);
    const first = resumedAt < 0 ? all[beforeRestart.length] : all[resumedAt];
    expect({ pos: first?.pos, row: first?.row }).toEqual(
      (committed.row as number) <
        all.filter((c) => c.pos === eventPositions[committed.event as number]).length
        ? { pos: eventPositions[committed.event as number], row: committed.row }
        : { pos: eventPositions[(committed.event as number) + 1], row: 0 },
    );
    // Only what Kafka acknowledged after that commit was written twice.
    const repeated = all.length - ROWS;
    expect(repeated).toBe(resumedAt < 0 ? 0 : resumedAt - (first?.id as number) + 1);
    console.log(
      `killed with ${beforeRestart.length} of ${ROWS} rows in Kafka, offset ${JSON.stringify(committed)}; ${repeated} repeated after the restart`,
    );
  } finally {
    await stopWorkerProcess(restarted);
  }
});

test("with exactly-once delivery, a worker killed mid-stream leaves every row in Kafka exactly once", {
  timeout: 300_000,
}, async () => {
  const table = "eos";
  await db.query(`CREATE TABLE ${DB}.${table} (id INT PRIMARY KEY, v VARCHAR(100) NOT NULL)`);
  const name = `mysql-eos-${Date.now()}`;
  const prefix = `eos${Date.now()}`;
  const topic = `${prefix}.${DB}.${table}`;
  await createTopic(topic, 1, { exactName: true });
  const dataDir = tempDir("sluice-mysql-eos-");
  const connectorFile = join(dataDir, "connector.json");
  writeFileSync(
    connectorFile,
    JSON.stringify({
      name,
      config: {
        ...connectorConfig(DB, { "topic.prefix": prefix, "table.include.list": `${DB}.${table}` }),
        "connector.class": "mysql-cdc",
        "exactly.once.support": "required",
      },
    }),
  );
  const exactlyOnce = {
    "exactly.once.source.support": "enabled",
    "offset.storage.topic": `offsets-${prefix}`,
    "offset.storage.partitions": "3",
  };
  const port = 21_000 + Math.floor(Math.random() * 1000);
  const worker = await spawnWorkerProcess(dataDir, port, {
    connectorFiles: [connectorFile],
    worker: exactlyOnce,
  });
  await eventually(async () => {
    const { body } = await rest(worker, "GET", `/connectors/${name}/status`);
    return body?.tasks?.[0]?.state === "RUNNING" ? true : undefined;
  });
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // the no_data snapshot ends; streaming starts

  await db.query(
    `INSERT INTO ${DB}.${table} SELECT seq, CONCAT('row ', seq, ' ', REPEAT('x', 60)) FROM ${DB}.seq_1_to_${ROWS}`,
  );
  await eventually(
    async () => ((await readTopic(topic, () => false, 500)).length > 0 ? true : undefined),
    60_000,
    "the first committed transaction",
  );
  await stopWorkerProcess(worker, "SIGKILL");
  const committedBeforeRestart = (await readTopic(topic, () => false, 3_000)).length;
  const writtenBeforeRestart = (await readTopic(topic, () => false, 3_000, { isolation: "read_uncommitted" }))
    .length;
  // The kill landed mid-stream: the restarted worker has rows left to deliver.
  expect(committedBeforeRestart).toBeLessThan(ROWS);

  const restarted = await spawnWorkerProcess(dataDir, port, { worker: exactlyOnce });
  try {
    // A row committed after the big transaction: once it is visible, every earlier row is too.
    await db.query(`INSERT INTO ${DB}.${table} VALUES (${ROWS + 1}, 'sentinel')`);
    const sentinel = JSON.stringify(ROWS + 1);
    await readTopic(topic, (records) => records.at(-1)?.key?.includes(sentinel) === true, 180_000);
    const all = changes(await readTopic(topic, (records) => records.length >= ROWS + 1, 30_000));
    const ids = all.map((c) => c.id);
    expect(new Set(ids).size).toBe(ROWS + 1); // nothing lost
    expect(ids.length).toBe(ROWS + 1); // nothing repeated
    expect(ids).toEqual([...ids].sort((a, b) => a - b)); // in commit order

    const { body } = await rest(restarted, "GET", `/connectors/${name}/offsets`);
    expect(body.offsets[0].partition).toEqual({ server: prefix });
    expect(body.offsets[0].offset).toMatchObject({ file: expect.any(String), pos: expect.any(Number) });
    console.log(
      `exactly-once: killed with ${committedBeforeRestart} of ${ROWS} rows committed and ${writtenBeforeRestart} written; after the restart ${ids.length} rows, none repeated`,
    );
  } finally {
    await stopWorkerProcess(restarted);
  }
});
