// Invariant: while Neo4j cannot be reached, put throws RetriableError and keeps its buffer as it was, so
// that the engine's redelivery of the same records once Neo4j is back writes every record once, in order.
import { afterAll, expect, test } from "vitest";
import { RetriableError } from "../../../runtime/api/index.ts";
import { dropLabels, graph, Relay, record, rows, sinkConfig, startTask, unique } from "./harness.ts";

const relay = new Relay();
const item = unique("Outage");
afterAll(async () => {
  await relay.cut();
  await dropLabels(item);
  await graph.close();
});

test("an outage makes put throw RetriableError; redelivery after it writes every record once, in order", async () => {
  await relay.open();
  const { task, errant } = await startTask(
    sinkConfig({
      "neo4j.uri": `bolt://127.0.0.1:${relay.port}`,
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
  expect(await rows(`MATCH (n:${item}) RETURN n.id AS id, n.v AS v`)).toEqual([
    { id: 1, v: "a" },
    { id: 9, v: "zz" },
  ]);

  await task.put([record("items", { id: 1 }, { id: 1, v: "b" })]);
  await relay.cut();
  const redelivered = [
    record("items", { id: 1 }, null),
    record("items", { id: 1 }, { id: 1, v: "c" }),
    record("items", { id: 2 }, { id: 2, v: "x" }),
  ];
  const started = performance.now();
  const failure = await task.put(redelivered).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(RetriableError);
  expect(failure).toMatchObject({ code: "EXTERNAL_TRANSIENT", retriable: true });
  expect(performance.now() - started).toBeLessThan(15_000);

  await relay.open();
  await task.put(redelivered);
  await task.flush(new Map());
  expect(await rows(`MATCH (n:${item}) RETURN n.id AS id, n.v AS v ORDER BY id`)).toEqual([
    { id: 1, v: "c" },
    { id: 2, v: "x" },
    { id: 9, v: "zz" },
  ]);
  expect(errant).toEqual([]);
  await task.stop();
});
