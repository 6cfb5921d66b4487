// Invariant: Parquet and Avro files the sink commits are read back by independent readers (hyparquet,
// avsc) with every record's fields and types intact, int64 values beyond 2^53 included; records that
// the format cannot hold are errant, not written.
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { afterAll, expect, test } from "vitest";
import type { Schema, SinkRecord } from "../../../runtime/api/index.ts";
import { committedFiles, hdfs, openTask, readAvro, sinkConfig, testRoot } from "./harness.ts";

const roots: string[] = [];
function root(name: string): string {
  const dir = testRoot(name);
  roots.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of roots) await hdfs.delete(dir, { recursive: true });
});

const SCHEMA: Schema = {
  type: "struct",
  name: "shop.Payment",
  fields: [
    { field: "id", type: "int64" },
    { field: "small", type: "int16" },
    { field: "amount", type: "float64" },
    { field: "ok", type: "boolean" },
    { field: "who", type: "string" },
    { field: "raw", type: "bytes" },
    { field: "note", type: "string", optional: true },
    { field: "tags", type: "array", items: { type: "string" } },
    {
      field: "address",
      type: "struct",
      name: "shop.Address",
      fields: [
        { field: "city", type: "string" },
        { field: "zip", type: "int32", optional: true },
      ],
    },
  ],
};

function payment(offset: number, id: bigint, value: Partial<Record<string, unknown>> = {}): SinkRecord {
  return {
    topic: "payments",
    kafkaPartition: 0,
    kafkaOffset: BigInt(offset),
    key: null,
    value: {
      id,
      small: -offset,
      amount: offset + 0.5,
      ok: offset % 2 === 0,
      who: `ü-${offset}`,
      raw: new Uint8Array([offset, 255]),
      note: offset === 1 ? "first" : null,
      tags: offset === 0 ? [] : ["a", "b"],
      address: { city: "Köln", zip: offset === 2 ? null : 50667 },
      ...value,
    },
    valueSchema: SCHEMA,
    headers: [],
    timestamp: 0,
  };
}

const BIG = 9_007_199_254_740_993n;
const RECORDS = [payment(0, 1n), payment(1, BIG), payment(2, -5n)];

test("Parquet files read back with hyparquet column by column", async () => {
  const dir = root("parquet");
  const { task, context } = await openTask(
    sinkConfig(dir, { "flush.size": "4", "format.class": "parquet" }),
    [{ topic: "payments", partition: 0 }],
  );
  await task.put([...RECORDS, payment(3, 7n, { small: "not a number" }), payment(4, 8n)]);
  await task.commitsSettled();
  expect(context.errant.map((e) => Number(e.record.kafkaOffset))).toEqual([3]);
  expect(await committedFiles(dir)).toEqual(["payments/partition=0/payments+0+0+4.parquet"]);
  const bytes = await hdfs.open(`${dir}/topics/payments/partition=0/payments+0+0+4.parquet`);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  expect(
    parquetMetadata(file).schema.map((e) => [e.name, e.type ?? null, e.repetition_type ?? null]),
  ).toEqual([
    ["root", null, null],
    ["id", "INT64", "REQUIRED"],
    ["small", "INT32", "REQUIRED"],
    ["amount", "DOUBLE", "REQUIRED"],
    ["ok", "BOOLEAN", "REQUIRED"],
    ["who", "BYTE_ARRAY", "REQUIRED"],
    ["raw", "BYTE_ARRAY", "REQUIRED"],
    ["note", "BYTE_ARRAY", "OPTIONAL"],
    ["tags", "BYTE_ARRAY", "REQUIRED"],
    ["address", "BYTE_ARRAY", "REQUIRED"],
  ]);
  const rows = await parquetReadObjects({ file, utf8: false });
  expect(rows.map((r) => ({ ...r, raw: [...(r.raw as Uint8Array)] }))).toEqual([
    {
      id: 1n,
      small: 0,
      amount: 0.5,
      ok: true,
      who: "ü-0",
      raw: [0, 255],
      note: null,
      tags: [],
      address: { city: "Köln", zip: 50667 },
    },
    {
      id: BIG,
      small: -1,
      amount: 1.5,
      ok: false,
      who: "ü-1",
      raw: [1, 255],
      note: "first",
      tags: ["a", "b"],
      address: { city: "Köln", zip: 50667 },
    },
    {
      id: -5n,
      small: -2,
      amount: 2.5,
      ok: true,
      who: "ü-2",
      raw: [2, 255],
      note: null,
      tags: ["a", "b"],
      address: { city: "Köln", zip: null },
    },
    {
      id: 8n,
      small: -4,
      amount: 4.5,
      ok: true,
      who: "ü-4",
      raw: [4, 255],
      note: null,
      tags: ["a", "b"],
      address: { city: "Köln", zip: 50667 },
    },
  ]);
  await task.stop();
});

