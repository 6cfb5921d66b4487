// Invariant: every pattern form the Neo4j connector documents parses to its labels, keys, included and
// excluded properties and direction; a pattern that does not parse is refused with the column and what
// was expected there, never half-understood.
import { expect, test } from "vitest";
import { parsePattern } from "../../../connectors/neo4j/pattern.ts";

test("a node pattern with a key and listed properties takes only those", () => {
  expect(parsePattern("(:Person{!id,name})")).toEqual({
    kind: "node",
    labels: ["Person"],
    keys: [{ to: "id", from: "id" }],
    includes: [{ to: "name", from: "name" }],
    excludes: [],
    includeAll: false,
  });
});

test("a node pattern with only keys and exclusions takes every other value field", () => {
  expect(parsePattern("(:Person{!id, -secret})")).toMatchObject({
    keys: [{ to: "id", from: "id" }],
    includes: [],
    excludes: ["secret"],
    includeAll: true,
  });
  expect(parsePattern("(:User:Admin{!id})")).toMatchObject({ labels: ["User", "Admin"], includeAll: true });
});

test("aliases, dotted fields, explicit message parts and backticked names are read as written", () => {
  expect(
    parsePattern(
      "( :`Odd Label` { !id: userId , city: address.city, ts: __timestamp, `we``ird`: __key.k, * } )",
    ),
  ).toEqual({
    kind: "node",
    labels: ["Odd Label"],
    keys: [{ to: "id", from: "userId" }],
    includes: [
      { to: "city", from: "address.city" },
      { to: "ts", from: "__timestamp" },
      { to: "we`ird", from: "__key.k" },
    ],
    excludes: [],
    includeAll: true,
  });
});

test("a relationship pattern has typed, keyed start and end nodes and its own properties", () => {
  expect(parsePattern("(:User{!userId})-[:BOUGHT{price}]->(:Product{!productId, name})")).toEqual({
    kind: "relationship",
    type: "BOUGHT",
    start: {
      kind: "node",
      labels: ["User"],
      keys: [{ to: "userId", from: "userId" }],
      includes: [],
      excludes: [],
      includeAll: false,
    },
    end: {
      kind: "node",
      labels: ["Product"],
      keys: [{ to: "productId", from: "productId" }],
      includes: [{ to: "name", from: "name" }],
      excludes: [],
      includeAll: false,
    },
    keys: [],
    includes: [{ to: "price", from: "price" }],
    excludes: [],
    includeAll: false,
  });
});

test("a left arrow swaps start and end; a relationship without listed properties takes the rest", () => {
  const pattern = parsePattern("(:Product{!productId})<-[:BOUGHT]-(:User{!userId})");
  expect(pattern).toMatchObject({
    kind: "relationship",
    start: { labels: ["User"] },
    end: { labels: ["Product"] },
    includeAll: true,
  });
});

test("the simple form without parentheses means the same as the Cypher form", () => {
  expect(parsePattern("User{!userId} BOUGHT{price} Product{!productId}")).toEqual(
    parsePattern("(:User{!userId})-[:BOUGHT{price}]->(:Product{!productId})"),
  );
  expect(parsePattern("Person{!id, name}")).toEqual(parsePattern("(:Person{!id, name})"));
});

test.each([
  ["", "the pattern is empty"],
  ["(:Person{id, name})", 'the node (:Person) needs at least one key property, marked with "!", as in {!id}'],
  ["(Person{!id})", 'at column 2: expected a label such as ":Person", found "P"'],
  ["(:Person{!id)", 'at column 13: expected "," or "}", found ")"'],
  ["(:Person{!id}", 'at column 14: expected ")" to close the node, found the end of the pattern'],
  ["(:Person{!id}) extra", 'at column 16: expected a relationship such as -[:TYPE]->, found "e"'],
  ["(:Person{!})", 'at column 11: expected a key property name, found "}"'],
  [
    "(:Person{!id, name, -secret})",
    'inclusions (name) and exclusions (secret) cannot be mixed; to exclude, list only exclusions (or add "*")',
  ],
  [
    "(:A{!id})-[:R]-(:B{!id})",
    "the relationship needs exactly one direction: write (a)-[:R]->(b) or (a)<-[:R]-(b)",
  ],
  [
    "(:A{!id})<-[:R]->(:B{!id})",
    "the relationship needs exactly one direction: write (a)-[:R]->(b) or (a)<-[:R]-(b)",
  ],
  [
    "(:A{!id})-[R]->(:B{!id})",
    'at column 12: expected ":" before the relationship type, as in [:TYPE], found "R"',
  ],
  ["(:A{!id})-[:R{x}->(:B{!id})", 'at column 17: expected "]" to close the relationship, found "-"'],
  [
    "(:A{!id, -x})-[:R]->(:B{!id})",
    "the node (:A) of a relationship cannot exclude properties; list those to include",
  ],
  [
    "(:A{!id})-[:R]->(:B{!id, *})",
    'the node (:B) of a relationship cannot take "*"; list the properties to include',
  ],
  [
    "(:A{!id})-[:R]->(:B{name})",
    'the node (:B) needs at least one key property, marked with "!", as in {!id}',
  ],
  ["(:`A{!id})", "at column 3: the backtick that opens a label is never closed"],
])("%j is refused: %s", (text, message) => {
  expect(() => parsePattern(text)).toThrow(message);
  try {
    parsePattern(text);
  } catch (error) {
    expect(error).toMatchObject({ code: "CONFIG_INVALID", message });
  }
});
