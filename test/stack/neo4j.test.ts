// Invariant: the stack's Neo4j is a real server: nodes and a relationship MERGEd over Bolt are MATCHed back with their properties, and MERGE does not duplicate them.
import { driver as neo4jDriver } from "neo4j-driver";
import { afterAll, expect, test } from "vitest";
import { loadStackEnv } from "../../stack/env.ts";

const driver = neo4jDriver(loadStackEnv().neo4jUri, undefined, { disableLosslessIntegers: true });
afterAll(() => driver.close());

test("two nodes and a relationship MERGEd twice are MATCHed back once, with their properties", async () => {
  const run = `test-stack-neo4j-${Date.now()}`;
  const merge = `MERGE (a:StackTestPerson {run: $run, name: 'ada'})
    MERGE (b:StackTestPerson {run: $run, name: 'charles'})
    MERGE (a)-[k:KNOWS {since: 1833}]->(b)`;
  await driver.executeQuery(merge, { run });
  await driver.executeQuery(merge, { run });

  const { records } = await driver.executeQuery(
    `MATCH (a:StackTestPerson {run: $run})-[k:KNOWS]->(b:StackTestPerson {run: $run})
     RETURN a.name AS from, type(k) AS type, k.since AS since, b.name AS to`,
    { run },
  );
  expect(records.map((r) => r.toObject())).toEqual([
    { from: "ada", type: "KNOWS", since: 1833, to: "charles" },
  ]);
  const nodes = await driver.executeQuery("MATCH (p:StackTestPerson {run: $run}) RETURN count(p) AS n", {
    run,
  });
  expect(nodes.records[0]?.get("n")).toBe(2);

  await driver.executeQuery("MATCH (p:StackTestPerson {run: $run}) DETACH DELETE p", { run });
});
