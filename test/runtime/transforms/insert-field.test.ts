// Invariant: InsertField adds the record's topic, partition, offset, timestamp or a static value as fields, extending a struct schema to match, and leaves tombstones alone.
import { expect, test } from "vitest";
import type { Schema } from "../../../runtime/api/records.ts";
import { record, sinkRecord, transform } from "./records.ts";

const insertAll = transform("org.apache.kafka.connect.transforms.InsertField$Value", {
  "topic.field": "topic",
  "partition.field": "partition!",
  "offset.field": "offset?",
  "timestamp.field": "ts",
  "static.field": "origin",
  "static.value": "sluice",
});

test("a schemaless value gets every configured field after its own", () => {
  const out = insertAll(sinkRecord({ value: { id: 1 } }));
  expect(out?.value).toEqual({
    id: 1,
    topic: "orders",
    partition: 2,
    offset: 41,
    ts: 1_700_000_000_000,
    origin: "sluice",
  });
  expect(Object.keys(out?.value as object)).toEqual(["id", "topic", "partition", "offset", "ts", "origin"]);
});

test("a struct schema gets the inserted fields, required when suffixed with ! and optional otherwise", () => {
  const schema: Schema = {
    type: "struct",
    optional: false,
    name: "v",
    fields: [{ field: "id", type: "int32", optional: false }],
  };
  const out = insertAll(sinkRecord({ value: { id: 1 }, valueSchema: schema }));
  expect(out?.valueSchema).toEqual({
    type: "struct",
    optional: false,
    name: "v",
    fields: [
      { field: "id", type: "int32", optional: false },
      { field: "topic", type: "string", optional: true },
      { field: "partition", type: "int32", optional: false },
      { field: "offset", type: "int64", optional: true },
      {
        field: "ts",
        type: "int64",
        optional: true,
        name: "org.apache.kafka.connect.data.Timestamp",
        version: 1,
      },
      { field: "origin", type: "string", optional: true },
    ],
  });
});

test("the key variant inserts into the key and leaves the value as it was", () => {
  const out = transform("InsertField$Key", { "topic.field": "t" })(
    record({ key: { id: 1 }, value: { x: 1 } }),
  );
  expect(out).toEqual(record({ key: { id: 1, t: "orders" }, value: { x: 1 } }));
});

test("a tombstone passes through unchanged", () => {
  const tombstone = record({ key: { id: 1 }, value: null });
  expect(transform("InsertField$Value", { "topic.field": "t" })(tombstone)).toBe(tombstone);
});

test("an offset field on a record that was not read from Kafka is refused", () => {
  expect(() => transform("InsertField$Value", { "offset.field": "o" })(record({ value: {} }))).toThrow(
    "offset.field applies only to records read from Kafka by a sink",
  );
});

test("a value that is not an object is refused", () => {
  expect(() => transform("InsertField$Value", { "topic.field": "t" })(record({ value: "text" }))).toThrow(
    'transform "t" failed on a record of topic "orders": InsertField needs an object value, got string',
  );
});

test("a config that inserts nothing, or a static field without a value, is refused naming the key", () => {
  expect(() => transform("InsertField$Value")).toThrow("transforms.t.topic.field: no field to insert");
  expect(() => transform("InsertField$Value", { "static.field": "s" })).toThrow(
    "transforms.t.static.value: is required when static.field is set",
  );
});
