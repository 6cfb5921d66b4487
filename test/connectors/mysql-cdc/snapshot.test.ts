// Invariant: an initial snapshot reads every captured row exactly once, as of one binlog position (read
// events, op "r", in primary-key chunks), and streaming then continues from exactly that position, so
// that changes made while the snapshot runs arrive once, after it; an unfinished snapshot is redone.
import type mysql from "mysql2/promise";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { SourceRecord } from "../../../runtime/api/index.ts";
import {
  adminConnection,
  changesOf,
  connectorConfig,
  envelope,
  freshDatabase,
  recordingLogger,
  TaskHarness,
} from "./harness.ts";

const DB = "cdc_snapshot";
const ACCOUNTS = `cdc-snapshot.${DB}.accounts`;
let db: mysql.Connection;

beforeAll(async () => {
  db = await adminConnection();
  await freshDatabase(db, DB);
  await db.query(`
    CREATE TABLE ${DB}.accounts (id INT PRIMARY KEY, balance DECIMAL(10,2) NOT NULL);
    INSERT INTO ${DB}.accounts SELECT seq, seq * 10 FROM ${DB}.seq_1_to_100;
    CREATE TABLE ${DB}.pairs (region VARCHAR(10), n INT, label VARCHAR(20), PRIMARY KEY (region, n));
    INSERT INTO ${DB}.pairs SELECT IF(seq % 2 = 0, 'east', 'west'), seq DIV 2, CONCAT('p', seq) FROM ${DB}.seq_1_to_25;
    CREATE TABLE ${DB}.log (line VARCHAR(20));
    INSERT INTO ${DB}.log SELECT CONCAT('line ', seq) FROM ${DB}.seq_1_to_23`);
});
afterAll(async () => {
  await db.query(`DROP DATABASE IF EXISTS ${DB}`);
  await db.end();
});

/** Applies change events to a map of rows by key text: the table a consumer rebuilds from the topic. */
function replay(records: readonly SourceRecord[]): Map<string, unknown> {
  const state = new Map<string, unknown>();
  for (const record of records) {
    if (record.value === null) continue;
    const { op, after } = envelope(record);
    const key = JSON.stringify(record.key);
    if (op === "d") state.delete(key);
    else state.set(key, after);
  }
  return state;
}

test("a snapshot taken while rows change is consistent, and streaming continues from its position without gap or overlap", async () => {
  const logger = recordingLogger();
  const harness = await TaskHarness.start(
    connectorConfig(DB, {
      "snapshot.mode": "initial",
      "include.schema.changes": "true",
      "max.batch.size": "10",
      "max.queue.size": "20",
    }),
    null,
    logger,
  );
  try {
    // The position and the definitions were read at start; these changes come after it.
    await db.query(`
      UPDATE ${DB}.accounts SET balance = balance + 1 WHERE id <= 50;
      DELETE FROM ${DB}.accounts WHERE id > 90;
      INSERT INTO ${DB}.accounts VALUES (1000, 1.5)`);
    const snapshot = await harness.pollRecords(3 + 100 + 25 + 23, {
      filter: (r) => (r.value as { op?: string })?.op !== "u",
    });
    const streamed = await harness.pollRecords(50 + 10 + 10 + 1, { filter: (r) => r.topic === ACCOUNTS });

    const schemaChanges = snapshot.slice(0, 3);
    expect(
      schemaChanges.map((r) => [r.topic, r.key, (r.value as { ddl: string }).ddl.split("\n")[0]]),
    ).toEqual([
      ["cdc-snapshot", { databaseName: DB }, "CREATE TABLE `accounts` ("],
      ["cdc-snapshot", { databaseName: DB }, "CREATE TABLE `log` ("],
      ["cdc-snapshot", { databaseName: DB }, "CREATE TABLE `pairs` ("],
    ]);
    const reads = snapshot.slice(3);
    expect(reads.every((r) => envelope(r).op === "r" && envelope(r).before === null)).toBe(true);
    // The snapshot saw the rows as they were at its position, in primary-key order.
    const accounts = reads.filter(changesOf(ACCOUNTS)).map((r) => envelope(r).after);
    expect(accounts).toEqual(
      Array.from({ length: 100 }, (_, i) => ({ id: i + 1, balance: `${(i + 1) * 10}.00` })),
    );
    const pairs = reads.filter(changesOf(`cdc-snapshot.${DB}.pairs`)).map((r) => r.key);
    const byKey = (a: unknown, b: unknown) => {
      const x = a as { region: string; n: number };
      const y = b as { region: string; n: number };
      return x.region === y.region ? x.n - y.n : x.region < y.region ? -1 : 1;
    };
    expect(pairs).toEqual([...pairs].sort(byKey));
    expect(new Set(pairs.map((k) => JSON.stringify(k))).size).toBe(25);
    const log = reads.filter(changesOf(`cdc-snapshot.${DB}.log`));
    expect(log.map((r) => r.key)).toEqual(Array(23).fill(null));
    expect(log.map((r) => (envelope(r).after as { line: string }).line).sort()).toEqual(
      Array.from({ length: 23 }, (_, i) => `line ${i + 1}`).sort(),
    );

    // source.snapshot marks the first and last record; only the last offset says the snapshot is complete.
    const markers = snapshot.map((r) => (r.value as { source: { snapshot: string } }).source.snapshot);
    expect(markers[0]).toBe("first");
    expect(markers.at(-1)).toBe("last");
    expect(markers.slice(1, -1).every((m) => m === "true")).toBe(true);
    expect(snapshot.slice(0, -1).every((r) => r.sourceOffset.snapshot === true)).toBe(true);
    expect(snapshot.at(-1)?.sourceOffset.snapshot).toBe(false);

    // Streaming picks up exactly the changes made after the snapshot's position.
    expect(
      streamed.every(
        (r) => r.value === null || (envelope(r).source.snapshot === "false" && envelope(r).op !== "r"),
      ),
    ).toBe(true);
    const [[now]] = (await db.query(`SELECT COUNT(*) AS n FROM ${DB}.accounts`)) as [
      Array<{ n: number }>,
      unknown,
    ];
    const rebuilt = replay([...reads.filter(changesOf(ACCOUNTS)), ...streamed]);
    const [rows] = (await db.query(`SELECT id, balance FROM ${DB}.accounts ORDER BY id`)) as [
      Array<{ id: number; balance: string }>,
      unknown,
    ];
    expect(rebuilt.size).toBe(Number(now?.n));
    expect([...rebuilt.values()].sort((a, b) => (a as { id: number }).id - (b as { id: number }).id)).toEqual(
      rows.map((r) => ({ id: r.id, balance: r.balance })),
    );
    expect(logger.lines.filter((l) => l.message === "snapshot: complete")).toHaveLength(1);
  } finally {
    await harness.stop();
  }
});

