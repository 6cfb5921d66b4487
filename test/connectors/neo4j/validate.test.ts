// Invariant: a config that cannot work is refused before any record flows, each problem on the key
// to fix: an unreachable server, a missing database, a Cypher template that does not compile (with its
// position in the template), a pattern that does not parse, a topic without exactly one strategy.
import { expect, test } from "vitest";
import { neo4jPlugin } from "../../../connectors/neo4j/plugin.ts";
import type { RawConfig } from "../../../runtime/api/index.ts";
import { sinkConfig } from "./harness.ts";

async function validate(raw: RawConfig): Promise<Array<{ field: string; message: string }>> {
  const connector = neo4jPlugin.createConnector();
  return (await connector.validate?.(neo4jPlugin.config.parse(raw), AbortSignal.timeout(30_000))) ?? [];
}

const good = sinkConfig({
  topics: "people,purchases",
  "neo4j.cypher.topic.people": "MERGE (p:ValidatePerson {id: __key}) SET p += __value",
  "neo4j.pattern.topic.purchases":
    "(:ValidateUser{!userId})-[:BOUGHT{price}]->(:ValidateProduct{!productId})",
});

test("a reachable server and strategies that compile validate without problems", async () => {
  expect(await validate(good)).toEqual([]);
});

test("an unreachable host is refused on neo4j.uri", async () => {
  expect(await validate({ ...good, "neo4j.uri": "bolt://127.0.0.1:1" })).toEqual([
    {
      field: "neo4j.uri",
      message:
        "cannot reach Neo4j at bolt://127.0.0.1:1: Failed to connect to server. Please ensure that your database is listening on the correct host and port and that you have compatible encryption settings both on Neo4j server and driver. Note that the default encryption setting has changed in Neo4j 4.0. Caused by: connect ECONNREFUSED 127.0.0.1:1",
    },
  ]);
});

test("a database the server does not have is refused on neo4j.database", async () => {
  expect(await validate({ ...good, "neo4j.database": "nosuchdb" })).toEqual([
    { field: "neo4j.database", message: "Neo4j refused a query: Graph not found: nosuchdb" },
  ]);
});

test("a Cypher template that does not compile is refused with the line and column in the template", async () => {
  expect(
    await validate({
      ...good,
      "neo4j.cypher.topic.people": "MERGE (p:ValidatePerson {id: __key)",
      "neo4j.pattern.topic.purchases": undefined,
      topics: "people,orders",
      "neo4j.cypher.topic.orders": "MATCH (o:ValidateOrder {id: __key})\nSET o.total = nope",
    }),
  ).toEqual([
    {
      field: "neo4j.cypher.topic.people",
      message:
        "does not compile: Invalid input ')': expected an expression, ',' or '}' (line 1, column 35 of the template)",
    },
    {
      field: "neo4j.cypher.topic.orders",
      message: "does not compile: Variable `nope` not defined (line 2, column 15 of the template)",
    },
  ]);
});

test("a template using event is refused when neo4j.cypher.bind-value-as-event is false", async () => {
  expect(
    await validate({
      ...good,
      "neo4j.cypher.topic.people": "MERGE (p:ValidatePerson {id: event.id})",
      "neo4j.cypher.bind-value-as-event": "false",
    }),
  ).toEqual([
    {
      field: "neo4j.cypher.topic.people",
      message: "does not compile: Variable `event` not defined (line 1, column 30 of the template)",
    },
  ]);
});

test("a pattern that does not parse is refused with the column, before the server is asked", async () => {
  expect(
    await validate({
      ...good,
      "neo4j.uri": "bolt://127.0.0.1:1",
      "neo4j.pattern.topic.purchases": "(:User{!userId})-[:BOUGHT{price}->(:Product{!productId})",
    }),
  ).toEqual([
    {
      field: "neo4j.pattern.topic.purchases",
      message: 'does not parse: at column 33: expected "]" to close the relationship, found "-"',
    },
  ]);
});

test("each topic needs exactly one strategy, and every strategy a topic of topics", async () => {
  expect(
    await validate(
      sinkConfig({
        topics: "a,b,c",
        "neo4j.cypher.topic.a": "MERGE (n:A {id: __key})",
        "neo4j.pattern.topic.a": "(:A{!id})",
        "neo4j.pattern.topic.b": "(:B{!id})",
        "neo4j.cypher.topic.z": "MERGE (n:Z {id: __key})",
      }),
    ),
  ).toEqual([
    {
      field: "neo4j.pattern.topic.a",
      message: 'topic "a" has a Cypher template too; give each topic one strategy',
    },
    {
      field: "topics",
      message: 'topic "c" has no strategy: set neo4j.cypher.topic.c or neo4j.pattern.topic.c',
    },
    { field: "neo4j.cypher.topic.z", message: 'topic "z" is not one of topics (a, b, c)' },
  ]);
  expect(await validate(sinkConfig({ topics: "a" }))).toEqual([
    {
      field: "topics",
      message: 'topic "a" has no strategy: set neo4j.cypher.topic.a or neo4j.pattern.topic.a',
    },
    {
      field: "topics",
      message:
        "no strategy is configured: set neo4j.cypher.topic.<topic> or neo4j.pattern.topic.<topic> for each topic",
    },
  ]);
});

test("the spec refuses bad durations, BASIC without credentials and the strategies Sluice lacks", () => {
  const { errors } = neo4jPlugin.config.validate({
    ...good,
    "neo4j.authentication.type": "basic",
    "neo4j.batch-timeout": "5 seconds",
    "neo4j.cud.topics": "cud",
    "neo4j.uri": "http://localhost:7474",
  });
  expect(errors).toEqual([
    {
      field: "neo4j.uri",
      message:
        '"http://localhost:7474" has the scheme http; use bolt, neo4j, bolt+s, neo4j+s, bolt+ssc or neo4j+ssc',
    },
    {
      field: "neo4j.authentication.basic.username",
      message: "is required when neo4j.authentication.type is BASIC",
    },
    {
      field: "neo4j.authentication.basic.password",
      message: "is required when neo4j.authentication.type is BASIC",
    },
    {
      field: "neo4j.batch-timeout",
      message: 'must be a duration such as 30s, 1m30s or 500ms (units ms, s, m, h, d); got "5 seconds"',
    },
    {
      field: "neo4j.cud.topics",
      message:
        "is not supported by Sluice's neo4j sink; use neo4j.cypher.topic.<topic> or neo4j.pattern.topic.<topic>",
    },
  ]);
});
