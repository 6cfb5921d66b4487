import { afterAll, expect, test } from "vitest";
import { dropLabels, graph, putAndFlush, record, rows, sinkConfig, startTask, unique } from "./harness.ts";
const label = unique("Smoke");
afterAll(async () => { await dropLabels(label); await graph.close(); });
test("smoke", async () => {
  const { task, errant } = await startTask(sinkConfig({ topics: "people", "neo4j.pattern.topic.people": `(:${label}{!id, name})` }));
  await putAndFlush(task, [record("people", 1, { id: 1, name: "ada", x: 3 }), record("people", 2, { id: 2, name: "bob" })]);
  expect(errant).toEqual([]);
  expect(await rows(`MATCH (n:${label}) RETURN n{.*} AS n ORDER BY n.id`)).toEqual([{ n: { id: 1, name: "ada" } }, { n: { id: 2, name: "bob" } }]);
  await task.stop();
});
