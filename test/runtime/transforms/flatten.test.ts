// Invariant: Flatten lifts nested fields to the top level named by their path, keeping scalars, bytes and arrays, and flattens a struct schema to match.
import { expect, test } from "vitest";
import type { Schema } from "../../../runtime/api/records.ts";
import { record, transform } from "./records.ts";

test("nested objects become delimited top-level fields; arrays and nulls are kept", () => {
  const value = { id: 1, address: { city: "Oslo", geo: { lat: 59.9, lon: 10.7 } }, tags: ["a"], note: null };
  const out = transform("org.apache.kafka.connect.transforms.Flatten$Value", { delimiter: "_" })(
    record({ value }),
  );
  expect(out?.value).toEqual({
    id: 1,
    address_city: "Oslo",
    address_geo_lat: 59.9,
    address_geo_lon: 10.7,
    tags: ["a"],
    note: null,
  });
});

test("the default delimiter is a dot", () => {
  expect(transform("Flatten$Key")(record({ key: { a: { b: 1 } } }))?.key).toEqual({ "a.b": 1 });
});

test("a struct schema is flattened, and fields under an optional struct become optional", () => {
  const schema: Schema = {
    type: "struct",
    optional: false,
    name: "order",
    fields: [
      { field: "id", type: "int32", optional: false },
      {
        field: "customer",
        type: "struct",
        optional: true,
        fields: [
          { field: "name", type: "string", optional: false },
          { field: "tags", type: "array", optional: true, items: { type: "string" } },
        ],
      },
    ],
  };
  const flatten = transform("Flatten$Value");
  const out = flatten(
    record({ value: { id: 1, customer: { name: "ada", tags: ["vip"] } }, valueSchema: schema }),
  );
  expect(out?.value).toEqual({ id: 1, "customer.name": "ada", "customer.tags": ["vip"] });
  expect(out?.valueSchema).toEqual({
    type: "struct",
    optional: false,
    name: "order",
    fields: [
      { field: "id", type: "int32", optional: false },
      { field: "customer.name", type: "string", optional: true },
      { field: "customer.tags", type: "array", optional: true, items: { type: "string" } },
    ],
  });
  expect(flatten(record({ value: { id: 2, customer: null }, valueSchema: schema }))?.value).toEqual({
    id: 2,
    "customer.name": null,
    "customer.tags": null,
  });
});

test("a map field under a schema is refused, as Kafka Connect refuses it", () => {
  const schema: Schema = {
    type: "struct",
    optional: false,
    fields: [
      { field: "m", type: "map", optional: false, keys: { type: "string" }, values: { type: "string" } },
    ],
  };
  expect(() => transform("Flatten$Value")(record({ value: { m: {} }, valueSchema: schema }))).toThrow(
    'Flatten does not support the map field "m"',
  );
});

test("a tombstone passes through unchanged", () => {
  const tombstone = record({ value: null });
  expect(transform("Flatten$Value")(tombstone)).toBe(tombstone);
});
