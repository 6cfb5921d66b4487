// Invariant: jsonText writes record data as Kafka Connect's JsonConverter does without a schema — bigints
// as exact numbers, bytes as base64, anywhere in the value — and everything else as JSON.stringify does.
import { expect, test } from "vitest";
import { jsonText } from "../../../runtime/api/index.ts";

test("plain data is written as JSON.stringify writes it", () => {
  const value = { id: 7, name: 'a"b', tags: ["x", null], nested: { ok: true, score: 1.5 }, nothing: null };
  expect(jsonText(value)).toBe(JSON.stringify(value));
  expect(jsonText("text")).toBe('"text"');
  expect(jsonText(undefined)).toBeUndefined();
});

test("bigints are exact numbers and bytes are base64, however deep", () => {
  expect(jsonText({ a: [{ ts_ns: 1790000000000000001n }], b: new Uint8Array([1, 2, 3]) })).toBe(
    '{"a":[{"ts_ns":1790000000000000001}],"b":"AQID"}',
  );
  expect(jsonText(18446744073709551615n)).toBe("18446744073709551615");
});

test("values that are not plain data keep JSON.stringify's forms", () => {
  expect(jsonText({ when: new Date(0), map: new Map([["a", 1]]), big: 1n })).toBe(
    '{"when":"1970-01-01T00:00:00.000Z","map":{},"big":1}',
  );
});
