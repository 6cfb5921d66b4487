// Invariant: kill -9 of a worker while it streams a large transaction loses nothing: the restarted worker
// resumes exactly after the offset committed inside that transaction (its event and row counts), so
// Kafka holds every row, and repeats only the records acknowledged after that last commit.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type mysql from "mysql2/promise";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { createTopic } from "../../runtime/kafka/fixtures.ts";
import { type ReadRecord, readTopic } from "../../support/kafka.ts";
import { eventually, rest, tempDir, writeWorkerConfig } from "../../support/worker.ts";
import { adminConnection, connectorConfig, freshDatabase } from "./harness.ts";

const DB = "cdc_kill";
const ROWS = 60_000;
const NAME = `mysql-kill-${Date.now()}`;
const PREFIX = `kill${Date.now()}`;
const TOPIC = `${PREFIX}.${DB}.t`;
let db: mysql.Connection;
const children: ChildProcess[] = [];

beforeAll(async () => {
  db = await adminConnection();
  await freshDatabase(db, DB);
  await db.query(`CREATE TABLE ${DB}.t (id INT PRIMARY KEY, v VARCHAR(100) NOT NULL)`);
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});
afterAll(async () => {
  await db.query(`DROP DATABASE IF EXISTS ${DB}`);
  await db.end();
});

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
  const { child, url } = await spawnWorker(dataDir, port, connectorFile);
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
  child.kill("SIGKILL");
  await new Promise((resolve) => child.once("exit", resolve));
  const committed = committedOffset(dataDir) as Record<string, unknown>;
  expect(committed.pos).toBe(midTransaction.pos);
  const beforeRestart = changes(await readTopic(TOPIC, () => false, 3_000));
  expect(beforeRestart.length).toBeLessThan(ROWS);

  const restarted = await spawnWorker(dataDir, port);
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
    restarted.child.kill("SIGTERM");
    await new Promise((resolve) => restarted.child.once("exit", resolve));
  }
});
