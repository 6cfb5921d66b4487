// Invariant: JsonConverter writes the bytes Kafka Connect's JsonConverter writes (envelope with schema, or plain JSON), reads them back to the same schema and value without losing a digit, and refuses malformed bytes with a DataError that says what is wrong.
import { describe, expect, test } from "vitest";
import { DataError } from "../../../runtime/api/errors.ts";
import type { Schema } from "../../../runtime/api/records.ts";
import { createConverter } from "../../../runtime/converters/registry.ts";

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));

const withSchemas = createConverter("org.apache.kafka.connect.json.JsonConverter", {}, false);
const plain = createConverter("json", { "schemas.enable": "false" }, false);

const orderSchema: Schema = {
  type: "struct",
  optional: false,
  name: "shop.orders.Value",
  version: 2,
  fields: [
    { field: "id", type: "int64", optional: false },
    { field: "qty", type: "int16", optional: true },
    {
      field: "price",
      type: "bytes",
      optional: false,
      name: "org.apache.kafka.connect.data.Decimal",
      version: 1,
      parameters: { scale: "2" },
    },
    { field: "ratio", type: "float64", optional: true },
    { field: "paid", type: "boolean", optional: false, default: false },
    { field: "photo", type: "bytes", optional: true },
    { field: "tags", type: "array", optional: true, items: { type: "string", optional: false } },
    {
      field: "attrs",
      type: "map",
      optional: true,
      keys: { type: "string", optional: false },
      values: { type: "int32", optional: true },
    },
    {
      field: "created",
      type: "int64",
      optional: false,
      name: "org.apache.kafka.connect.data.Timestamp",
      version: 1,
    },
  ],
};

const order = {
  id: 9007199254740993n,
  qty: 3,
  price: "-12.30",
  ratio: 0.5,
  paid: true,
  photo: new Uint8Array([0, 255, 16]),
  tags: ["gift"],
  attrs: { size: 42 },
  created: 1700000000123,
};

describe("with schemas.enable=true", () => {
  test("a struct is written as Kafka Connect's envelope, byte for byte", () => {
    expect(decode(withSchemas.fromConnectData("orders", orderSchema, order))).toBe(
      '{"schema":{"type":"struct","fields":[' +
        '{"type":"int64","optional":false,"field":"id"},' +
        '{"type":"int16","optional":true,"field":"qty"},' +
        '{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"field":"price"},' +
        '{"type":"float64","optional":true,"field":"ratio"},' +
        '{"type":"boolean","optional":false,"default":false,"field":"paid"},' +
        '{"type":"bytes","optional":true,"field":"photo"},' +
        '{"type":"array","items":{"type":"string","optional":false},"optional":true,"field":"tags"},' +
        '{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":true},"optional":true,"field":"attrs"},' +
        '{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"created"}' +
        '],"optional":false,"name":"shop.orders.Value","version":2},' +
        '"payload":{"id":9007199254740993,"qty":3,"price":"+zI=","ratio":0.5,"paid":true,"photo":"AP8Q","tags":["gift"],"attrs":{"size":42},"created":1700000000123}}',
    );
  });

  test("the envelope reads back to the same schema and value, bigint and bytes included", () => {
    const bytes = withSchemas.fromConnectData("orders", orderSchema, order);
    expect(withSchemas.toConnectData("orders", bytes)).toEqual({ schema: orderSchema, value: order });
  });

  test("an int64 beyond 2^53 round-trips exactly as a bigint, and one within it as a number", () => {
    const schema: Schema = { type: "array", optional: false, items: { type: "int64", optional: false } };
    const values = [2n ** 63n - 1n, -(2n ** 63n), 9007199254740993n, 42];
    const bytes = withSchemas.fromConnectData("t", schema, values);
    expect(decode(bytes)).toContain(
      '"payload":[9223372036854775807,-9223372036854775808,9007199254740993,42]',
    );
    expect(withSchemas.toConnectData("t", bytes).value).toEqual(values);
  });

  test("a schemaless value is written with a null schema and read back schemaless", () => {
    const bytes = withSchemas.fromConnectData("t", undefined, {
      a: 1,
      big: 2n ** 60n,
      nested: { b: [true, null] },
    });
    expect(decode(bytes)).toBe(
      '{"schema":null,"payload":{"a":1,"big":1152921504606846976,"nested":{"b":[true,null]}}}',
    );
    expect(withSchemas.toConnectData("t", bytes)).toEqual({
      value: { a: 1, big: 2n ** 60n, nested: { b: [true, null] } },
    });
  });

  test("a null value without a schema is written as no bytes, and no bytes read as a null value", () => {
    expect(withSchemas.fromConnectData("t", undefined, null)).toBeNull();
    expect(withSchemas.toConnectData("t", null)).toEqual({ value: null });
  });

  test("a null optional value with a schema is written as an envelope with a null payload", () => {
    const schema: Schema = { type: "string", optional: true };
    expect(decode(withSchemas.fromConnectData("t", schema, null))).toBe(
      '{"schema":{"type":"string","optional":true},"payload":null}',
    );
  });

  test("integral floats are written with .0 so that schemaless readers see a float, as Jackson writes them", () => {
    const schema: Schema = { type: "float64", optional: false };
    expect(decode(withSchemas.fromConnectData("t", schema, 2))).toBe(
      '{"schema":{"type":"float64","optional":false},"payload":2.0}',
    );
  });

  test("a null field with a schema default is written as the default, unless replace.null.with.default=false", () => {
    const schema: Schema = {
      type: "struct",
      optional: false,
      fields: [{ field: "n", type: "int32", optional: true, default: 7 }],
    };
    expect(decode(withSchemas.fromConnectData("t", schema, { n: null }))).toContain('"payload":{"n":7}');
    const keepNull = createConverter("json", { "replace.null.with.default": "false" }, false);
    expect(decode(keepNull.fromConnectData("t", schema, { n: null }))).toContain('"payload":{"n":null}');
  });

  test("a map with non-string keys is written as an array of pairs and read back as a Map", () => {
    const schema: Schema = {
      type: "map",
      optional: false,
      keys: { type: "int32", optional: false },
      values: { type: "string", optional: false },
    };
    const bytes = withSchemas.fromConnectData(
      "t",
      schema,
      new Map([
        [1, "one"],
        [2, "two"],
      ]),
    );
    expect(decode(bytes)).toContain('"payload":[[1,"one"],[2,"two"]]');
    expect(withSchemas.toConnectData("t", bytes).value).toEqual(
      new Map([
        [1, "one"],
        [2, "two"],
      ]),
    );
  });
});

