import { afterAll, test } from "vitest";
import { dropLabels, graph, record, rows, sinkConfig, startTask, unique } from "./harness.ts";

const made: string[] = [];
afterAll(async () => {
  for (const l of made) {
    await graph.executeQuery(`DROP CONSTRAINT \`c_${l}\` IF EXISTS`);
    const se = graph.session();
    await se.run(`MATCH (n:\`${l}\`) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS`);
    await se.close();
  }
  await graph.close();
});
async function measure(
  name: string,
  strategyKey: string,
  strategy: (l: string) => string,
  batch: string,
  n: number,
  value: (i: number) => unknown,
  key: (i: number) => unknown = () => null,
) {
  const l = unique("Rate");
  made.push(l);
  await graph.executeQuery(
    `CREATE CONSTRAINT \`c_${l}\` IF NOT EXISTS FOR (n:\`${l}\`) REQUIRE n.id IS UNIQUE`,
  );
  const { task } = await startTask(
    sinkConfig({ topics: "r", [strategyKey]: strategy(l), "neo4j.batch-size": batch }),
  );
  const recs = Array.from({ length: n }, (_, i) => record("r", key(i), value(i)));
  // warm-up
  await task.put(recs.slice(0, 2000));
  await task.flush(new Map());
  const t = performance.now();
  for (let i = 0; i < n; i += 500) await task.put(recs.slice(i, i + 500));
  await task.flush(new Map());
  const s = (performance.now() - t) / 1000;
  const c = await rows(`MATCH (n:\`${l}\`) RETURN count(n) AS c`);
  console.log(
    `RATE ${name} batch=${batch}: ${n} records in ${s.toFixed(2)} s = ${Math.round(n / s)} rec/s (nodes ${c[0]?.c})`,
  );
  await task.stop();
}

import { neo4jSinkSettings } from "../../../connectors/neo4j/config.ts";
import { neo4jPlugin } from "../../../connectors/neo4j/plugin.ts";

test("js cost", () => {
  const st = neo4jSinkSettings(
    neo4jPlugin.config.parse(sinkConfig({ topics: "r", "neo4j.pattern.topic.r": "(:X{!id, -tier})" })),
  ).strategies.get("r")!;
  const recs = Array.from({ length: 100000 }, (_, i) =>
    record("r", null, { id: i % 40000, name: `n${i}`, score: i * 1.5, tier: i % 7, city: "London" }),
  );
  const t = performance.now();
  for (const r of recs) st.toWrite(r);
  console.log("RATE js toWrite per 100k", (performance.now() - t).toFixed(0), "ms");
});
test("rates", async () => {
  const v = (i: number) => ({ id: i % 40000, name: `n${i}`, score: i * 1.5, tier: i % 7, city: "London" });
  await measure(
    "cypher",
    "neo4j.cypher.topic.r",
    (l) => `MERGE (n:${l} {id: __value.id}) SET n.name = __value.name, n.score = __value.score`,
    "1000",
    100000,
    v,
  );
  await measure("node pattern", "neo4j.pattern.topic.r", (l) => `(:${l}{!id, -tier})`, "1000", 100000, v);
  await measure("node pattern", "neo4j.pattern.topic.r", (l) => `(:${l}{!id, -tier})`, "5000", 100000, v);
  await measure("node pattern", "neo4j.pattern.topic.r", (l) => `(:${l}{!id, -tier})`, "1000", 100000, v);
  await measure(
    "cypher",
    "neo4j.cypher.topic.r",
    (l) => `MERGE (n:${l} {id: __value.id}) SET n.name = __value.name, n.score = __value.score`,
    "1000",
    100000,
    v,
  );
  await measure(
    "relationship",
    "neo4j.pattern.topic.r",
    (l) => `(:${l}{!id})-[:R{score}]->(:${l}{!id: tier})`,
    "1000",
    50000,
    v,
  );
}, 600_000);
