// Invariant: a task restarted from the offset of any record it produced — mid-transaction, mid-row-event,
// between a delete and its tombstone — produces exactly the records that followed it, with the same
// offsets: nothing lost, nothing repeated. Offsets name the transaction's start plus event/row/record
// skip counts, so they only move at transaction boundaries.

import { MariadbGtidPosition } from "@vlasky/zongji";
import type mysql from "mysql2/promise";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { SourceRecord } from "../../../runtime/api/index.ts";
import { adminConnection, connectorConfig, envelope, freshDatabase, TaskHarness } from "./harness.ts";

const DB = "cdc_resume";
let db: mysql.Connection;
const config = connectorConfig(DB, { "table.include.list": `${DB}\\.(items|other)` });

beforeAll(async () => {
  db = await adminConnection();
  await freshDatabase(db, DB);
  await db.query(`
    CREATE TABLE ${DB}.items (id INT PRIMARY KEY, v VARCHAR(200) NOT NULL);
    CREATE TABLE ${DB}.other (id INT PRIMARY KEY, n INT);
    CREATE TABLE ${DB}.ignored (id INT PRIMARY KEY)`);
});
afterAll(async () => {
  await db.query(`DROP DATABASE IF EXISTS ${DB}`);
  await db.end();
});

/** What must be identical between the uninterrupted run and a resumed one. */
function comparable(record: SourceRecord) {
  const value = record.value as { before: unknown; after: unknown; source: unknown; op: string } | null;
  return {
    topic: record.topic,
    key: record.key,
    value:
      value === null
        ? null
        : { before: value.before, after: value.after, source: value.source, op: value.op },
    headers: record.headers,
    offset: record.sourceOffset,
  };
}

test("restarting from the offset of any produced record continues with exactly the records after it", async () => {
  const reference = await TaskHarness.start(config);
  let all: SourceRecord[];
  try {
    const filler = "x".repeat(180);
    const inserts = Array.from({ length: 300 }, (_, i) => `(${i + 1}, '${filler}${i}')`).join(",");
    await db.query(`
      BEGIN;
      INSERT INTO ${DB}.items VALUES ${inserts};
      INSERT INTO ${DB}.ignored VALUES (1), (2), (3);
      INSERT INTO ${DB}.other VALUES (1, 1), (2, 2);
      UPDATE ${DB}.items SET v = CONCAT('updated ', id) WHERE id <= 50;
      DELETE FROM ${DB}.items WHERE id BETWEEN 51 AND 60;
      UPDATE ${DB}.items SET id = 1061 WHERE id = 61;
      UPDATE ${DB}.other SET n = n + 1;
      COMMIT;
      INSERT INTO ${DB}.items VALUES (2001, 'after'), (2002, 'after');
      INSERT INTO ${DB}.other VALUES (3, 3)`);
    // 300 inserts, 2 other, 50 updates, 10 deletes + 10 tombstones, a key change (3), 2 other updates, 3 after.
    all = await reference.pollRecords(380);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await reference.drain()).toEqual([]);
  } finally {
    await reference.stop();
  }
  const offsets = all.map((r) => r.sourceOffset);
  // The big transaction's records all carry its start; several row events and rows within them.
  expect(new Set(offsets.slice(0, 375).map((o) => `${o.file}:${o.pos}`)).size).toBe(1);
  expect(Math.max(...offsets.map((o) => o.event as number))).toBeGreaterThan(5);
  const keyChange = all.findIndex((r) => r.headers.some((h) => h.key === "__debezium.newkey"));
  expect(all.slice(keyChange, keyChange + 3).map((r) => r.sourceOffset.record)).toEqual([1, 2, 0]);

  // Crash points: every 9th record, and every record around the deletes, the key change and the commit.
  const crashPoints = new Set<number>();
  for (let i = 0; i < all.length - 1; i += 9) crashPoints.add(i);
  for (const i of [keyChange - 2, keyChange - 1, keyChange, keyChange + 1, keyChange + 2, 374, 375, 376, 377])
    crashPoints.add(i);
  const firstDelete = all.findIndex((r) => (r.value as { op?: string } | null)?.op === "d");
  for (let i = firstDelete; i < firstDelete + 4; i++) crashPoints.add(i);

  for (const i of [...crashPoints].sort((a, b) => a - b)) {
    const resumed = await TaskHarness.start(config, all[i]?.sourceOffset ?? null);
    try {
      const expected = all.slice(i + 1);
      const got = expected.length === 0 ? [] : await resumed.pollRecords(expected.length);
      expect(await resumed.drain()).toEqual([]);
      expect({ crashAfter: i, records: got.map(comparable) }).toEqual({
        crashAfter: i,
        records: expected.map(comparable),
      });
    } finally {
      await resumed.stop();
    }
  }
});

