// Invariant: HoistField wraps the key or value in an object with one named field, and wraps its schema in a one-field struct.
import { expect, test } from "vitest";
import { record, transform } from "./records.ts";

test("a schemaless value is wrapped in a one-field object", () => {
  expect(
    transform("org.apache.kafka.connect.transforms.HoistField$Value", { field: "line" })(
      record({ value: "hello" }),
    )?.value,
  ).toEqual({
    line: "hello",
  });
});

test("a key with a schema is wrapped, and so is its schema", () => {
  const out = transform("HoistField$Key", { field: "id" })(
    record({ key: 42, keySchema: { type: "int32", optional: false } }),
  );
  expect(out?.key).toEqual({ id: 42 });
  expect(out?.keySchema).toEqual({
    type: "struct",
    fields: [{ type: "int32", optional: false, field: "id" }],
  });
});

test("a null is wrapped too, as Kafka Connect wraps it", () => {
  expect(transform("HoistField$Value", { field: "v" })(record({ value: null }))?.value).toEqual({ v: null });
});
