// Invariant: through the standalone worker, a mysql-cdc connector created over REST (as Debezium's class)
// writes Debezium's JSON — {schema, payload} on key and value — to `<topic.prefix>.<db>.<table>`: the
// snapshot, then the stream; after the worker restarts it continues from the committed offset with
// neither a gap nor a repeat.
import type mysql from "mysql2/promise";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTopic } from "../../runtime/kafka/fixtures.ts";
import { type ReadRecord, readTopic } from "../../support/kafka.ts";
import { eventually, rest, startTestWorker, tempDir } from "../../support/worker.ts";
import { adminConnection, connectorConfig, freshDatabase } from "./harness.ts";

const DB = "cdc_kafka";
const NAME = `mysql-e2e-${Date.now()}`;
const PREFIX = `e2e${Date.now()}`;
const TOPIC = `${PREFIX}.${DB}.orders`;
let db: mysql.Connection;

beforeAll(async () => {
  db = await adminConnection();
  await freshDatabase(db, DB);
  await db.query(`
    CREATE TABLE ${DB}.orders (
      id BIGINT PRIMARY KEY,
      customer VARCHAR(40) NOT NULL,
      amount DECIMAL(10,2) NOT NULL,
      placed DATETIME(6) NULL,
      tags JSON NULL);
    INSERT INTO ${DB}.orders VALUES
      (9007199254740993, 'Zoë 😀', 12.30, '2024-02-29 23:59:59.123456', '["a", "b"]'),
      (2, 'Bo', -0.05, NULL, NULL)`);
});
afterAll(async () => {
  await db.query(`DROP DATABASE IF EXISTS ${DB}`);
  await db.end();
});

const WORKER = { "key.converter.schemas.enable": "true", "value.converter.schemas.enable": "true" };

/** Records with key and value parsed; `id` is the key's id as written (exact beyond 2^53). */
function parsed(records: readonly ReadRecord[]) {
  return records.map((r) => ({
    id: /"payload":\{"id":(\d+)\}/.exec(r.key ?? "")?.[1] ?? null,
    key: r.key === null ? null : JSON.parse(r.key),
    value: r.value === null ? null : JSON.parse(r.value),
    raw: r.value,
  }));
}

const BIG = "9007199254740993";

test("snapshot and streaming reach Kafka as Debezium JSON, and a restarted worker resumes exactly", {
  timeout: 180_000,
}, async () => {
  const dataDir = tempDir("sluice-mysql-e2e-");
  const config = {
    ...connectorConfig(DB, { "snapshot.mode": "initial", "topic.prefix": PREFIX }),
    "connector.class": "io.debezium.connector.mysql.MySqlConnector",
  };
  // One partition, as Debezium recommends for change topics: one table's events stay in commit order.
  await createTopic(TOPIC, 1, { exactName: true });
  let worker = await startTestWorker({ dataDir, worker: WORKER });
  try {
    const created = await rest(worker, "PUT", `/connectors/${NAME}/config`, config);
    expect(created.status).toBe(201);
    await eventually(async () => {
      const { body } = await rest(worker, "GET", `/connectors/${NAME}/status`);
      return body.tasks?.[0]?.state === "RUNNING" ? body : undefined;
    });
    // Changes made once the snapshot is in Kafka come after its position, so they are streamed.
    expect(await readTopic(TOPIC, (records) => records.length >= 2, 60_000)).toHaveLength(2);
    await db.query(
      `UPDATE ${DB}.orders SET amount = 99.99 WHERE id = 2; DELETE FROM ${DB}.orders WHERE id = 2`,
    );

    const first = parsed(await readTopic(TOPIC, (records) => records.length >= 5, 60_000));
    expect(first.map((r) => [r.id, r.value?.payload.op ?? null])).toEqual([
      ["2", "r"],
      [BIG, "r"],
      ["2", "u"],
      ["2", "d"],
      ["2", null],
    ]);
    const read = first[1];
    expect(read?.key.schema).toEqual({
      type: "struct",
      optional: false,
      name: `${TOPIC}.Key`,
      fields: [{ type: "int64", optional: false, field: "id" }],
    });
    // The id beyond 2^53 is written exactly in the JSON text.
    expect(read?.raw).toContain(`"after":{"id":${BIG},`);
    expect(read?.value.payload.after).toEqual({
      id: Number(BIG),
      customer: "Zoë 😀",
      amount: Buffer.from([0x04, 0xce]).toString("base64"), // 12.30 as Decimal: unscaled 1230, base64
      placed: 1709251199123456,
      tags: '["a", "b"]',
    });
    expect(read?.value.schema.name).toBe(`${TOPIC}.Envelope`);
    expect(read?.value.schema.fields.map((f: { field: string }) => f.field)).toEqual([
      "before",
      "after",
      "source",
      "transaction",
      "op",
      "ts_ms",
      "ts_us",
      "ts_ns",
    ]);
    expect(first[0]?.value.payload.source).toMatchObject({
      connector: "mysql",
      name: PREFIX,
      db: DB,
      table: "orders",
      snapshot: "first",
    });
    expect(read?.value.payload.source.snapshot).toBe("last");
    expect(first[2]?.value.payload.before).toMatchObject({
      id: 2,
      amount: Buffer.from([0xfb]).toString("base64"),
    });

    // The committed offset is a binlog position in the connector's one partition.
    const offsets = await eventually(async () => {
      const { body } = await rest(worker, "GET", `/connectors/${NAME}/offsets`);
      const offset = body?.offsets?.[0]?.offset;
      return offset && offset.snapshot === false && offset.event + offset.row + offset.record > 0
        ? body
        : undefined;
    });
    expect(offsets.offsets).toEqual([
      {
        partition: { server: PREFIX },
        offset: {
          file: expect.stringMatching(/^binlog\./),
          pos: expect.any(Number),
          gtids: expect.any(String),
          event: expect.any(Number),
          row: expect.any(Number),
          record: expect.any(Number),
          snapshot: false,
        },
      },
    ]);
  } finally {
    await worker.stop();
  }

  // Changes while the worker is down arrive after its restart, once, after what was already in Kafka.
  await db.query(
    `INSERT INTO ${DB}.orders VALUES (3, 'Cy', 1.00, NULL, NULL); UPDATE ${DB}.orders SET customer = 'Zoe' WHERE id = 9007199254740993`,
  );
  worker = await startTestWorker({ dataDir, worker: WORKER });
  try {
    const all = parsed(await readTopic(TOPIC, (records) => records.length >= 7, 60_000));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const settled = parsed(await readTopic(TOPIC, (records) => records.length >= 8, 3_000));
    expect(settled).toHaveLength(7);
    expect(all.slice(5).map((r) => [r.id, r.value?.payload.op, r.value?.payload.after?.customer])).toEqual([
      ["3", "c", "Cy"],
      [BIG, "u", "Zoe"],
    ]);
  } finally {
    await rest(worker, "DELETE", `/connectors/${NAME}`);
    await worker.stop();
  }
});
