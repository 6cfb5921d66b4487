// Invariant: RegexRouter renames topics whose whole name matches, with Java replacement syntax, and TimestampRouter names the topic from the record's topic and timestamp in UTC.
import { describe, expect, test } from "vitest";
import { record, sinkRecord, transform } from "./records.ts";

describe("RegexRouter", () => {
  const route = transform("org.apache.kafka.connect.transforms.RegexRouter", {
    regex: "dbserver1\\.(?<db>\\w+)\\.(.*)",
    replacement: "cdc-${db}-$2",
  });

  test("a matching topic is renamed with its groups", () => {
    expect(route(record({ topic: "dbserver1.shop.orders" }))?.topic).toBe("cdc-shop-orders");
  });

  test("a topic that matches only in part keeps its name", () => {
    expect(route(record({ topic: "x.dbserver1.shop.orders" }))?.topic).toBe("x.dbserver1.shop.orders");
  });

  test("\\$ inserts a dollar sign and (?i) ignores case", () => {
    const dollar = transform("RegexRouter", { regex: "(?i)ORDERS", replacement: "\\$orders" });
    expect(dollar(record({ topic: "orders" }))?.topic).toBe("$orders");
  });

  test("an invalid regex, or a replacement naming a missing group, is refused naming the key", () => {
    expect(() => transform("RegexRouter", { regex: "(", replacement: "x" })).toThrow(
      "transforms.t.regex: is not a valid regular expression",
    );
    expect(() => transform("RegexRouter", { regex: "(a)", replacement: "$2" })).toThrow(
      "transforms.t.replacement: replacement refers to group 2, which the regex lacks",
    );
  });
});

describe("TimestampRouter", () => {
  test("the default format appends the UTC day", () => {
    const route = transform("org.apache.kafka.connect.transforms.TimestampRouter");
    expect(route(sinkRecord({ timestamp: Date.UTC(2024, 0, 31, 23, 59) }))?.topic).toBe("orders-20240131");
  });

  test("topic.format and timestamp.format shape the name", () => {
    const route = transform("TimestampRouter", {
      "topic.format": "archive.${topic}.${timestamp}",
      "timestamp.format": "yyyy-MM",
    });
    expect(route(sinkRecord({ timestamp: Date.UTC(2023, 11, 5) }))?.topic).toBe("archive.orders.2023-12");
  });

  test("a record without a timestamp is refused", () => {
    expect(() => transform("TimestampRouter")(record())).toThrow(
      "TimestampRouter needs a record timestamp; it has none",
    );
  });
});
