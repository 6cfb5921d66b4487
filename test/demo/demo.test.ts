// Invariant: `npm run demo` for a bounded time ends with every sink holding exactly what MariaDB holds:
// each customer and order as an OpenSearch document, a Redis hash and a Neo4j node (each order PLACED by
// its customer), and HDFS files whose records are every change event once, replaying to the same rows.
import { Writable } from "node:stream";
import { Redis } from "ioredis";
import mysql from "mysql2/promise";
import { driver as neo4jDriver } from "neo4j-driver";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type DemoResult, runDemo } from "../../stack/demo/run.ts";
import { DEMO, SEED } from "../../stack/demo/schema.ts";
import { loadStackEnv } from "../../stack/env.ts";

const env = loadStackEnv();
const [CUSTOMERS, ORDERS] = DEMO.topics;

type Row = Record<string, unknown> & { id: number };

let output = "";
let result: DemoResult;
let customers: Row[];
let orders: Row[];

/** Rows as comparable plain values: numbers as numbers, everything else as text. */
function normalize(row: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(
    fields.map((field) => {
      const value = row[field];
      const number = Number(value);
      return [
        field,
        typeof value === "number" || (value !== "" && Number.isFinite(number)) ? number : String(value),
      ];
    }),
  );
}

const CUSTOMER_FIELDS = ["id", "name", "email", "city", "tier"] as const;
const ORDER_FIELDS = ["id", "customer_id", "status", "amount"] as const;

function byId(
  rows: Array<Record<string, unknown>>,
  fields: readonly string[],
): Array<Record<string, unknown>> {
  return rows.map((row) => normalize(row, fields)).sort((a, b) => (a.id as number) - (b.id as number));
}

beforeAll(async () => {
  const out = new Writable({
    write(chunk, _encoding, done) {
      output += chunk.toString();
      done();
    },
  });
  result = await runDemo({ durationSeconds: 30, rate: 25, port: 0, out });
  const db = await mysql.createConnection({ ...env.mariadb, database: DEMO.database });
  try {
    customers = (await db.query(`SELECT id, name, email, city, tier FROM customers`))[0] as Row[];
    orders = (await db.query(`SELECT id, customer_id, status, amount FROM orders`))[0] as Row[];
  } finally {
    await db.end();
  }
}, 180_000);

afterAll(() => {
  if (!result?.caughtUp) console.log(output);
});

test("the demo wrote inserts, updates and deletes, every sink caught up, and it said where to look", () => {
  expect(result.caughtUp).toBe(true);
  expect(result.changes.inserts).toBeGreaterThan(100);
  expect(result.changes.updates).toBeGreaterThan(50);
  expect(result.changes.deletes).toBeGreaterThan(10);
  for (const connector of result.final?.connectors ?? [])
    expect(connector.state, connector.name).toBe("RUNNING");
  expect(output).toContain("Where to look");
  expect(output).toContain(`${result.restUrl}/connectors?expand=status`);
  expect(output).toContain("redis-cli");
  expect(output).toContain("/db/neo4j/tx/commit");
  expect(output).toContain("op=LISTSTATUS");
  expect(output).toMatch(/\[0:\d\d\] mariadb \d+ changes/);
});

test("OpenSearch has one document per row, as MariaDB has it", async () => {
  const documents = async (index: string) => {
    const response = await fetch(`${env.opensearchUrl}/${index}/_search?size=10000`);
    const body = (await response.json()) as { hits: { hits: Array<{ _id: string; _source: Row }> } };
    for (const hit of body.hits.hits) expect(hit._id).toBe(String(hit._source.id));
    return body.hits.hits.map((hit) => hit._source);
  };
  expect(byId(await documents(CUSTOMERS), CUSTOMER_FIELDS)).toEqual(byId(customers, CUSTOMER_FIELDS));
  expect(byId(await documents(ORDERS), ORDER_FIELDS)).toEqual(byId(orders, ORDER_FIELDS));
});

test("Redis has one hash per row, as MariaDB has it", async () => {
  const redis = new Redis(env.redisUrl);
  try {
    const hashes = async (topic: string) => {
      const keys = await redis.keys(`${topic}:*`);
      return Promise.all(keys.map((key) => redis.hgetall(key)));
    };
    expect(byId(await hashes(CUSTOMERS), CUSTOMER_FIELDS)).toEqual(byId(customers, CUSTOMER_FIELDS));
    expect(byId(await hashes(ORDERS), ORDER_FIELDS)).toEqual(byId(orders, ORDER_FIELDS));
  } finally {
    redis.disconnect();
  }
});

test("Neo4j has a node per row, and each order is PLACED by its customer", async () => {
  const graph = neo4jDriver(env.neo4jUri, undefined, { disableLosslessIntegers: true });
  const rows = async (cypher: string) =>
    (await graph.executeQuery(cypher)).records.map((record) => record.toObject());
  const nodes = (label: string, fields: readonly string[]) =>
    rows(`MATCH (n:${label}) RETURN ${fields.map((f) => `n.${f} AS ${f}`).join(", ")}`);
  try {
    expect(byId(await nodes("DemoCustomer", CUSTOMER_FIELDS), CUSTOMER_FIELDS)).toEqual(
      byId(customers, CUSTOMER_FIELDS),
    );
    expect(byId(await nodes("DemoOrder", ORDER_FIELDS), ORDER_FIELDS)).toEqual(byId(orders, ORDER_FIELDS));
    const placed = await rows(
      "MATCH (c:DemoCustomer)-[:PLACED]->(o:DemoOrder) RETURN o.id AS id, c.id AS customer_id",
    );
    expect(byId(placed, ["id", "customer_id"])).toEqual(byId(orders, ["id", "customer_id"]));
  } finally {
    await graph.close();
  }
});

test("HDFS files hold every change event once, and replaying them gives MariaDB's rows", async () => {
  const webhdfs = (path: string, op: string) =>
    fetch(`${env.webhdfsUrl}/webhdfs/v1${path}?op=${op}&user.name=${encodeURIComponent(env.hdfsUser)}`);
  let events = 0;
  const replay = async (topic: string): Promise<Array<Record<string, unknown>>> => {
    const dir = `${DEMO.hdfsRoot}/topics/${topic}/partition=0`;
    const listing = (await (await webhdfs(dir, "LISTSTATUS")).json()) as {
      FileStatuses: { FileStatus: Array<{ pathSuffix: string }> };
    };
    const files = listing.FileStatuses.FileStatus.map((f) => f.pathSuffix)
      .map((name) => ({ name, start: Number(name.split("+")[2]) }))
      .sort((a, b) => a.start - b.start);
    const rows = new Map<number, Record<string, unknown>>();
    for (const file of files) {
      const text = await (await webhdfs(`${dir}/${file.name}`, "OPEN")).text();
      for (const line of text.split("\n").filter((l) => l !== "")) {
        const row = JSON.parse(line) as Row & { __deleted: string; __op: string };
        events++;
        if (row.__deleted === "true") rows.delete(row.id);
        else rows.set(row.id, row);
      }
    }
    return [...rows.values()];
  };
  expect(byId(await replay(CUSTOMERS), CUSTOMER_FIELDS)).toEqual(byId(customers, CUSTOMER_FIELDS));
  expect(byId(await replay(ORDERS), ORDER_FIELDS)).toEqual(byId(orders, ORDER_FIELDS));
  // The snapshot's rows, then one event per insert, update and delete (tombstones are not written).
  const { inserts, updates, deletes } = result.changes;
  expect(events).toBe(SEED.customers + SEED.orders + inserts + updates + deletes);
});
