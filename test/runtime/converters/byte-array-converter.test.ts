// Invariant: ByteArrayConverter passes bytes through unchanged both ways and refuses anything that is not bytes.
import { expect, test } from "vitest";
import { createConverter } from "../../../runtime/converters/registry.ts";

const converter = createConverter("org.apache.kafka.connect.converters.ByteArrayConverter", {}, false);

test("bytes are written unchanged and read back with an optional bytes schema", () => {
  const bytes = new Uint8Array([0, 1, 254, 255]);
  expect(converter.fromConnectData("t", { type: "bytes", optional: false }, bytes)).toBe(bytes);
  expect(converter.toConnectData("t", bytes)).toEqual({
    schema: { type: "bytes", optional: true },
    value: bytes,
  });
});

test("a tombstone stays null both ways", () => {
  expect(converter.fromConnectData("t", undefined, null)).toBeNull();
  expect(converter.toConnectData("t", null)).toEqual({
    schema: { type: "bytes", optional: true },
    value: null,
  });
});

test("a value that is not bytes, or a schema that is not bytes, is refused", () => {
  expect(() => converter.fromConnectData("t", undefined, "text")).toThrow(
    'ByteArrayConverter for topic "t": expected a Uint8Array, got string',
  );
  expect(() => converter.fromConnectData("t", { type: "string" }, new Uint8Array())).toThrow(
    "the schema is string, not bytes",
  );
});
