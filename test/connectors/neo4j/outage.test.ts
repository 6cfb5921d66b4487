// Invariant: a batch that fails while Neo4j cannot be reached stays buffered ahead of newer records; until
// it is written, put throws RetriableError without taking its records and flush throws RetriableError, so
// that the engine's redelivery (put) or next flush, once Neo4j is back, writes every record once, in order.
import { afterAll, expect, test } from "vitest";
import { RetriableError } from "../../../runtime/api/index.ts";
import { dropLabels, graph, neo4jProxy, record, rows, sinkConfig, startTask, unique } from "./harness.ts";

const proxy = neo4jProxy();
const item = unique("Outage");
afterAll(async () => {
  await proxy.stop();
  await dropLabels(item);
  await graph.close();
});

test("a batch that failed in an outage is written first once Neo4j is back; puts meanwhile throw RetriableError", async () => {
  const port = await proxy.start();
  const { task, errant } = await startTask(
    sinkConfig({
      "neo4j.uri": `bolt://127.0.0.1:${port}`,
      topics: "items",
      "neo4j.pattern.topic.items": `(:${item}{!id, v})`,
      "neo4j.batch-size": "3",
      "neo4j.max-retry-time": "2s",
      "neo4j.connection-timeout": "1s",
    }),
  );
  await task.put([record("items", { id: 1 }, { id: 1, v: "a" })]);
  await task.put([
    record("items", { id: 9 }, { id: 9, v: "z" }),
    record("items", { id: 9 }, { id: 9, v: "zz" }),
  ]);
  await task.flush(new Map());
  expect(await rows(`MATCH (n:${item}) RETURN n.id AS id, n.v AS v`)).toEqual([
    { id: 1, v: "a" },
    { id: 9, v: "zz" },
  ]);

  await task.put([record("items", { id: 1 }, { id: 1, v: "b" })]);
  await proxy.stop();
  // Fills a batch (b, delete, c), whose transaction fails in the background; x stays buffered.
  await task.put([
    record("items", { id: 1 }, null),
    record("items", { id: 1 }, { id: 1, v: "c" }),
    record("items", { id: 2 }, { id: 2, v: "x" }),
  ]);
  const later = [record("items", { id: 2 }, { id: 2, v: "y" })];
  const failure = await task.put(later).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(RetriableError);
  expect(failure).toMatchObject({ code: "EXTERNAL_TRANSIENT", retriable: true });
  await expect(task.flush(new Map())).rejects.toBeInstanceOf(RetriableError);

  await proxy.start();
  await task.put(later);
  await task.flush(new Map());
  expect(await rows(`MATCH (n:${item}) RETURN n.id AS id, n.v AS v ORDER BY id`)).toEqual([
    { id: 1, v: "c" },
    { id: 2, v: "y" },
    { id: 9, v: "zz" },
  ]);
  expect(errant).toEqual([]);
  await task.stop();
  await proxy.stop();
});

test("a flush during an outage throws RetriableError and keeps the records for the next flush", async () => {
  const port = await proxy.start();
  const { task } = await startTask(
    sinkConfig({
      "neo4j.uri": `bolt://127.0.0.1:${port}`,
      topics: "late",
      "neo4j.pattern.topic.late": `(:${item}{!id, v})`,
      "neo4j.max-retry-time": "1s",
      "neo4j.connection-timeout": "1s",
    }),
  );
  await task.put([record("late", null, { id: 50, v: "one" }), record("late", null, { id: 51, v: "two" })]);
  await proxy.stop();
  await expect(task.flush(new Map())).rejects.toBeInstanceOf(RetriableError);

  await proxy.start();
  await task.flush(new Map());
  expect(await rows(`MATCH (n:${item}) WHERE n.id >= 50 RETURN n.id AS id, n.v AS v ORDER BY id`)).toEqual([
    { id: 50, v: "one" },
    { id: 51, v: "two" },
  ]);
  await task.stop();
});
