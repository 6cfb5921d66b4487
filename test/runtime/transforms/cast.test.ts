// Invariant: Cast converts the whole part or named fields to the requested primitive type exactly, refusing values that do not fit instead of wrapping them, and updates the schema to the new types.
import { describe, expect, test } from "vitest";
import type { Schema } from "../../../runtime/api/records.ts";
import { record, transform } from "./records.ts";

const castValue = (spec: string, value: unknown, valueSchema?: Schema) =>
  transform("org.apache.kafka.connect.transforms.Cast$Value", { spec })(record({ value, valueSchema }));

describe("field casts", () => {
  test("numbers, text and booleans cast to each other", () => {
    const out = castValue("a:string,b:int32,c:float64,d:boolean,e:int64,f:boolean", {
      a: 12,
      b: "-7",
      c: "2.5",
      d: 1,
      e: 3.99,
      f: "TRUE",
      g: "untouched",
    });
    expect(out?.value).toEqual({ a: "12", b: -7, c: 2.5, d: true, e: 3, f: true, g: "untouched" });
  });

  test("int64 text beyond 2^53 casts to a bigint exactly", () => {
    expect(castValue("id:int64", { id: "9223372036854775807" })?.value).toEqual({ id: 9223372036854775807n });
  });

  test("a struct schema gets the new field types, keeping optionality", () => {
    const schema: Schema = {
      type: "struct",
      optional: false,
      fields: [
        { field: "price", type: "string", optional: true },
        { field: "id", type: "int32", optional: false },
      ],
    };
    const out = castValue("price:float32", { price: "1.5", id: 1 }, schema);
    expect(out?.value).toEqual({ price: 1.5, id: 1 });
    expect(out?.valueSchema).toEqual({
      type: "struct",
      optional: false,
      fields: [
        { field: "price", type: "float32", optional: true },
        { field: "id", type: "int32", optional: false },
      ],
    });
  });

  test("bytes cast to base64 text, and a Timestamp to ISO text", () => {
    const schema: Schema = {
      type: "struct",
      optional: false,
      fields: [
        { field: "raw", type: "bytes", optional: false },
        { field: "at", type: "int64", optional: false, name: "org.apache.kafka.connect.data.Timestamp" },
      ],
    };
    expect(
      castValue("raw:string,at:string", { raw: new Uint8Array([1, 2, 3]), at: 1_700_000_000_123 }, schema)
        ?.value,
    ).toEqual({
      raw: "AQID",
      at: "2023-11-14T22:13:20.123Z",
    });
  });

  test("a Decimal casts to a number", () => {
    const schema: Schema = {
      type: "struct",
      optional: false,
      fields: [
        {
          field: "p",
          type: "bytes",
          optional: false,
          name: "org.apache.kafka.connect.data.Decimal",
          parameters: { scale: "2" },
        },
      ],
    };
    expect(castValue("p:float64", { p: "12.34" }, schema)?.value).toEqual({ p: 12.34 });
  });
});

describe("whole-value casts", () => {
  test("the whole value and its schema are cast", () => {
    const out = castValue("int16", 300, { type: "int64", optional: true });
    expect(out?.value).toBe(300);
    expect(out?.valueSchema).toEqual({ type: "int16", optional: true });
  });

  test("a value out of the target's range is refused instead of wrapping", () => {
    expect(() => castValue("int8", 300)).toThrow("Cast cannot cast number 300 to int8: out of range");
  });

  test("text that is not a number is refused", () => {
    expect(() => castValue("int32", "12abc")).toThrow('Cast cannot cast string "12abc" to int32');
  });
});

describe("config", () => {
  test("an unknown type is refused naming the key", () => {
    expect(() => transform("Cast$Value", { spec: "a:uuid" })).toThrow(
      'transforms.t.spec: "a:uuid" is not a type or field:type; types are int8, int16, int32, int64, float32, float64, boolean, string',
    );
  });

  test("a whole-value cast mixed with field casts is refused", () => {
    expect(() => transform("Cast$Value", { spec: "int32,a:string" })).toThrow(
      "a cast of the whole value must be the only entry",
    );
  });
});
