// Invariant: every transformation and predicate answers to its Kafka Connect (or Debezium) class name and its short name, and documents its keys.
import { expect, test } from "vitest";
import { findTransformPlugin, transformPlugins } from "../../../runtime/transforms/registry.ts";

const KAFKA = "org.apache.kafka.connect.transforms.";
const keyAndValue = (name: string) => [`${KAFKA}${name}$Key`, `${KAFKA}${name}$Value`];

test("the registry lists exactly the supported classes", () => {
  expect(Object.keys(transformPlugins).sort()).toEqual(
    [
      ...[
        "Cast",
        "ExtractField",
        "Flatten",
        "HoistField",
        "InsertField",
        "MaskField",
        "ReplaceField",
        "TimestampConverter",
      ].flatMap(keyAndValue),
      ...["DropHeaders", "Filter", "InsertHeader", "RegexRouter", "TimestampRouter", "ValueToKey"].map(
        (name) => KAFKA + name,
      ),
      ...["HasHeaderKey", "RecordIsTombstone", "TopicNameMatches"].map(
        (name) => `${KAFKA}predicates.${name}`,
      ),
      "io.debezium.transforms.ExtractNewRecordState",
    ].sort(),
  );
});

test("a short name finds the same plugin as the class name, with its type", () => {
  expect(findTransformPlugin("Flatten$Key")).toBe(transformPlugins[`${KAFKA}Flatten$Key`]);
  expect(findTransformPlugin("TopicNameMatches")?.type).toBe("predicate");
  expect(findTransformPlugin("ExtractNewRecordState")?.type).toBe("transformation");
  expect(findTransformPlugin("Flatten")).toBeUndefined();
});

test("each plugin's config documents its keys", () => {
  const keys = findTransformPlugin("MaskField$Value")
    ?.config.keys()
    .map((key) => [key.name, key.type]);
  expect(keys).toEqual([
    ["fields", "list"],
    ["replacement", "string"],
  ]);
});