test("the offset stays at the transaction's start until its commit; the next transaction starts from the commit", async () => {
  const harness = await TaskHarness.start(config);
  try {
    await db.query(`INSERT INTO ${DB}.other VALUES (100, 1), (101, 1)`);
    await db.query(`INSERT INTO ${DB}.other VALUES (102, 1)`);
    const [a, b, c] = await harness.pollRecords(3);
    expect(a?.sourceOffset).toEqual({ ...b?.sourceOffset, row: 1 });
    expect(b?.sourceOffset).toMatchObject({ event: 0, row: 2, record: 0, snapshot: false });
    // Each transaction's offset names its own GTID event, with the GTIDs executed before it.
    const source = (r: SourceRecord | undefined) => envelope(r).source as { gtid: string };
    for (const record of [b, c]) {
      const [events] = (await db.query(
        `SHOW BINLOG EVENTS IN '${record?.sourceOffset.file}' FROM ${record?.sourceOffset.pos} LIMIT 1`,
      )) as [Array<{ Event_type: string; Info: string }>, unknown];
      expect(events[0]?.Event_type).toBe("Gtid");
      expect(events[0]?.Info).toContain(`GTID ${source(record).gtid}`);
    }
    expect(c?.sourceOffset.pos).toBeGreaterThan(b?.sourceOffset.pos as number);
    const executed = MariadbGtidPosition.parse(c?.sourceOffset.gtids as string);
    expect(executed.covers(source(b).gtid)).toBe(true);
    expect(executed.covers(source(c).gtid)).toBe(false);
  } finally {
    await harness.stop();
  }
});

test("a lost binlog connection fails one poll as retriable; the next poll reconnects where the last record left off", async () => {
  const dumpThreads = async () => {
    const [rows] = (await db.query("SHOW PROCESSLIST")) as [Array<{ Id: number; Command: string }>, unknown];
    return new Set(rows.filter((r) => r.Command === "Binlog Dump").map((r) => r.Id));
  };
  const before = await dumpThreads();
  const harness = await TaskHarness.start(config);
  try {
    expect(await harness.pollOnce()).toEqual([]); // ends the no_data snapshot; streaming starts
    await db.query(`INSERT INTO ${DB}.other VALUES (500, 1), (501, 1)`);
    const first = await harness.pollRecords(2);
    const ours = [...(await dumpThreads())].filter((id) => !before.has(id));
    expect(ours).toHaveLength(1);
    await db.query(`KILL ${ours[0]}`);
    await db.query(
      `INSERT INTO ${DB}.other VALUES (502, 1), (503, 1); UPDATE ${DB}.other SET n = 2 WHERE id = 500`,
    );

    const rest: SourceRecord[] = [];
    const errors: unknown[] = [];
    const deadline = Date.now() + 20_000;
    while (rest.length < 3 && Date.now() < deadline) {
      try {
        rest.push(...(await harness.pollOnce()));
      } catch (error) {
        errors.push(error);
      }
    }
    expect(
      errors.map((e) => [(e as { code: string }).code, (e as { retriable: boolean }).retriable]),
    ).toEqual([["EXTERNAL_TRANSIENT", true]]);
    expect([...first, ...rest].map((r) => [(r.value as { op: string }).op, r.key])).toEqual([
      ["c", { id: 500 }],
      ["c", { id: 501 }],
      ["c", { id: 502 }],
      ["c", { id: 503 }],
      ["u", { id: 500 }],
    ]);
  } finally {
    await harness.stop();
  }
});