test("a restart from an unfinished snapshot's offset snapshots again; after a finished one it streams", async () => {
  const raw = connectorConfig(DB, {
    "snapshot.mode": "initial",
    "table.include.list": `${DB}\\.log`,
    "max.batch.size": "5",
  });
  const first = await TaskHarness.start(raw);
  let unfinished: SourceRecord[];
  try {
    unfinished = await first.pollRecords(5);
  } finally {
    await first.stop();
  }
  expect(first.committed?.snapshot).toBe(true);

  const again = await TaskHarness.start(raw, first.committed);
  try {
    const reads = await again.pollRecords(23);
    expect(reads.map((r) => envelope(r).op)).toEqual(Array(23).fill("r"));
    expect(unfinished.length).toBeLessThan(23);
    expect(reads.slice(0, unfinished.length).map((r) => envelope(r).after)).toEqual(
      unfinished.map((r) => envelope(r).after),
    );
    expect(again.committed?.snapshot).toBe(false);

    const resumed = await TaskHarness.start(raw, again.committed);
    try {
      await db.query(`INSERT INTO ${DB}.log VALUES ('after the snapshot')`);
      const [next] = await resumed.pollRecords(1);
      expect(envelope(next)).toMatchObject({ op: "c", after: { line: "after the snapshot" } });
    } finally {
      await resumed.stop();
    }
  } finally {
    await again.stop();
  }
});

test("initial_only stops after the snapshot; no_data reads no rows and streams from the current position", async () => {
  const only = await TaskHarness.start(
    connectorConfig(DB, { "snapshot.mode": "initial_only", "table.include.list": `${DB}\\.pairs` }),
  );
  try {
    expect(await only.pollRecords(25)).toHaveLength(25);
    await db.query(`INSERT INTO ${DB}.pairs VALUES ('north', 1, 'not streamed')`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await only.drain()).toEqual([]);
  } finally {
    await only.stop();
  }

  const noData = await TaskHarness.start(
    connectorConfig(DB, {
      "snapshot.mode": "no_data",
      "include.schema.changes": "true",
      "table.include.list": `${DB}\\.pairs`,
    }),
  );
  try {
    await db.query(`INSERT INTO ${DB}.pairs VALUES ('north', 2, 'streamed')`);
    const [schema, created] = await noData.pollRecords(2);
    expect(schema?.topic).toBe("cdc-snapshot");
    expect(envelope(created)).toMatchObject({ op: "c", after: { region: "north", n: 2, label: "streamed" } });
  } finally {
    await noData.stop();
  }
});

test("snapshot.locking.mode=none takes MariaDB's snapshot position without a lock and streams on from it by file position", async () => {
  const harness = await TaskHarness.start(
    connectorConfig(DB, {
      "snapshot.mode": "initial",
      "snapshot.locking.mode": "none",
      "table.include.list": `${DB}\\.log`,
    }),
  );
  try {
    const [[{ n } = { n: 0 }]] = (await db.query(`SELECT COUNT(*) AS n FROM ${DB}.log`)) as [
      Array<{ n: number }>,
      unknown,
    ];
    await db.query(`INSERT INTO ${DB}.log VALUES ('unlocked')`);
    const records = await harness.pollRecords(Number(n) + 1);
    const reads = records.filter((r) => envelope(r).op === "r");
    expect(reads.length).toBe(records.length - 1);
    expect(records.at(-2)?.sourceOffset).toMatchObject({ gtids: null, snapshot: false });
    expect(envelope(records.at(-1))).toMatchObject({ op: "c", after: { line: "unlocked" } });
  } finally {
    await harness.stop();
  }
});
