// Invariant: each predicate answers exactly its question (topic matches wholly, header present, value null), and negate inverts its effect on a transform.
import { describe, expect, test } from "vitest";
import { buildTransformChain } from "../../../runtime/transforms/chain.ts";
import { record } from "./records.ts";

/** A chain that drops records for which the predicate (negated or not) holds; true means "dropped". */
function dropsWhen(type: string, config: Record<string, string>, negate: boolean) {
  const keys = Object.fromEntries(
    Object.entries(config).map(([key, value]) => [`predicates.p.${key}`, value]),
  );
  const chain = buildTransformChain({
    transforms: "drop",
    "transforms.drop.type": "Filter",
    "transforms.drop.predicate": "p",
    "transforms.drop.negate": String(negate),
    predicates: "p",
    "predicates.p.type": type,
    ...keys,
  });
  return (input: ReturnType<typeof record>) => chain.apply(input) === null;
}

describe("TopicNameMatches", () => {
  const type = "org.apache.kafka.connect.transforms.predicates.TopicNameMatches";

  test("holds only when the whole topic name matches", () => {
    const drops = dropsWhen(type, { pattern: "orders|payments" }, false);
    expect([
      drops(record({ topic: "orders" })),
      drops(record({ topic: "orders-eu" })),
      drops(record({ topic: "users" })),
    ]).toEqual([true, false, false]);
  });

  test("negated, holds only when it does not match", () => {
    const drops = dropsWhen(type, { pattern: "orders" }, true);
    expect([drops(record({ topic: "orders" })), drops(record({ topic: "users" }))]).toEqual([false, true]);
  });
});

describe("HasHeaderKey", () => {
  const type = "org.apache.kafka.connect.transforms.predicates.HasHeaderKey";
  const withHeader = record({ headers: [{ key: "trace", value: null }] });

  test("holds when a header of that name exists, even with a null value", () => {
    const drops = dropsWhen(type, { name: "trace" }, false);
    expect([drops(withHeader), drops(record())]).toEqual([true, false]);
  });

  test("negated, holds when no header of that name exists", () => {
    const drops = dropsWhen(type, { name: "trace" }, true);
    expect([drops(withHeader), drops(record())]).toEqual([false, true]);
  });
});

describe("RecordIsTombstone", () => {
  const type = "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone";

  test("holds for a null value only", () => {
    const drops = dropsWhen(type, {}, false);
    expect([drops(record({ key: 1, value: null })), drops(record({ key: 1, value: 0 }))]).toEqual([
      true,
      false,
    ]);
  });

  test("negated, holds for every record with a value", () => {
    const drops = dropsWhen(type, {}, true);
    expect([drops(record({ key: 1, value: null })), drops(record({ key: 1, value: "" }))]).toEqual([
      false,
      true,
    ]);
  });
});
