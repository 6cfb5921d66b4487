// Invariant: MaskField replaces the named fields with their type's empty value or a replacement of the same type, leaving other fields, nulls and the schema as they were.
import { expect, test } from "vitest";
import type { Schema } from "../../../runtime/api/records.ts";
import { record, transform } from "./records.ts";

test("each kind of value is masked with its empty value", () => {
  const value = {
    n: 5,
    f: 1.5,
    big: 2n ** 60n,
    b: true,
    s: "secret",
    raw: new Uint8Array([1]),
    list: [1],
    map: { a: 1 },
    none: null,
    kept: "k",
  };
  const out = transform("MaskField$Value", { fields: "n,f,big,b,s,raw,list,map,none" })(record({ value }));
  expect(out?.value).toEqual({
    n: 0,
    f: 0,
    big: 0n,
    b: false,
    s: "",
    raw: new Uint8Array(0),
    list: [],
    map: {},
    none: null,
    kept: "k",
  });
});

test("a replacement is used for strings and parsed for numbers", () => {
  const out = transform("org.apache.kafka.connect.transforms.MaskField$Value", {
    fields: "card,pin",
    replacement: "****",
  })(record({ value: { card: "4111", pin: "1234" } }));
  expect(out?.value).toEqual({ card: "****", pin: "****" });
  expect(
    transform("MaskField$Value", { fields: "age", replacement: "99" })(record({ value: { age: 40 } }))?.value,
  ).toEqual({
    age: 99,
  });
});

test("a replacement that does not fit a numeric field is refused", () => {
  expect(() =>
    transform("MaskField$Value", { fields: "age", replacement: "n/a" })(record({ value: { age: 40 } })),
  ).toThrow('MaskField cannot replace a value of type integer with "n/a"');
});

test("with a schema the field's schema decides the empty value, and the schema is unchanged", () => {
  const schema: Schema = {
    type: "struct",
    optional: false,
    fields: [
      {
        field: "price",
        type: "bytes",
        optional: false,
        name: "org.apache.kafka.connect.data.Decimal",
        parameters: { scale: "2" },
      },
      { field: "qty", type: "int16", optional: false },
    ],
  };
  const out = transform("MaskField$Value", { fields: "price,qty" })(
    record({ value: { price: "12.50", qty: 3 }, valueSchema: schema }),
  );
  expect(out?.value).toEqual({ price: "0", qty: 0 });
  expect(out?.valueSchema).toBe(schema);
});

test("the key variant masks the key", () => {
  expect(transform("MaskField$Key", { fields: "ssn" })(record({ key: { ssn: "123" } }))?.key).toEqual({
    ssn: "",
  });
});

test("an empty field list is refused naming the key", () => {
  expect(() => transform("MaskField$Value", { fields: "" })).toThrow(
    "transforms.t.fields: must name at least one field",
  );
});
