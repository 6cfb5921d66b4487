// Invariant: ExtractField replaces the key or value with one of its fields, taking that field's schema when there is one.
import { expect, test } from "vitest";
import type { Schema } from "../../../runtime/api/records.ts";
import { record, transform } from "./records.ts";

test("a schemaless value is replaced by its field, or null when it lacks it", () => {
  const extract = transform("org.apache.kafka.connect.transforms.ExtractField$Value", { field: "after" });
  expect(extract(record({ value: { after: { id: 1 }, op: "c" } }))?.value).toEqual({ id: 1 });
  expect(extract(record({ value: { op: "d" } }))?.value).toBeNull();
});

test("with a schema the part takes the field's schema, without its field name", () => {
  const schema: Schema = {
    type: "struct",
    optional: false,
    fields: [
      { field: "id", type: "int64", optional: false },
      { field: "tag", type: "string", optional: true },
    ],
  };
  const out = transform("ExtractField$Key", { field: "id" })(
    record({ key: { id: 5n, tag: "x" }, keySchema: schema }),
  );
  expect(out?.key).toBe(5n);
  expect(out?.keySchema).toEqual({ type: "int64", optional: false });
});

test("a field the schema lacks is refused", () => {
  const schema: Schema = { type: "struct", optional: false, fields: [] };
  expect(() =>
    transform("ExtractField$Value", { field: "id" })(record({ value: {}, valueSchema: schema })),
  ).toThrow('ExtractField: the value schema has no field "id"');
});

test("a null value stays null", () => {
  expect(transform("ExtractField$Value", { field: "id" })(record({ value: null }))?.value).toBeNull();
});
