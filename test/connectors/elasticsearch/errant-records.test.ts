// Invariant: a record the sink cannot write — a document the server refuses, a value that is no object, a
// missing key, a tombstone it is told to fail on — is handed to reportErrant with the reason while the rest
// of the batch is written; with errors.tolerance=none that rejection fails the put or flush.
import { afterAll, expect, test } from "vitest";
import { DataError, RetriableError } from "../../../runtime/api/index.ts";
import {
  documents,
  dropIndices,
  putAndFlush,
  record,
  sinkConfig,
  startTask,
  uniqueTopic,
} from "./harness.ts";

const created: string[] = [];
function topic(prefix: string): string {
  const name = uniqueTopic(prefix);
  created.push(name);
  return name;
}

afterAll(async () => {
  await dropIndices(...created);
});

test("a document the server refuses is reported errant with the server's reason; the others are written", async () => {
  const t = topic("malformed");
  const { task, errant } = await startTask(sinkConfig());
  await putAndFlush(task, [record(t, "1", { amount: 10 })]);
  const bad = record(t, "2", { amount: "ten" });
  await putAndFlush(task, [bad, record(t, "3", { amount: 30 })]);
  await task.stop();
  expect(errant).toHaveLength(1);
  expect(errant[0]?.record).toBe(bad);
  expect(errant[0]?.error).toBeInstanceOf(DataError);
  expect(errant[0]?.error.message).toContain(
    `the server refused the document of ${t}/0/${bad.kafkaOffset} (index ${t}, id 2) with HTTP 400: mapper_parsing_exception: failed to parse field [amount] of type [long]`,
  );
  expect(await documents(t)).toEqual({ "1": { amount: 10 }, "3": { amount: 30 } });
});

test("behavior.on.malformed.documents=warn logs the refusal and skips the record; ignore skips it silently", async () => {
  const warned = topic("warned");
  const ignored = topic("ignored");
  for (const [t, behavior] of [
    [warned, "warn"],
    [ignored, "ignore"],
  ] as const) {
    const { task, errant, warnings } = await startTask(
      sinkConfig({ "behavior.on.malformed.documents": behavior }),
    );
    await putAndFlush(task, [record(t, "1", { n: 1 })]);
    await putAndFlush(task, [record(t, "2", { n: "two" }), record(t, "3", { n: 3 })]);
    await task.stop();
    expect(errant).toEqual([]);
    expect(warnings.filter((w) => w.includes("mapper_parsing_exception"))).toHaveLength(
      behavior === "warn" ? 1 : 0,
    );
    expect(await documents(t)).toEqual({ "1": { n: 1 }, "3": { n: 3 } });
  }
});

test("values that are no JSON object and records without a key are errant before anything is sent", async () => {
  const t = topic("shapes");
  const { task, errant } = await startTask(sinkConfig());
  const records = [
    record(t, "1", "just text"),
    record(t, "2", [1, 2]),
    record(t, null, { a: 1 }),
    record(t, "4", { a: 4 }),
  ];
  await putAndFlush(task, records);
  await task.stop();
  expect(errant.map((e) => [e.record, e.error.message])).toEqual([
    [records[0], "a document must be a JSON object (a struct or map); the record value is a string"],
    [records[1], "a document must be a JSON object (a struct or map); the record value is an array"],
    [records[2], "the record has no key, and key.ignore=false makes the key the document id"],
  ]);
  expect(await documents(t)).toEqual({ "4": { a: 4 } });
});

test("behavior.on.null.values: fail reports the tombstone, ignore skips it", async () => {
  const failing = topic("nullfail");
  const ignoring = topic("nullignore");
  const strict = await startTask(sinkConfig({ "behavior.on.null.values": "fail" }));
  const tombstone = record(failing, "1", null);
  await putAndFlush(strict.task, [record(failing, "1", { v: 1 }), tombstone]);
  await strict.task.stop();
  expect(strict.errant.map((e) => [e.record, e.error.message])).toEqual([
    [tombstone, "the record has a null value (a tombstone) and behavior.on.null.values=fail"],
  ]);
  expect(await documents(failing)).toEqual({ "1": { v: 1 } });

  const lenient = await startTask(sinkConfig({ "behavior.on.null.values": "ignore" }));
  await putAndFlush(lenient.task, [record(ignoring, "1", { v: 1 }), record(ignoring, "1", null)]);
  await lenient.task.stop();
  expect(lenient.errant).toEqual([]);
  expect(await documents(ignoring)).toEqual({ "1": { v: 1 } });
});

test("with errors.tolerance=none a refused document fails the write instead of being skipped", async () => {
  const t = topic("intolerant");
  const { task } = await startTask(sinkConfig(), { tolerance: "none" });
  await putAndFlush(task, [record(t, "1", { n: 1 })]);
  const failure = await putAndFlush(task, [record(t, "2", { n: "two" })]).catch((error: unknown) => error);
  await task.stop();
  expect(failure).toBeInstanceOf(Error);
  expect((failure as Error).message).toMatch(
    /^Tolerance exceeded in error handler: the server refused the document/,
  );
  expect(failure).not.toBeInstanceOf(RetriableError);
});

test("an unreachable cluster makes flush throw RetriableError after max.retries, so the engine commits nothing", async () => {
  const { task } = await startTask(
    sinkConfig({
      "connection.url": "http://127.0.0.1:1",
      "linger.ms": "0",
      "max.retries": "2",
      "retry.backoff.ms": "5",
    }),
  );
  // put returns once the records are buffered; the write it starts fails in the background.
  await task.put([record(uniqueTopic("nowhere"), "1", { n: 1 })]);
  const failure = await task.flush(new Map()).catch((error: unknown) => error);
  await task.stop();
  expect(failure).toBeInstanceOf(RetriableError);
  expect((failure as RetriableError).message).toMatch(
    /^cannot create index nowhere-[0-9a-f]{8}: connect ECONNREFUSED 127\.0\.0\.1:1/,
  );
});

test("with schema.ignore=true an unreachable cluster fails the bulk write after 1 + max.retries attempts; a put beyond max.buffered.records throws it", async () => {
  const { task } = await startTask(
    sinkConfig({
      "connection.url": "http://127.0.0.1:1",
      "schema.ignore": "true",
      "linger.ms": "0",
      "max.retries": "2",
      "retry.backoff.ms": "5",
      "max.buffered.records": "1",
    }),
  );
  const topic = uniqueTopic("nowhere");
  const failure = await task
    .put([record(topic, "1", { n: 1 }), record(topic, "2", { n: 2 })])
    .catch((error: unknown) => error);
  await task.stop();
  expect(failure).toBeInstanceOf(RetriableError);
  expect((failure as RetriableError).message).toBe(
    "bulk write failed after 3 attempts: connect ECONNREFUSED 127.0.0.1:1",
  );
});