test("Avro files read back with avsc's container decoder, schema derived from the Connect schema", async () => {
  const dir = root("avro");
  const { task, context } = await openTask(
    sinkConfig(dir, { "flush.size": "3", "format.class": "io.confluent.connect.hdfs.avro.AvroFormat" }),
    [{ topic: "payments", partition: 0 }],
  );
  await task.put([...RECORDS, payment(3, 4n, { who: null })]);
  await task.commitsSettled();
  expect(context.errant.map((e) => e.error.message)).toEqual([
    expect.stringMatching(/payments-0@3 does not fit its Avro schema/),
  ]);
  expect(await committedFiles(dir)).toEqual(["payments/partition=0/payments+0+0+2.avro"]);
  const { schema, records } = await readAvro(
    await hdfs.open(`${dir}/topics/payments/partition=0/payments+0+0+2.avro`),
  );
  expect(schema).toEqual({
    type: "record",
    name: "shop.Payment",
    fields: [
      { name: "id", type: "long" },
      { name: "small", type: "int" },
      { name: "amount", type: "double" },
      { name: "ok", type: "boolean" },
      { name: "who", type: "string" },
      { name: "raw", type: "bytes" },
      { name: "note", type: ["null", "string"], default: null },
      { name: "tags", type: { type: "array", items: "string" } },
      {
        name: "address",
        type: {
          type: "record",
          name: "shop.Address",
          fields: [
            { name: "city", type: "string" },
            { name: "zip", type: ["null", "int"], default: null },
          ],
        },
      },
    ],
  });
  expect(
    records.map((r) => ({ ...(r as Record<string, unknown>), raw: [...(r as { raw: Buffer }).raw] })),
  ).toEqual([
    {
      id: 1n,
      small: 0,
      amount: 0.5,
      ok: true,
      who: "ü-0",
      raw: [0, 255],
      note: null,
      tags: [],
      address: { city: "Köln", zip: 50667 },
    },
    {
      id: BIG,
      small: -1,
      amount: 1.5,
      ok: false,
      who: "ü-1",
      raw: [1, 255],
      note: "first",
      tags: ["a", "b"],
      address: { city: "Köln", zip: 50667 },
    },
    {
      id: -5n,
      small: -2,
      amount: 2.5,
      ok: true,
      who: "ü-2",
      raw: [2, 255],
      note: null,
      tags: ["a", "b"],
      address: { city: "Köln", zip: null },
    },
  ]);
  await task.stop();
});

test("a record whose schema changes commits the open file first, so each file has one schema", async () => {
  const dir = root("schema-change");
  const { task } = await openTask(sinkConfig(dir, { "flush.size": "100", "format.class": "avro" }), [
    { topic: "payments", partition: 0 },
  ]);
  const narrower: Schema = { type: "struct", name: "shop.Payment", fields: [{ field: "id", type: "int64" }] };
  await task.put([
    payment(0, 1n),
    payment(1, 2n),
    { ...payment(2, 3n), value: { id: 3n }, valueSchema: narrower },
    { ...payment(3, 4n), value: null },
  ]);
  await task.commitsSettled();
  expect(await committedFiles(dir)).toEqual(["payments/partition=0/payments+0+0+1.avro"]);
  expect(await task.preCommit()).toEqual(
    new Map([["payments-0", { partition: { topic: "payments", partition: 0 }, offset: 2n }]]),
  );
  await task.stop();
});

test("records without a struct schema are errant for Parquet and Avro", async () => {
  const dir = root("schemaless");
  for (const format of ["parquet", "avro"]) {
    const { task, context } = await openTask(sinkConfig(dir, { "format.class": format }), [
      { topic: "plain", partition: 0 },
    ]);
    await task.put([
      {
        topic: "plain",
        kafkaPartition: 0,
        kafkaOffset: 0n,
        key: null,
        value: { a: 1 },
        headers: [],
        timestamp: 0,
      },
    ]);
    expect(context.errant.map((e) => e.error.message)).toEqual([
      expect.stringContaining(`format.class=${format} needs a struct value schema`),
    ]);
    await task.stop();
  }
});
