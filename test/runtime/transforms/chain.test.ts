// Invariant: a transform chain applies its transforms in order, each only where its predicate (possibly negated) says so, stops at the first that drops the record, names the failing alias in its DataError, and refuses bad configs naming every bad key in full.
import { describe, expect, test } from "vitest";
import { ConfigError, DataError } from "../../../runtime/api/errors.ts";
import { buildTransformChain } from "../../../runtime/transforms/chain.ts";
import { record } from "./records.ts";

const configError = (config: Record<string, string>): ConfigError => {
  try {
    buildTransformChain(config);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
};

describe("applying", () => {
  test("no transforms returns the record itself", () => {
    const input = record({ value: { a: 1 } });
    expect(buildTransformChain({}).apply(input)).toBe(input);
  });

  test("transforms apply in the listed order", () => {
    const chain = buildTransformChain({
      transforms: "hoist,insert",
      "transforms.hoist.type": "HoistField$Value",
      "transforms.hoist.field": "line",
      "transforms.insert.type": "InsertField$Value",
      "transforms.insert.topic.field": "topic",
    });
    expect(chain.aliases).toEqual(["hoist", "insert"]);
    expect(chain.apply(record({ value: "hi" }))?.value).toEqual({ line: "hi", topic: "orders" });
  });

  test("a predicate limits a transform to matching records, and negate inverts it", () => {
    const config = (negate: string) => ({
      transforms: "dropTests",
      "transforms.dropTests.type": "org.apache.kafka.connect.transforms.Filter",
      "transforms.dropTests.predicate": "isTest",
      "transforms.dropTests.negate": negate,
      predicates: "isTest",
      "predicates.isTest.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
      "predicates.isTest.pattern": "test-.*",
    });
    const dropTests = buildTransformChain(config("false"));
    expect(dropTests.apply(record({ topic: "test-orders" }))).toBeNull();
    expect(dropTests.apply(record({ topic: "orders" }))?.topic).toBe("orders");
    const keepTests = buildTransformChain(config("true"));
    expect(keepTests.apply(record({ topic: "test-orders" }))?.topic).toBe("test-orders");
    expect(keepTests.apply(record({ topic: "orders" }))).toBeNull();
  });

  test("a dropped record stops the chain", () => {
    const chain = buildTransformChain({
      transforms: "drop,route",
      "transforms.drop.type": "Filter",
      "transforms.route.type": "TimestampRouter",
    });
    expect(chain.apply(record())).toBeNull();
  });

  test("a transform that throws is reported as a DataError naming its alias, with the cause", () => {
    const chain = buildTransformChain({
      transforms: "wrap,insert",
      "transforms.wrap.type": "HoistField$Value",
      "transforms.wrap.field": "v",
      "transforms.insert.type": "InsertField$Value",
      "transforms.insert.offset.field": "offset",
    });
    let caught: unknown;
    try {
      chain.apply(record({ value: 1 }));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DataError);
    expect((caught as DataError).message).toBe(
      'transform "insert" failed on a record of topic "orders": offset.field applies only to records read from Kafka by a sink',
    );
    expect((caught as DataError).cause).toBeInstanceOf(DataError);
  });

  test("fields the transforms do not touch, such as a source offset, are carried through", () => {
    const chain = buildTransformChain({
      transforms: "r",
      "transforms.r.type": "RegexRouter",
      "transforms.r.regex": ".*",
      "transforms.r.replacement": "all",
    });
    const source = {
      ...record(),
      sourcePartition: { server: "db1" },
      sourceOffset: { file: "bin.1", pos: 4 },
    };
    expect(chain.apply(source)).toEqual({ ...source, topic: "all" });
  });
});

describe("config errors", () => {
  test("a missing or unknown type is refused naming transforms.<alias>.type", () => {
    expect(configError({ transforms: "a,b", "transforms.b.type": "com.example.Nope" }).fieldErrors).toEqual([
      { field: "transforms.a.type", message: "is required: the class of this transformation" },
      { field: "transforms.b.type", message: '"com.example.Nope" is unknown transformation' },
    ]);
  });

  test("a predicate class used as a transformation is refused", () => {
    expect(configError({ transforms: "a", "transforms.a.type": "RecordIsTombstone" }).message).toBe(
      'transforms.a.type: "RecordIsTombstone" is a predicate, not a transformation',
    );
  });

  test("a transform's bad key is named in full", () => {
    expect(configError({ transforms: "mask", "transforms.mask.type": "MaskField$Value" }).message).toBe(
      "transforms.mask.fields: is required: Fields to mask.",
    );
  });

  test("a predicate that is not listed in predicates is refused naming transforms.<alias>.predicate", () => {
    expect(
      configError({ transforms: "f", "transforms.f.type": "Filter", "transforms.f.predicate": "isTombstone" })
        .message,
    ).toBe('transforms.f.predicate: "isTombstone" is not a predicate listed in predicates (none)');
  });

  test("negate that is not a boolean, and a bad predicate key, are refused naming their keys", () => {
    const error = configError({
      transforms: "f",
      "transforms.f.type": "Filter",
      "transforms.f.predicate": "p",
      "transforms.f.negate": "yes",
      predicates: "p",
      "predicates.p.type": "TopicNameMatches",
      "predicates.p.pattern": "[",
    });
    expect(error.fieldErrors.map((fieldError) => fieldError.field)).toEqual([
      "predicates.p.pattern",
      "transforms.f.negate",
    ]);
  });

  test("an alias listed twice is refused", () => {
    expect(configError({ transforms: "a,a", "transforms.a.type": "Filter" }).message).toBe(
      "transforms: lists a twice",
    );
  });
});
