// Invariant: the sink leaves each index equal to the last record per key — inserts replace, upserts merge,
// tombstones delete — whatever the batching, and writing the same records again changes nothing.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${topic} is the index.name.template's placeholder, not a JS template
import { afterAll, expect, test } from "vitest";
import type { SinkRecord } from "../../../runtime/api/index.ts";
import {
  documents,
  dropIndices,
  opensearch,
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

test("records become documents whose ids are the record keys; a later record replaces the document", async () => {
  const t = topic("customers");
  const { task, errant } = await startTask(sinkConfig());
  await putAndFlush(task, [
    record(t, "1", { id: 1, name: "Ada", city: "London" }),
    record(t, 2, { id: 2, name: "Grace" }),
    record(t, { id: 3 }, { id: 3, name: "Edsger" }),
  ]);
  await putAndFlush(task, [record(t, "1", { id: 1, name: "Ada Lovelace" })]);
  await task.stop();
  expect(errant).toEqual([]);
  expect(await documents(t)).toEqual({
    "1": { id: 1, name: "Ada Lovelace" },
    "2": { id: 2, name: "Grace" },
    "3": { id: 3, name: "Edsger" },
  });
});

test("write.method=upsert merges a record's fields into the document and creates it when absent", async () => {
  const t = topic("upserts");
  const { task, errant } = await startTask(sinkConfig({ "write.method": "upsert" }));
  await putAndFlush(task, [record(t, "a", { name: "Ada", city: "London" })]);
  await putAndFlush(task, [record(t, "a", { city: "Paris" }), record(t, "b", { name: "Bob" })]);
  await task.stop();
  expect(errant).toEqual([]);
  expect(await documents(t)).toEqual({ a: { name: "Ada", city: "Paris" }, b: { name: "Bob" } });
});

test("a tombstone deletes the document of its key; deleting a document that is absent is fine", async () => {
  const t = topic("deletes");
  const { task, errant } = await startTask(sinkConfig());
  await putAndFlush(task, [record(t, "1", { v: 1 }), record(t, "2", { v: 2 })]);
  await putAndFlush(task, [record(t, "1", null), record(t, "never-written", null)]);
  await task.stop();
  expect(errant).toEqual([]);
  expect(await documents(t)).toEqual({ "2": { v: 2 } });
});

test("update, delete, update of one key in one batch ends with the last update; update then delete ends absent", async () => {
  const t = topic("order");
  const { task } = await startTask(sinkConfig());
  await putAndFlush(task, [
    record(t, "k", { v: 1 }),
    record(t, "k", null),
    record(t, "k", { v: 3 }),
    record(t, "gone", { v: 1 }),
    record(t, "gone", { v: 2 }),
    record(t, "gone", null),
  ]);
  await task.stop();
  expect(await documents(t)).toEqual({ k: { v: 3 } });
});

test("per-key order holds across requests in flight together: 120 updates of 3 keys, one per request", async () => {
  const t = topic("inflight");
  const { task } = await startTask(sinkConfig({ "batch.size": "1", "max.in.flight.requests": "8" }));
  const records: SinkRecord[] = [];
  for (let i = 1; i <= 120; i++) records.push(record(t, `k${i % 3}`, { i }));
  records.push(record(t, "k0", null));
  await putAndFlush(task, records);
  await task.stop();
  expect(await documents(t)).toEqual({ k1: { i: 118 }, k2: { i: 119 } });
});

test("replaying the same records, from the start or from the middle, leaves the index as it was", async () => {
  const t = topic("replay");
  const records: SinkRecord[] = [];
  for (let i = 0; i < 200; i++) records.push(record(t, `k${i % 40}`, { i, tag: `v${i}` }));
  for (let i = 0; i < 40; i += 7) records.push(record(t, `k${i}`, null));
  const { task } = await startTask(sinkConfig({ "batch.size": "25" }));
  await putAndFlush(task, records);
  const first = await documents(t);
  await putAndFlush(task, records);
  const replayed = await documents(t);
  await putAndFlush(task, records.slice(117));
  const fromTheMiddle = await documents(t);
  await task.stop();
  expect(Object.keys(first)).toHaveLength(34);
  expect(first["k1"]).toEqual({ i: 161, tag: "v161" });
  expect(replayed).toEqual(first);
  expect(fromTheMiddle).toEqual(first);
});

test("key.ignore=true gives each record its own document, topic+partition+offset, so a replay overwrites it", async () => {
  const t = topic("events");
  const { task } = await startTask(sinkConfig({ "key.ignore": "true", "behavior.on.null.values": "ignore" }));
  const records = [record(t, null, { n: 1 }), record(t, null, { n: 2 }), record(t, "x", null)];
  await putAndFlush(task, records);
  await putAndFlush(task, records);
  await task.stop();
  const [first, second] = records as [SinkRecord, SinkRecord];
  expect(await documents(t)).toEqual({
    [`${t}+0+${first.kafkaOffset}`]: { n: 1 },
    [`${t}+0+${second.kafkaOffset}`]: { n: 2 },
  });
});

test("index.name.template names the index; the topic is lowercased", async () => {
  const t = topic("MixedCase");
  const index = `cdc-${t.toLowerCase()}-v1`;
  created.push(index);
  const { task } = await startTask(sinkConfig({ "index.name.template": "cdc-${topic}-v1" }));
  await putAndFlush(task, [record(t, "1", { ok: true })]);
  await task.stop();
  expect(await documents(index)).toEqual({ "1": { ok: true } });
});

test("bigints stay exact and bytes become base64", async () => {
  const t = topic("types");
  const { task } = await startTask(sinkConfig());
  await putAndFlush(task, [
    record(t, "1", { big: 9_007_199_254_740_993n, raw: new Uint8Array([1, 2, 255]) }),
  ]);
  await task.stop();
  await opensearch("POST", `/${t}/_refresh`);
  const response = await fetch(
    `${process.env.SLUICE_OPENSEARCH_URL ?? "http://127.0.0.1:19200"}/${t}/_doc/1`,
  );
  const text = await response.text();
  expect(text).toContain('"_source":{"big":9007199254740993,"raw":"AQL/"}');
});

test("with schema.ignore=false a new index gets the mapping of the value schema", async () => {
  const t = topic("mapped");
  const { task } = await startTask(sinkConfig());
  const valueSchema = {
    type: "struct" as const,
    fields: [
      { field: "id", type: "int64" as const },
      { field: "name", type: "string" as const, optional: true },
      { field: "score", type: "float32" as const },
      { field: "created", type: "int64" as const, name: "org.apache.kafka.connect.data.Timestamp" },
      { field: "address", type: "struct" as const, fields: [{ field: "zip", type: "int32" as const }] },
    ],
  };
  await putAndFlush(task, [
    record(
      t,
      "1",
      { id: 1, name: "x", score: 1.5, created: 1_700_000_000_000, address: { zip: 12345 } },
      { valueSchema },
    ),
  ]);
  await task.stop();
  const { body } = await opensearch("GET", `/${t}/_mapping`);
  expect(body[t].mappings.properties).toEqual({
    id: { type: "long" },
    name: { type: "text", fields: { keyword: { type: "keyword", ignore_above: 256 } } },
    score: { type: "float" },
    created: { type: "date", format: "epoch_millis" },
    address: { properties: { zip: { type: "integer" } } },
  });
});

test("with schema.ignore=true the task leaves the mapping to the server", async () => {
  const t = topic("dynamic");
  const { task } = await startTask(sinkConfig({ "schema.ignore": "true" }));
  const valueSchema = { type: "struct" as const, fields: [{ field: "id", type: "int32" as const }] };
  await putAndFlush(task, [record(t, "1", { id: 7 }, { valueSchema })]);
  await task.stop();
  const { body } = await opensearch("GET", `/${t}/_mapping`);
  expect(body[t].mappings.properties).toEqual({ id: { type: "long" } });
});
