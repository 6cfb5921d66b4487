// Invariant: a record that cannot be written goes to reportErrant with the reason, and every other
// record of its batch is still written, in order; with errors.tolerance=none (reportErrant rejects)
// put fails instead.
import { afterAll, expect, test } from "vitest";
import { neo4jPlugin } from "../../../connectors/neo4j/plugin.ts";
import { Neo4jSinkTask } from "../../../connectors/neo4j/task.ts";
import { DataError, type SinkTask, type SinkTaskContext } from "../../../runtime/api/index.ts";
import { testTaskMetrics } from "../../support/task-metrics.ts";
import {
  dropLabels,
  type Errant,
  graph,
  putAndFlush,
  record,
  rows,
  silent,
  sinkConfig,
  startTask,
  unique,
} from "./harness.ts";

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

function reasons(errant: Errant[]): Array<{ offset: bigint; name: string; message: string }> {
  return errant.map(({ record, error }) => ({
    offset: record.kafkaOffset,
    name: error.name,
    message: error.message,
  }));
}

test("records a pattern cannot read are reported with the reason; the others are written", async () => {
  const thing = label("Thing");
  const { task, errant } = await startTask(
    sinkConfig({ topics: "things", "neo4j.pattern.topic.things": `(:${thing}{!id})` }),
  );
  const batch = [
    record("things", null, { id: 1, name: "ok" }),
    record("things", null, "not a map"),
    record("things", null, { name: "no id" }),
    record("things", null, { id: null }),
    record("things", null, { id: 5, tags: [{ a: 1 }] }),
    record("things", null, { id: 6, name: "also ok" }),
  ];
  await putAndFlush(task, batch);
  expect(reasons(errant)).toEqual([
    {
      offset: batch[1]?.kafkaOffset,
      name: "DataError",
      message: "the value is not a map (a JSON object or a struct), so a pattern cannot read fields from it",
    },
    {
      offset: batch[2]?.kafkaOffset,
      name: "DataError",
      message: 'key property "id" (read from "id") is not in the message\'s value or key',
    },
    {
      offset: batch[3]?.kafkaOffset,
      name: "DataError",
      message: 'key property "id" (read from "__value.id") is null',
    },
    {
      offset: batch[4]?.kafkaOffset,
      name: "DataError",
      message: 'property "tags" is a list of maps; Neo4j properties are scalars or lists of scalars',
    },
  ]);
  expect(await rows(`MATCH (n:${thing}) RETURN n{.*} AS n ORDER BY n.id`)).toEqual([
    { n: { id: 1, name: "ok" } },
    { n: { id: 6, name: "also ok" } },
  ]);
  await task.stop();
});

test("a record Neo4j refuses is reported and the rest of its batch is written around it, in order", async () => {
  const share = label("Share");
  const { task, errant } = await startTask(
    sinkConfig({
      topics: "shares",
      "neo4j.cypher.topic.shares": `MERGE (s:${share} {id: __key}) SET s.part = 100 / __value.divisor, s.seq = __value.seq`,
    }),
  );
  const batch = [
    ...Array.from({ length: 6 }, (_, i) => record("shares", i % 3, { divisor: 4, seq: i })),
    record("shares", 1, { divisor: 0, seq: 6 }),
    ...Array.from({ length: 5 }, (_, i) => record("shares", i % 3, { divisor: 5, seq: 7 + i })),
  ];
  await putAndFlush(task, batch);
  expect(reasons(errant)).toEqual([
    {
      offset: batch[6]?.kafkaOffset,
      name: "DataError",
      message: "Neo4j refused the record (Neo.ClientError.Statement.ArithmeticError): / by zero",
    },
  ]);
  expect(
    await rows(`MATCH (s:${share}) RETURN s.id AS id, s.part AS part, s.seq AS seq ORDER BY id`),
  ).toEqual([
    { id: 0, part: 20, seq: 10 },
    { id: 1, part: 20, seq: 11 },
    { id: 2, part: 20, seq: 9 },
  ]);
  await task.stop();
});

test("a pattern's record whose property Neo4j cannot store is reported; its batch-mates are written", async () => {
  const tagged = label("Tagged");
  const { task, errant } = await startTask(
    sinkConfig({ topics: "tagged", "neo4j.pattern.topic.tagged": `(:${tagged}{!id, tags})` }),
  );
  const batch = [
    record("tagged", null, { id: 1, tags: ["a", "b"] }),
    record("tagged", null, { id: 2, tags: ["a", 1] }),
    record("tagged", null, { id: 3, tags: [] }),
  ];
  await putAndFlush(task, batch);
  expect(errant.map((e) => [e.record.kafkaOffset, e.error.name, e.error.message.split(":")[0]])).toEqual([
    [batch[1]?.kafkaOffset, "DataError", "Neo4j refused the record (Neo.ClientError.Statement.TypeError)"],
  ]);
  expect(await rows(`MATCH (n:${tagged}) RETURN n.id AS id, n.tags AS tags ORDER BY id`)).toEqual([
    { id: 1, tags: ["a", "b"] },
    { id: 3, tags: [] },
  ]);
  await task.stop();
});

test("with errors.tolerance=none the rejection of the first errant record fails put", async () => {
  const strict = label("Strict");
  const refusal = new Error("errors.tolerance=none");
  const context: SinkTaskContext = {
    connectorName: "neo4j-test",
    metrics: testTaskMetrics("sink").metrics,
    taskId: 0,
    logger: silent,
    assignment: () => [],
    seek() {},
    pause() {},
    resume() {},
    requestCommit() {},
    reportErrant: async (_record, error) => {
      expect(error).toBeInstanceOf(DataError);
      throw refusal;
    },
  };
  const task: SinkTask = new Neo4jSinkTask();
  await task.start(
    neo4jPlugin.config.parse(
      sinkConfig({ topics: "strict", "neo4j.pattern.topic.strict": `(:${strict}{!id})` }),
    ),
    context,
  );
  await expect(
    task.put([record("strict", null, { id: 1 }), record("strict", null, { nope: 2 })]),
  ).rejects.toBe(refusal);
  await task.flush(new Map());
  expect(await rows(`MATCH (n:${strict}) RETURN count(n) AS n`)).toEqual([{ n: 0 }]);
  await task.stop();
});
