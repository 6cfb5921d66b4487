// Invariant: converters are chosen and configured as Kafka Connect chooses them (connector over worker, JSON with schemas by default), and a bad converter setting is refused naming its full key.
import { expect, test } from "vitest";
import { ConfigError } from "../../../runtime/api/errors.ts";
import { convertersFor, createConverter } from "../../../runtime/converters/registry.ts";

const text = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));

test("without any setting both converters are JSON with schema envelopes", () => {
  const { key, value } = convertersFor({}, {});
  expect(text(key.fromConnectData("t", { type: "int32", optional: false }, 1))).toBe(
    '{"schema":{"type":"int32","optional":false},"payload":1}',
  );
  expect(text(value.fromConnectData("t", undefined, "v"))).toBe('{"schema":null,"payload":"v"}');
});

test("the worker's converter and its sub-keys apply when the connector sets none", () => {
  const { key, value } = convertersFor(
    { "key.converter": "string", "value.converter": "json", "value.converter.schemas.enable": "false" },
    {},
  );
  expect(text(key.fromConnectData("t", undefined, 12))).toBe("12");
  expect(text(value.fromConnectData("t", undefined, { a: 1 }))).toBe('{"a":1}');
});

test("the connector's converter replaces the worker's, configured by the connector's sub-keys only", () => {
  const { value } = convertersFor(
    { "value.converter": "string", "value.converter.schemas.enable": "false" },
    { "value.converter": "org.apache.kafka.connect.json.JsonConverter" },
  );
  expect(text(value.fromConnectData("t", undefined, 1))).toBe('{"schema":null,"payload":1}');
});

test("a connector's sub-key without its own converter class is ignored, as in Kafka Connect", () => {
  const { value } = convertersFor(
    { "value.converter": "json" },
    { "value.converter.schemas.enable": "false" },
  );
  expect(text(value.fromConnectData("t", undefined, 1))).toBe('{"schema":null,"payload":1}');
});

test("an unknown converter class is refused naming key.converter or value.converter", () => {
  const error = (() => {
    try {
      createConverter("io.confluent.connect.avro.AvroConverter", {}, true);
    } catch (caught) {
      return caught;
    }
  })();
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).fieldErrors).toEqual([
    {
      field: "key.converter",
      message:
        'unknown converter "io.confluent.connect.avro.AvroConverter"; use one of org.apache.kafka.connect.json.JsonConverter, json, org.apache.kafka.connect.storage.StringConverter, string, org.apache.kafka.connect.converters.ByteArrayConverter, bytes',
    },
  ]);
});

test("a bad converter setting is refused naming its full key", () => {
  expect(() =>
    convertersFor({}, { "value.converter": "json", "value.converter.schemas.enable": "maybe" }),
  ).toThrow('value.converter.schemas.enable: must be true or false; got "maybe"');
  expect(() => createConverter("json", { "decimal.format": "hex" }, false)).toThrow(
    'value.converter.decimal.format: must be one of BASE64, NUMERIC; got "hex"',
  );
});
