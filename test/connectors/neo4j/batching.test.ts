// Invariant: records are buffered up to neo4j.batch-size and written a whole batch per transaction, one
// transaction at a time: put returns while its last full batch may still be under way, and the next put
// or flush waits for it; flush writes the rest, so everything put is in Neo4j when flush resolves.
import { afterAll, expect, test } from "vitest";
import { dropLabels, graph, record, rows, sinkConfig, startTask, unique } from "./harness.ts";

const labels: string[] = [];
afterAll(async () => {
  await dropLabels(...labels);
  await graph.close();
});

test("nothing is written before batch-size records are buffered; then whole batches, one at a time; flush writes the rest", async () => {
  const row = unique("Row");
  labels.push(row);
  const { task } = await startTask(
    sinkConfig({ topics: "rows", "neo4j.pattern.topic.rows": `(:${row}{!id})`, "neo4j.batch-size": "5" }),
  );
  const count = async () => (await rows(`MATCH (n:${row}) RETURN count(n) AS n`))[0]?.n;
  const batch = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => record("rows", null, { id: from + i }));

  await task.put(batch(0, 3));
  expect(await count()).toBe(0);
  await task.put(batch(3, 8));
  // The first batch is written; the second may still be under way.
  expect([5, 10]).toContain(await count());
  await task.put(batch(11, 1));
  expect(await count()).toBe(10);
  await task.flush(new Map());
  expect(await count()).toBe(12);
  await task.flush(new Map());
  expect(await count()).toBe(12);
  await task.stop();
});

test("a record of a topic without a strategy fails put, saying which key to set", async () => {
  const { task } = await startTask(
    sinkConfig({ topics: "known", "neo4j.pattern.topic.known": "(:Known{!id})" }),
  );
  await expect(task.put([record("stranger", null, { id: 1 })])).rejects.toMatchObject({
    code: "CONFIG_INVALID",
    message:
      'a record of topic "stranger" arrived, but the topic has no strategy: set neo4j.cypher.topic.stranger or neo4j.pattern.topic.stranger',
  });
  await task.stop();
});
