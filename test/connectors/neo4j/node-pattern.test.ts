// Invariant: a node pattern MERGEs one node per key holding exactly the properties the pattern selects,
// a tombstone DETACH DELETEs the node its key names, and a key's writes within one batch apply in the
// order they were put.
import { afterAll, expect, test } from "vitest";
import type { Logger } from "../../../runtime/api/index.ts";
import { dropLabels, graph, putAndFlush, record, rows, sinkConfig, startTask, unique } from "./harness.ts";

const labels: string[] = [];
afterAll(async () => {
  await dropLabels(...labels);
  await graph.close();
});

/** A fresh label, dropped after the file's tests. */
function label(prefix: string): string {
  const name = unique(prefix);
  labels.push(name);
  return name;
}

async function nodes(name: string): Promise<unknown[]> {
  const found = await rows(`MATCH (n:\`${name}\`) RETURN n{.*} AS n ORDER BY n.id`);
  return found.map((row) => row.n);
}

test("messages create one node per key with only the listed properties; a later message replaces them", async () => {
  const person = label("Person");
  const { task, errant } = await startTask(
    sinkConfig({ topics: "people", "neo4j.pattern.topic.people": `(:${person}{!id, name, age})` }),
  );
  await putAndFlush(task, [
    record("people", null, { id: 1, name: "Ada", age: 36, secret: "x" }),
    record("people", null, { id: 2, name: "Bob", age: 41 }),
  ]);
  expect(await nodes(person)).toEqual([
    { id: 1, name: "Ada", age: 36 },
    { id: 2, name: "Bob", age: 41 },
  ]);

  await putAndFlush(task, [record("people", null, { id: 1, name: "Ada Lovelace" })]);
  expect(await nodes(person)).toEqual([
    { id: 1, name: "Ada Lovelace" },
    { id: 2, name: "Bob", age: 41 },
  ]);
  expect(errant).toEqual([]);
  await task.stop();
});

test("with only exclusions every other value field is taken, and nodes carry every label", async () => {
  const user = label("User");
  const admin = label("Admin");
  const { task } = await startTask(
    sinkConfig({ topics: "admins", "neo4j.pattern.topic.admins": `(:${user}:${admin}{!id, -secret})` }),
  );
  await putAndFlush(task, [
    record("admins", null, {
      id: 7,
      name: "Grace",
      secret: "hunter2",
      address: { city: "Arlington", zip: "22201" },
    }),
  ]);
  expect(await rows(`MATCH (n:\`${user}\`:\`${admin}\`) RETURN n{.*} AS n, labels(n) AS labels`)).toEqual([
    {
      n: { id: 7, name: "Grace", "address.city": "Arlington", "address.zip": "22201" },
      labels: [user, admin],
    },
  ]);
  await task.stop();
});

test("a property is read from a renamed field, a nested field, the key, a header or the timestamp", async () => {
  const device = label("Device");
  const { task } = await startTask(
    sinkConfig({
      topics: "devices",
      "neo4j.pattern.topic.devices": `(:${device}{!id: __key.serial, model: spec.model, source: __header.source, seenAt: __timestamp})`,
    }),
  );
  await putAndFlush(task, [
    record(
      "devices",
      { serial: "SN-1" },
      { spec: { model: "X1", weight: 3 } },
      {
        headers: [{ key: "source", value: "factory-7" }],
        timestamp: 1_700_000_000_123,
      },
    ),
  ]);
  expect(
    await rows(
      `MATCH (n:\`${device}\`) RETURN n.id AS id, n.model AS model, n.source AS source, toString(n.seenAt) AS seenAt`,
    ),
  ).toEqual([{ id: "SN-1", model: "X1", source: "factory-7", seenAt: "2023-11-14T22:13:20.123Z" }]);
  await task.stop();
});

test("whole numbers are stored as integers and fractions as floats; a float64 schema keeps 2 a float", async () => {
  const reading = label("Reading");
  const { task } = await startTask(
    sinkConfig({ topics: "readings", "neo4j.pattern.topic.readings": `(:${reading}{!id, count, ratio})` }),
  );
  const schema = {
    type: "struct" as const,
    fields: [
      { field: "id", type: "int64" as const },
      { field: "count", type: "int32" as const },
      { field: "ratio", type: "float64" as const },
    ],
  };
  await putAndFlush(task, [
    record("readings", null, { id: 1, count: 3, ratio: 0.5 }),
    { ...record("readings", null, { id: 2, count: 4, ratio: 2 }), valueSchema: schema },
    record("readings", null, { id: 3, count: 9_007_199_254_740_993n, ratio: 1.25 }),
  ]);
  expect(
    await rows(
      `MATCH (n:\`${reading}\`) RETURN n.id AS id, valueType(n.count) AS count, valueType(n.ratio) AS ratio, toString(n.count) AS exact ORDER BY id`,
    ),
  ).toEqual([
    { id: 1, count: "INTEGER NOT NULL", ratio: "FLOAT NOT NULL", exact: "3" },
    { id: 2, count: "INTEGER NOT NULL", ratio: "FLOAT NOT NULL", exact: "4" },
    { id: 3, count: "INTEGER NOT NULL", ratio: "FLOAT NOT NULL", exact: "9007199254740993" },
  ]);
  await task.stop();
});