describe("the Decimal logical type", () => {
  const decimal = (scale: string): Schema => ({
    type: "bytes",
    optional: false,
    name: "org.apache.kafka.connect.data.Decimal",
    version: 1,
    parameters: { scale },
  });

  test("is written as base64 of the unscaled two's complement bytes, as Kafka Connect does by default", () => {
    expect(decode(withSchemas.fromConnectData("t", decimal("2"), "1.00"))).toContain('"payload":"ZA=="');
    expect(decode(withSchemas.fromConnectData("t", decimal("0"), "128"))).toContain('"payload":"AIA="');
    expect(decode(withSchemas.fromConnectData("t", decimal("0"), "-129"))).toContain('"payload":"/38="');
  });

  test("is read back as a decimal string with the schema's scale", () => {
    const bytes = encode(
      '{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"3"}},"payload":"AeJA"}',
    );
    expect(withSchemas.toConnectData("t", bytes).value).toBe("123.456");
  });

  test("with decimal.format=NUMERIC is written as an exact JSON number and read back exactly", () => {
    const numeric = createConverter("json", { "decimal.format": "numeric" }, false);
    const bytes = numeric.fromConnectData("t", decimal("4"), "12345678901234567890.5");
    expect(decode(bytes)).toContain('"payload":12345678901234567890.5000');
    expect(numeric.toConnectData("t", bytes).value).toBe("12345678901234567890.5000");
  });

  test("with more fractional digits than the scale is refused rather than rounded", () => {
    expect(() => withSchemas.fromConnectData("t", decimal("1"), "1.25")).toThrow(
      /decimal 1.25 at the top level has more fractional digits than its scale 1/,
    );
  });
});

describe("with schemas.enable=false", () => {
  test("values are written as plain JSON, with bytes as base64 and bigints verbatim", () => {
    expect(
      decode(
        plain.fromConnectData("t", undefined, { id: 2n ** 64n, raw: new Uint8Array([1, 2, 3]), x: 1.5 }),
      ),
    ).toBe('{"id":18446744073709551616,"raw":"AQID","x":1.5}');
  });

  test("a schema is not written, only the payload", () => {
    expect(decode(plain.fromConnectData("t", { type: "int32", optional: false }, 5))).toBe("5");
  });

  test("plain JSON reads back schemaless: integers beyond 2^53 as bigint, others as numbers", () => {
    expect(plain.toConnectData("t", encode('{"a":12345678901234567890,"b":1.0,"c":[-3]}'))).toEqual({
      value: { a: 12345678901234567890n, b: 1, c: [-3] },
    });
  });

  test("an integer beyond 2^53 is exact wherever it is: nested, in arrays, under escaped or numeric keys, alone", () => {
    const text =
      '{"source":{"ts_ns":1790000000000000001,"pos":4},"a\\"b":[1,[-9007199254740993]],"7":{"x":[{"y":18446744073709551615}]},"ts_ns":-1790000000000000001}';
    expect(plain.toConnectData("t", encode(text)).value).toStrictEqual({
      source: { ts_ns: 1790000000000000001n, pos: 4 },
      'a"b': [1, [-9007199254740993n]],
      "7": { x: [{ y: 18446744073709551615n }] },
      ts_ns: -1790000000000000001n,
    });
    expect(plain.toConnectData("t", encode(" 12345678901234567890 ")).value).toBe(12345678901234567890n);
  });

  test("a big integer under a key its object repeats reads as JSON.parse keeps the key: the last one", () => {
    const read = (text: string) => plain.toConnectData("t", encode(text)).value;
    expect(read('{"a":12345678901234567890,"a":1}')).toStrictEqual({ a: 1 });
    expect(read('{"a":1,"a":12345678901234567891}')).toStrictEqual({ a: 12345678901234567891n });
    expect(read('{"a":18446744073709551615,"a":18446744073709551616}')).toStrictEqual({
      a: 18446744073709551616n,
    });
    expect(read('{"a":{"b":12345678901234567890},"a":{"c":2}}')).toStrictEqual({ a: { c: 2 } });
  });

  test("digits in strings and numbers with a fraction or an exponent are left as JSON.parse reads them", () => {
    const text = String.raw`{"s":"x\\","t":"\"12345678901234567890,\\","e":1.5e300,"f":12345678901234567890.5,"g":1E20,"n":12345678901234567890}`;
    expect(plain.toConnectData("t", encode(text)).value).toStrictEqual({
      s: "x\\",
      t: '"12345678901234567890,\\',
      e: 1.5e300,
      f: Number("12345678901234567890.5"),
      g: 1e20,
      n: 12345678901234567890n,
    });
  });
});

