// Invariant: the stack's OpenSearch is a real node: a document indexed into a new index is read back by id and found by a search.
import { expect, test } from "vitest";
import { loadStackEnv } from "../../stack/env.ts";

const { opensearchUrl } = loadStackEnv();

interface SearchResult {
  hits: { total: { value: number; relation: string }; hits: Array<{ _id: string; _source: unknown }> };
}

/** Sends a JSON request to the stack's OpenSearch and returns the status and parsed body. */
async function call<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(new URL(path, opensearchUrl), {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

test("a document indexed into a new index is got back by id and found by a match query", async () => {
  const index = `test-stack-opensearch-${Date.now()}`;
  const created = await call("PUT", `/${index}`, {
    settings: { number_of_shards: 1, number_of_replicas: 0 },
    mappings: { properties: { title: { type: "text" }, count: { type: "integer" } } },
  });
  expect(created).toMatchObject({ status: 200, body: { acknowledged: true, index } });

  const indexed = await call("PUT", `/${index}/_doc/doc-1?refresh=true`, {
    title: "sluice sinks kafka records",
    count: 7,
  });
  expect(indexed).toMatchObject({ status: 201, body: { _id: "doc-1", result: "created" } });

  const got = await call("GET", `/${index}/_doc/doc-1`);
  expect(got.status).toBe(200);
  expect(got.body).toMatchObject({ found: true, _source: { title: "sluice sinks kafka records", count: 7 } });

  const found = await call<SearchResult>("POST", `/${index}/_search`, {
    query: { match: { title: "kafka" } },
  });
  expect(found.status).toBe(200);
  expect(found.body.hits.total).toEqual({ value: 1, relation: "eq" });
  expect(found.body.hits.hits.map((hit) => [hit._id, hit._source])).toEqual([
    ["doc-1", { title: "sluice sinks kafka records", count: 7 }],
  ]);

  const deleted = await call("DELETE", `/${index}`);
  expect(deleted).toMatchObject({ status: 200, body: { acknowledged: true } });
});