test("a tombstone detach-deletes the node named by its key, relationships included, and nothing else", async () => {
  const person = label("Person");
  const { task } = await startTask(
    sinkConfig({ topics: "people", "neo4j.pattern.topic.people": `(:${person}{!id, name})` }),
  );
  await putAndFlush(task, [
    record("people", { id: 1 }, { id: 1, name: "Ada" }),
    record("people", { id: 2 }, { id: 2, name: "Bob" }),
    record("people", 3, { id: 3, name: "Cy" }),
  ]);
  await graph.executeQuery(
    `MATCH (a:\`${person}\` {id: 1}), (b:\`${person}\` {id: 2}) CREATE (a)-[:KNOWS]->(b)`,
  );

  await putAndFlush(task, [record("people", { id: 1 }, null), record("people", 3, null)]);
  expect(await nodes(person)).toEqual([{ id: 2, name: "Bob" }]);
  await task.stop();
});

test("update, delete, update of one key in one batch ends updated; delete, update, delete ends deleted", async () => {
  const item = label("Item");
  const { task, errant } = await startTask(
    sinkConfig({
      topics: "items",
      "neo4j.pattern.topic.items": `(:${item}{!id, v})`,
      "neo4j.batch-size": "100",
    }),
  );
  await putAndFlush(task, [record("items", { id: 2 }, { id: 2, v: "before" })]);
  await graph.executeQuery(
    `MATCH (n:\`${item}\` {id: 2}) CREATE (n)-[:HAS]->(:\`${item}\` {id: 99, v: "child"})`,
  );

  await putAndFlush(task, [
    record("items", { id: 1 }, { id: 1, v: "first" }),
    record("items", { id: 1 }, null),
    record("items", { id: 1 }, { id: 1, v: "third" }),
    record("items", { id: 2 }, null),
    record("items", { id: 2 }, { id: 2, v: "again" }),
    record("items", { id: 2 }, null),
    record("items", { id: 3 }, { id: 3, v: "a" }),
    record("items", { id: 3 }, { id: 3, v: "b" }),
  ]);
  expect(await nodes(item)).toEqual([
    { id: 1, v: "third" },
    { id: 3, v: "b" },
    { id: 99, v: "child" },
  ]);
  expect(await rows(`MATCH (:\`${item}\`)-[r]->() RETURN count(r) AS n`)).toEqual([{ n: 0 }]);
  expect(errant).toEqual([]);
  await task.stop();
});

test("replaying every record of a topic leaves the graph exactly as it was", async () => {
  const account = label("Account");
  const { task } = await startTask(
    sinkConfig({ topics: "accounts", "neo4j.pattern.topic.accounts": `(:${account}{!id, -internal})` }),
  );
  const history = [
    ...Array.from({ length: 50 }, (_, i) =>
      record("accounts", { id: i }, { id: i, balance: i * 10, internal: "z" }),
    ),
    ...Array.from({ length: 10 }, (_, i) => record("accounts", { id: i * 5 }, null)),
    ...Array.from({ length: 20 }, (_, i) =>
      record("accounts", { id: i }, { id: i, balance: i * 100, tier: "gold" }),
    ),
  ];
  await putAndFlush(task, history);
  const snapshot = async () => ({
    nodes: await nodes(account),
    count: await rows(`MATCH (n:\`${account}\`) RETURN count(n) AS n`),
  });
  const once = await snapshot();
  expect(once.count).toEqual([{ n: 44 }]);

  await putAndFlush(task, history);
  expect(await snapshot()).toEqual(once);
  await task.stop();

  const restarted = await startTask(
    sinkConfig({ topics: "accounts", "neo4j.pattern.topic.accounts": `(:${account}{!id, -internal})` }),
  );
  await putAndFlush(restarted.task, history.slice(37));
  expect(await snapshot()).toEqual(once);
  await restarted.task.stop();
});

test("with neo4j.pattern.merge-node-properties a message adds to a node's properties instead of replacing them", async () => {
  const profile = label("Profile");
  const { task } = await startTask(
    sinkConfig({
      topics: "profiles",
      "neo4j.pattern.topic.profiles": `(:${profile}{!id})`,
      "neo4j.pattern.merge-node-properties": "true",
    }),
  );
  await putAndFlush(task, [
    record("profiles", null, { id: 1, email: "ada@example.com" }),
    record("profiles", null, { id: 1, phone: "555-0100" }),
  ]);
  expect(await nodes(profile)).toEqual([{ id: 1, email: "ada@example.com", phone: "555-0100" }]);
  await task.stop();
});

test("a task warns at start about a pattern key no index covers, naming the constraint to create", async () => {
  const order = label("Order");
  const warnings: string[] = [];
  const logger: Logger = { debug() {}, info() {}, error() {}, warn: (message) => warnings.push(message) };
  const raw = sinkConfig({ topics: "orders", "neo4j.pattern.topic.orders": `(:${order}{!id, total})` });
  await (await startTask(raw, logger)).task.stop();
  expect(warnings).toEqual([
    `neo4j.pattern.topic.orders: no index covers the key of (:${order} {id}), so every MERGE scans all its nodes; create one, e.g. CREATE CONSTRAINT IF NOT EXISTS FOR (n:\`${order}\`) REQUIRE (n.\`id\`) IS UNIQUE`,
  ]);

  await graph.executeQuery(
    `CREATE CONSTRAINT \`${order}_id\` IF NOT EXISTS FOR (n:\`${order}\`) REQUIRE n.id IS UNIQUE`,
  );
  warnings.length = 0;
  await (await startTask(raw, logger)).task.stop();
  expect(warnings).toEqual([]);
  await graph.executeQuery(`DROP CONSTRAINT \`${order}_id\``);
});