describe("malformed bytes", () => {
  const readError = (converter: typeof withSchemas, text: string | Uint8Array) => {
    try {
      converter.toConnectData("orders", typeof text === "string" ? encode(text) : text);
    } catch (error) {
      expect(error).toBeInstanceOf(DataError);
      return (error as DataError).message;
    }
    throw new Error("expected a DataError");
  };

  test("text that is not JSON is refused, naming the topic", () => {
    expect(readError(plain, '{"a":')).toMatch(
      /^JsonConverter cannot read JSON for topic "orders": the bytes are not valid JSON/,
    );
  });

  test("bytes that are not UTF-8 are refused", () => {
    expect(readError(plain, new Uint8Array([0x7b, 0xff, 0x7d]))).toContain("the 3 bytes are not valid UTF-8");
  });

  test("plain JSON given to a converter that expects envelopes is refused with the fix", () => {
    expect(readError(withSchemas, '{"id":1}')).toContain("set schemas.enable=false");
    expect(readError(withSchemas, '{"schema":null,"payload":1,"extra":2}')).toContain(
      'exactly the fields "schema" and "payload"',
    );
  });

  test("a payload that does not fit its schema is refused, naming the field", () => {
    const text =
      '{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"n"}],"optional":false},"payload":{"n":"x"}}';
    expect(readError(withSchemas, text)).toContain('expected an int32 integer at "n", found JSON string');
  });

  test("an integer out of its type's range is refused rather than truncated", () => {
    expect(readError(withSchemas, '{"schema":{"type":"int8","optional":false},"payload":200}')).toContain(
      "200 at the top level is out of range for int8",
    );
  });

  test("a required field that is missing is refused", () => {
    const text =
      '{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"name"}],"optional":false},"payload":{}}';
    expect(readError(withSchemas, text)).toContain(
      'null at "name", but its string schema is required and has no default',
    );
  });

  test("a schema of an unknown type is refused", () => {
    expect(readError(withSchemas, '{"schema":{"type":"uuid"},"payload":"x"}')).toContain(
      "schema.type must be one of",
    );
  });

  test("bytes that are not base64 are refused", () => {
    expect(
      readError(withSchemas, '{"schema":{"type":"bytes","optional":false},"payload":"not base64!"}'),
    ).toContain("expected bytes as base64 text at the top level");
  });
});

describe("values that do not fit the schema when writing", () => {
  test("a struct with a field its schema lacks is refused", () => {
    const schema: Schema = {
      type: "struct",
      optional: false,
      fields: [{ field: "a", type: "int32", optional: false }],
    };
    expect(() => withSchemas.fromConnectData("t", schema, { a: 1, b: 2 })).toThrow(
      /field "b" is not in the struct schema/,
    );
    expect(() => withSchemas.fromConnectData("t", schema, { a: "one", b: 2 })).toThrow(
      /field "b" is not in the struct schema/,
    );
  });

  test("a bad value deep in nested structs is named by its whole path", () => {
    const inner: Schema = {
      type: "struct",
      optional: false,
      fields: [
        { field: "ok", type: "string", optional: false },
        { field: "n", type: "int32", optional: false },
      ],
    };
    const schema: Schema = {
      type: "struct",
      optional: false,
      fields: [
        { field: "a", type: "int32", optional: false },
        { field: "outer", type: "struct", optional: false, fields: [{ field: "inner", ...inner }] },
      ],
    };
    const value = { a: 1, outer: { inner: { ok: "yes", n: "seven" } } };
    expect(() => withSchemas.fromConnectData("t", schema, value)).toThrow(/outer\.inner\.n/);
    expect(() =>
      plain.fromConnectData("t", schema, { a: 1, outer: { inner: { ok: "yes", n: 1, extra: 2 } } }),
    ).toThrow(/field "outer\.inner\.extra" is not in the struct schema at "outer\.inner"/);
  });
});
