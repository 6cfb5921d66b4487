// Invariant: through a standalone worker (Kafka → JSON converter → neo4j sink), a topic of inserts,
// updates and tombstones ends as exactly its final state in the graph, a record that cannot be written
// goes to the dead-letter topic while the rest flow on, replaying the topic from offset 0 changes
// nothing, and a 20 s outage of Neo4j loses nothing.
import { afterAll, beforeAll, expect, test } from "vitest";
import type { RunningWorker } from "../../../runtime/worker/standalone.ts";
import { produce, readTopic } from "../../support/kafka.ts";
import { eventually, rest, startTestWorker } from "../../support/worker.ts";
import { dropLabels, graph, NEO4J_URI, neo4jProxy, rows, unique } from "./harness.ts";

const customer = unique("Customer");
const survivor = unique("Survivor");
const proxy = neo4jProxy();
const topic = `neo4j-e2e-${Date.now()}`;
const connector = `neo4j-${topic}`;
let worker: RunningWorker;

beforeAll(async () => {
  worker = await startTestWorker();
});
afterAll(async () => {
  await worker?.stop();
  await proxy.stop();
  await dropLabels(customer, survivor);
  await graph.close();
});

const json = (value: unknown) => JSON.stringify(value);

/** 60 customers inserted, every third updated, every fifth deleted, and one value that is not a map. */
function history(): Array<{ key: string | null; value: string | null }> {
  const records: Array<{ key: string | null; value: string | null }> = [];
  for (let id = 0; id < 60; id++)
    records.push({ key: json({ id }), value: json({ id, name: `c${id}`, tier: 1 }) });
  for (let id = 0; id < 60; id += 3)
    records.push({ key: json({ id }), value: json({ id, name: `c${id}`, tier: 2 }) });
  records.push({ key: json({ id: 999 }), value: json("not a customer") });
  for (let id = 0; id < 60; id += 5) records.push({ key: json({ id }), value: null });
  return records;
}

function finalState(): Array<{ id: number; name: string; tier: number }> {
  return Array.from({ length: 60 }, (_, id) => id)
    .filter((id) => id % 5 !== 0)
    .map((id) => ({ id, name: `c${id}`, tier: id % 3 === 0 ? 2 : 1 }));
}

const customers = () =>
  rows(`MATCH (c:\`${customer}\`) RETURN c.id AS id, c.name AS name, c.tier AS tier ORDER BY id`);

async function committedOffset(name = connector): Promise<number | undefined> {
  const { body } = await rest(worker, "GET", `/connectors/${name}/offsets`);
  return body.offsets[0]?.offset?.kafka_offset;
}

test("a CDC-like topic lands as its final state, the bad record is dead-lettered, and a replay changes nothing", async () => {
  const records = history();
  await produce(topic, records);

  const created = await rest(worker, "POST", "/connectors", {
    name: connector,
    config: {
      "connector.class": "org.neo4j.connectors.kafka.sink.Neo4jConnector",
      topics: topic,
      "neo4j.uri": NEO4J_URI,
      "neo4j.authentication.type": "NONE",
      [`neo4j.pattern.topic.${topic}`]: `(:${customer}{!id, name, tier})`,
      "neo4j.batch-size": "25",
      "errors.tolerance": "all",
      "errors.deadletterqueue.topic.name": `${topic}-dlq`,
    },
  });
  expect(created.status).toBe(201);

  await eventually(
    async () => ((await committedOffset()) === records.length ? true : undefined),
    60_000,
    "the first pass",
  );
  const first = await customers();
  expect(first).toEqual(finalState());

  const dead = await readTopic(`${topic}-dlq`, (found) => found.length >= 1);
  expect(dead.map((r) => [r.value, r.headers["__connect.errors.exception.message"]])).toEqual([
    [
      json("not a customer"),
      "the value is not a map (a JSON object or a struct), so a pattern cannot read fields from it",
    ],
  ]);

  expect((await rest(worker, "PUT", `/connectors/${connector}/stop`)).status).toBe(204);
  await eventually(async () => {
    const { body } = await rest(worker, "GET", `/connectors/${connector}/status`);
    return body.connector.state === "STOPPED" ? true : undefined;
  });
  expect((await rest(worker, "DELETE", `/connectors/${connector}/offsets`)).status).toBe(200);
  expect(await committedOffset()).toBeUndefined();
  expect((await rest(worker, "PUT", `/connectors/${connector}/resume`)).status).toBe(202);

  await eventually(
    async () => ((await committedOffset()) === records.length ? true : undefined),
    60_000,
    "the replay",
  );
  expect(await customers()).toEqual(first);
  expect(await rows(`MATCH (c:\`${customer}\`) RETURN count(c) AS n`)).toEqual([{ n: 48 }]);
});

test("records produced while Neo4j is unreachable for 20 s are all written once it is back", async () => {
  const outageTopic = `${topic}-outage`;
  const name = `neo4j-${outageTopic}`;
  const port = await proxy.start();
  const before = Array.from({ length: 100 }, (_, id) => ({
    key: json({ id }),
    value: json({ id, phase: "before" }),
  }));
  await produce(outageTopic, before);
  await rest(worker, "POST", "/connectors", {
    name,
    config: {
      "connector.class": "neo4j",
      topics: outageTopic,
      "neo4j.uri": `bolt://127.0.0.1:${port}`,
      "neo4j.authentication.type": "NONE",
      "neo4j.max-retry-time": "2s",
      "neo4j.connection-timeout": "1s",
      [`neo4j.pattern.topic.${outageTopic}`]: `(:${survivor}{!id, phase})`,
      "neo4j.batch-size": "30",
    },
  });
  await eventually(
    async () => ((await committedOffset(name)) === 100 ? true : undefined),
    60_000,
    "the first pass",
  );

  await proxy.stop();
  const during = [
    ...Array.from({ length: 100 }, (_, id) => ({ key: json({ id }), value: json({ id, phase: "during" }) })),
    ...Array.from({ length: 10 }, (_, i) => ({ key: json({ id: i * 10 }), value: null })),
  ];
  await produce(outageTopic, during);
  await new Promise((resolve) => setTimeout(resolve, 20_000));
  expect(await committedOffset(name)).toBe(100);
  await proxy.start();

  await eventually(
    async () => ((await committedOffset(name)) === 210 ? true : undefined),
    90_000,
    "the catch-up",
  );
  const survivors = await rows(`MATCH (s:\`${survivor}\`) RETURN s.id AS id, s.phase AS phase ORDER BY id`);
  expect(survivors).toEqual(
    Array.from({ length: 100 }, (_, id) => id)
      .filter((id) => id % 10 !== 0)
      .map((id) => ({ id, phase: "during" })),
  );
}, 180_000);
