// Invariant: with neo4j.cypher.topic.<topic>, a batch runs as one UNWIND statement that applies the
// template to each message in order, with __key, __value (null for a tombstone), __header, __timestamp
// and event bound as the Neo4j connector binds them.
import { afterAll, expect, test } from "vitest";
import { neo4jSinkSettings } from "../../../connectors/neo4j/config.ts";
import { neo4jPlugin } from "../../../connectors/neo4j/plugin.ts";
import { type PendingWrite, planStatements } from "../../../connectors/neo4j/strategy.ts";
import { dropLabels, graph, putAndFlush, record, rows, sinkConfig, startTask, unique } from "./harness.ts";

const labels: string[] = [];
afterAll(async () => {
  await dropLabels(...labels);
  await graph.close();
});

function label(prefix: string): string {
  const name = unique(prefix);
  labels.push(name);
  return name;
}

test("a batch of one topic is one UNWIND $events AS message statement carrying every message", () => {
  const raw = sinkConfig({ topics: "people", "neo4j.cypher.topic.people": "MERGE (p:P {id: __key});" });
  const strategy = neo4jSinkSettings(neo4jPlugin.config.parse(raw)).strategies.get("people");
  if (strategy === undefined) throw new Error("no strategy for people");
  const records = [
    record("people", 1, { a: "x" }),
    record("people", 2, null),
    record("people", 3, { a: "z" }),
  ];
  const writes: PendingWrite[] = records.map((r) => ({ ...strategy.toWrite(r), record: r, strategy }));
  const planned = planStatements(writes);
  expect(planned.map((p) => p.text)).toEqual([
    "UNWIND $events AS message CALL (message) {\nWITH message.value AS event, datetime({epochMillis: message.timestamp}) AS `__timestamp`, message.header AS `__header`, message.key AS `__key`, message.value AS `__value`\nMERGE (p:P {id: __key})\n} FINISH",
  ]);
  expect(planned[0]?.params.events.map((e) => e.value)).toEqual([{ a: "x" }, null, { a: "z" }]);
});

test("the template sees the key, value, headers, timestamp and event of each message", async () => {
  const person = label("Person");
  const { task, errant } = await startTask(
    sinkConfig({
      topics: "people",
      "neo4j.cypher.topic.people": `MERGE (p:${person} {id: __key})
        SET p.name = __value.name, p.city = __value.address.city, p.source = __header.source,
            p.at = __timestamp, p.viaEvent = event.name`,
    }),
  );
  await putAndFlush(task, [
    record(
      "people",
      "ada",
      { name: "Ada", address: { city: "London" } },
      {
        headers: [{ key: "source", value: "crm" }],
        timestamp: 1_700_000_000_000,
      },
    ),
    record("people", "bob", { name: "Bob", address: { city: "Paris" } }),
  ]);
  expect(
    await rows(
      `MATCH (p:${person}) RETURN p.id AS id, p.name AS name, p.city AS city, p.source AS source, toString(p.at) AS at, p.viaEvent AS viaEvent ORDER BY id`,
    ),
  ).toEqual([
    { id: "ada", name: "Ada", city: "London", source: "crm", at: "2023-11-14T22:13:20Z", viaEvent: "Ada" },
    { id: "bob", name: "Bob", city: "Paris", source: null, at: "2023-11-14T22:13:20Z", viaEvent: "Bob" },
  ]);
  expect(errant).toEqual([]);
  await task.stop();
});

test("a tombstone reaches the template with a null __value, and messages apply in order within a batch", async () => {
  const item = label("Item");
  const template = `OPTIONAL MATCH (gone:${item} {id: __key}) WHERE __value IS NULL
    DETACH DELETE gone
    WITH __key, __value WHERE __value IS NOT NULL
    MERGE (i:${item} {id: __key}) SET i.v = __value.v`;
  const { task } = await startTask(sinkConfig({ topics: "items", "neo4j.cypher.topic.items": template }));
  await putAndFlush(task, [
    record("items", 1, { v: "first" }),
    record("items", 1, null),
    record("items", 1, { v: "third" }),
    record("items", 2, { v: "kept" }),
    record("items", 3, { v: "x" }),
    record("items", 3, null),
  ]);
  expect(await rows(`MATCH (i:${item}) RETURN i.id AS id, i.v AS v ORDER BY id`)).toEqual([
    { id: 1, v: "third" },
    { id: 2, v: "kept" },
  ]);
  await task.stop();
});

test("bind-*-as renames the bound variables, and a template that returns rows is accepted", async () => {
  const note = label("Note");
  const { task } = await startTask(
    sinkConfig({
      topics: "notes",
      "neo4j.cypher.topic.notes": `MERGE (n:${note} {id: k}) SET n.text = v.text RETURN n`,
      "neo4j.cypher.bind-key-as": "k",
      "neo4j.cypher.bind-value-as": "v",
      "neo4j.cypher.bind-value-as-event": "false",
    }),
  );
  await putAndFlush(task, [record("notes", 10, { text: "hello" })]);
  expect(await rows(`MATCH (n:${note}) RETURN n{.*} AS n`)).toEqual([{ n: { id: 10, text: "hello" } }]);
  await task.stop();
});
