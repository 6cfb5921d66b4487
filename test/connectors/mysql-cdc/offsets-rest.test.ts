// Invariant: a mysql-cdc connector's position is Kafka Connect's offsets API over REST: GET shows the
// binlog position {file, pos, gtids, …}; PATCH on the STOPPED connector moves it to a binlog position
// (file + pos) or a GTID set, and on resume streaming starts exactly there — changes before it are not
// delivered, changes after it are; DELETE makes the next start snapshot again per snapshot.mode.
import type mysql from "mysql2/promise";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTopic } from "../../runtime/kafka/fixtures.ts";
import { type ReadRecord, readTopic } from "../../support/kafka.ts";
import { eventually, rest, startTestWorker } from "../../support/worker.ts";
import { adminConnection, connectorConfig, freshDatabase } from "./harness.ts";

const DB = "cdc_offsets_rest";
const NAME = `mysql-offsets-${Date.now()}`;
const PREFIX = `offsets${Date.now()}`;
const TOPIC = `${PREFIX}.${DB}.t`;
let db: mysql.Connection;
let worker: Awaited<ReturnType<typeof startTestWorker>>;

beforeAll(async () => {
  db = await adminConnection();
  await freshDatabase(db, DB);
  await db.query(`CREATE TABLE ${DB}.t (id INT PRIMARY KEY); INSERT INTO ${DB}.t VALUES (1)`);
  await createTopic(TOPIC, 1, { exactName: true });
  worker = await startTestWorker();
});
afterAll(async () => {
  await worker?.stop();
  await db.query(`DROP DATABASE IF EXISTS ${DB}`);
  await db.end();
});

/** Each record's operation and row id, in topic order. */
function changes(records: readonly ReadRecord[]): Array<[string, number]> {
  return records.map((r) => {
    const value = JSON.parse(r.value as string) as { op: string; after: { id: number } };
    return [value.op, value.after.id];
  });
}

/** Reads the topic until a record of row `id` (`op`) is in it. */
async function readUntil(op: string, id: number): Promise<Array<[string, number]>> {
  const records = await readTopic(
    TOPIC,
    (all) => changes(all).some(([o, i]) => o === op && i === id),
    60_000,
  );
  return changes(records);
}

async function stop(): Promise<void> {
  expect((await rest(worker, "PUT", `/connectors/${NAME}/stop`)).status).toBe(204);
}

async function resume(): Promise<void> {
  expect((await rest(worker, "PUT", `/connectors/${NAME}/resume`)).status).toBe(202);
}

async function patchOffset(offset: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
  return rest(worker, "PATCH", `/connectors/${NAME}/offsets`, {
    offsets: [{ partition: { server: PREFIX }, offset }],
  });
}

test("GET shows the binlog position; PATCH moves it to a file position or a GTID set; DELETE snapshots again", {
  timeout: 300_000,
}, async () => {
  const config = connectorConfig(DB, {
    "snapshot.mode": "initial",
    "table.include.list": `${DB}\\.t`,
    "topic.prefix": PREFIX,
  });
  await rest(worker, "PUT", `/connectors/${NAME}/config`, { ...config, "connector.class": "mysql-cdc" });
  expect(await readUntil("r", 1)).toEqual([["r", 1]]);
  await db.query(`INSERT INTO ${DB}.t VALUES (2)`);
  expect(await readUntil("c", 2)).toEqual([
    ["r", 1],
    ["c", 2],
  ]);
  const committed = await eventually(async () => {
    const { body } = await rest(worker, "GET", `/connectors/${NAME}/offsets`);
    const offset = body.offsets?.[0]?.offset;
    return offset?.snapshot === false && offset.event + offset.row > 0 ? body : undefined;
  });
  expect(committed).toEqual({
    offsets: [
      {
        partition: { server: PREFIX },
        offset: {
          file: expect.stringMatching(/^binlog\.\d+$/),
          pos: expect.any(Number),
          gtids: expect.stringMatching(/^\d+-\d+-\d+/),
          event: 0,
          row: 1,
          record: 0,
          snapshot: false,
        },
      },
    ],
  });

  // A binlog file position: row 10 is before it, rows 11 and 12 after it.
  await stop();
  await db.query(`INSERT INTO ${DB}.t VALUES (10)`);
  const [[position]] = (await db.query("SHOW MASTER STATUS")) as [
    Array<{ File: string; Position: number | string }>,
    unknown,
  ];
  await db.query(`INSERT INTO ${DB}.t VALUES (11); INSERT INTO ${DB}.t VALUES (12)`);
  const file = position?.File as string;
  const pos = Number(position?.Position);
  expect(await patchOffset({ file, pos: 2 })).toEqual({
    status: 400,
    body: {
      error_code: 400,
      message:
        'mysql-cdc offsets are {"file": "<binlog file>", "pos": <position>, "gtids": "<GTID set>" | null}; "pos" must be a binlog position of at least 4',
    },
  });
  expect(await patchOffset({ file, pos, gtids: null })).toEqual({
    status: 200,
    body: { message: "The offsets for this connector have been altered successfully" },
  });
  expect((await rest(worker, "GET", `/connectors/${NAME}/offsets`)).body).toEqual({
    offsets: [{ partition: { server: PREFIX }, offset: { file, pos, gtids: null } }],
  });
  await resume();
  expect(await readUntil("c", 12)).toEqual([
    ["r", 1],
    ["c", 2],
    ["c", 11],
    ["c", 12],
  ]);

  // A GTID set decides where streaming starts; the file position given with it (the file's start,
  // which would replay rows 10 to 14) only names the file.
  await stop();
  await db.query(`INSERT INTO ${DB}.t VALUES (13)`);
  const [[executed]] = (await db.query("SELECT @@GLOBAL.gtid_binlog_pos AS gtids")) as [
    Array<{ gtids: string }>,
    unknown,
  ];
  await db.query(`INSERT INTO ${DB}.t VALUES (14)`);
  expect((await patchOffset({ file, pos: 4, gtids: executed?.gtids })).status).toBe(200);
  await resume();
  expect(await readUntil("c", 14)).toEqual([
    ["r", 1],
    ["c", 2],
    ["c", 11],
    ["c", 12],
    ["c", 14],
  ]);

  // After DELETE, the next start snapshots again (snapshot.mode=initial): every row, as reads.
  await stop();
  expect(await rest(worker, "DELETE", `/connectors/${NAME}/offsets`)).toEqual({
    status: 200,
    body: { message: "The offsets for this connector have been reset successfully" },
  });
  expect((await rest(worker, "GET", `/connectors/${NAME}/offsets`)).body).toEqual({ offsets: [] });
  await resume();
  const all = await readTopic(TOPIC, (records) => records.length >= 12, 60_000);
  expect(changes(all).slice(5)).toEqual([1, 2, 10, 11, 12, 13, 14].map((id) => ["r", id]));
  await rest(worker, "DELETE", `/connectors/${NAME}`);
});
