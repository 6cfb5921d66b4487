// Invariant: StringConverter writes a value's text in the configured encoding and reads bytes back as an optional string, refusing bytes that are not valid text.
import { expect, test } from "vitest";
import { DataError } from "../../../runtime/api/errors.ts";
import { createConverter } from "../../../runtime/converters/registry.ts";

const utf8 = createConverter("org.apache.kafka.connect.storage.StringConverter", {}, false);

test("a string is written as its UTF-8 bytes and read back with an optional string schema", () => {
  const bytes = utf8.fromConnectData("t", undefined, "grüße");
  expect(bytes).toEqual(new Uint8Array([0x67, 0x72, 0xc3, 0xbc, 0xc3, 0x9f, 0x65]));
  expect(utf8.toConnectData("t", bytes)).toEqual({
    schema: { type: "string", optional: true },
    value: "grüße",
  });
});

test("numbers, bigints and booleans are written as their text; objects as JSON", () => {
  const text = (value: unknown) =>
    new TextDecoder().decode(utf8.fromConnectData("t", undefined, value) as Uint8Array);
  expect([text(42), text(2n ** 70n), text(false), text({ a: [1] })]).toEqual([
    "42",
    "1180591620717411303424",
    "false",
    '{"a":[1]}',
  ]);
});

test("null is written as no bytes and no bytes read as a null string", () => {
  expect(utf8.fromConnectData("t", undefined, null)).toBeNull();
  expect(utf8.toConnectData("t", null)).toEqual({ schema: { type: "string", optional: true }, value: null });
});

test("converter.encoding=UTF-16LE writes and reads two bytes per character", () => {
  const utf16 = createConverter("string", { "converter.encoding": "utf-16le" }, true);
  const bytes = utf16.fromConnectData("t", undefined, "hé");
  expect(bytes).toEqual(new Uint8Array([0x68, 0x00, 0xe9, 0x00]));
  expect(utf16.toConnectData("t", bytes).value).toBe("hé");
});

test("ISO-8859-1 reads every byte as the character of the same code", () => {
  const latin1 = createConverter("string", { "converter.encoding": "ISO-8859-1" }, false);
  expect(latin1.toConnectData("t", new Uint8Array([0x80, 0xe9])).value).toBe("\u0080é");
});

test("bytes that are not valid UTF-8 are refused with a DataError naming the topic", () => {
  expect(() => utf8.toConnectData("events", new Uint8Array([0xc3, 0x28]))).toThrow(DataError);
  expect(() => utf8.toConnectData("events", new Uint8Array([0xc3, 0x28]))).toThrow(
    'StringConverter for topic "events": the 2 bytes are not valid UTF-8',
  );
});
