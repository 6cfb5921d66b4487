// Invariant: InsertHeader adds a header with a fixed value and DropHeaders removes every header of the named keys, leaving the rest in order.
import { expect, test } from "vitest";
import { record, transform } from "./records.ts";

test("InsertHeader appends the header after existing ones", () => {
  const insert = transform("org.apache.kafka.connect.transforms.InsertHeader", {
    header: "source",
    "value.literal": "sluice",
  });
  expect(insert(record({ headers: [{ key: "a", value: "1" }] }))?.headers).toEqual([
    { key: "a", value: "1" },
    { key: "source", value: "sluice" },
  ]);
});

test("DropHeaders removes every header with a listed key", () => {
  const drop = transform("org.apache.kafka.connect.transforms.DropHeaders", { headers: "trace,span" });
  const headers = [
    { key: "trace", value: "t1" },
    { key: "keep", value: new Uint8Array([1]) },
    { key: "span", value: null },
    { key: "trace", value: "t2" },
  ];
  expect(drop(record({ headers }))?.headers).toEqual([{ key: "keep", value: new Uint8Array([1]) }]);
});

test("the input record's headers are not mutated", () => {
  const input = record({ headers: [{ key: "a", value: "1" }] });
  transform("InsertHeader", { header: "b", "value.literal": "2" })(input);
  expect(input.headers).toEqual([{ key: "a", value: "1" }]);
});
