// Invariant: ValueToKey replaces the key with the named value fields, with a struct key schema built from the value's field schemas.
import { expect, test } from "vitest";
import type { Schema } from "../../../runtime/api/records.ts";
import { record, transform } from "./records.ts";

const toKey = transform("org.apache.kafka.connect.transforms.ValueToKey", { fields: "tenant,id" });

test("the key becomes an object of the named fields in the given order; a missing one is null", () => {
  expect(toKey(record({ key: "old", value: { id: 7, tenant: "t1", name: "x" } }))?.key).toEqual({
    tenant: "t1",
    id: 7,
  });
  expect(toKey(record({ value: { id: 7 } }))?.key).toEqual({ tenant: null, id: 7 });
});

test("with a schema the key schema is a struct of the value's field schemas", () => {
  const schema: Schema = {
    type: "struct",
    optional: false,
    fields: [
      { field: "id", type: "int64", optional: false },
      { field: "tenant", type: "string", optional: false },
      { field: "name", type: "string", optional: true },
    ],
  };
  const out = toKey(record({ value: { id: 7, tenant: "t1", name: "x" }, valueSchema: schema }));
  expect(out?.key).toEqual({ tenant: "t1", id: 7 });
  expect(out?.keySchema).toEqual({
    type: "struct",
    fields: [
      { field: "tenant", type: "string", optional: false },
      { field: "id", type: "int64", optional: false },
    ],
  });
  expect(out?.value).toEqual({ id: 7, tenant: "t1", name: "x" });
});

test("a field the value schema lacks is refused", () => {
  const schema: Schema = {
    type: "struct",
    optional: false,
    fields: [{ field: "id", type: "int64", optional: false }],
  };
  expect(() => toKey(record({ value: { id: 1 }, valueSchema: schema }))).toThrow(
    'ValueToKey: the value schema has no field "tenant"',
  );
});

test("a tombstone keeps its key", () => {
  const tombstone = record({ key: { id: 1 }, value: null });
  expect(toKey(tombstone)).toBe(tombstone);
});
