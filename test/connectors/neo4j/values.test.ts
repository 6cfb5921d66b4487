// Invariant: a record value becomes a Bolt parameter with whole numbers as integers; what has no Neo4j
// equivalent is a DataError naming where it sits in the value.
import { int } from "neo4j-driver";
import { expect, test } from "vitest";
import { toNeo4j } from "../../../connectors/neo4j/values.ts";
import { DataError } from "../../../runtime/api/index.ts";

test("nested maps, lists and Maps keep their shape; whole numbers become integers, fractions stay", () => {
  expect(toNeo4j({ a: { b: [1, 2.5] }, m: new Map([["k", 3]]), s: "x", t: true, z: null })).toEqual({
    a: { b: [int(1), 2.5] },
    m: { k: int(3) },
    s: "x",
    t: true,
    z: null,
  });
});

test.each([
  [{ outer: { list: [1, Symbol("x")] } }, "symbol at outer.list[1] has no Neo4j equivalent"],
  [{ big: [2n ** 64n] }, "18446744073709551616 at big[0] does not fit Neo4j's 64-bit integers"],
  [new Map([["k", { deep: () => 1 }]]), "function at k.deep has no Neo4j equivalent"],
  [[[1], [2, [Symbol("y")]]], "symbol at [1][1][0] has no Neo4j equivalent"],
  [Symbol("top"), "symbol in the record has no Neo4j equivalent"],
])("%# a value Neo4j cannot hold is refused with its path", (value, message) => {
  let thrown: unknown;
  try {
    toNeo4j(value);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(DataError);
  expect((thrown as Error).message).toBe(message);
});
