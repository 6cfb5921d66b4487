// Invariant: a config that cannot work — a cluster that does not answer, the wrong flavor, an index template
// that yields no valid index name, contradictory keys — is refused at validate time, field by field, with
// what to fix; a good config validates clean and plans tasks.max identical tasks.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${topic} is the index.name.template's placeholder, not a JS template
import { expect, test } from "vitest";
import { elasticsearchPlugin } from "../../../connectors/elasticsearch/plugin.ts";
import { ConfigError, type ConnectorContext } from "../../../runtime/api/index.ts";
import { OPENSEARCH_URL, silent, sinkConfig } from "./harness.ts";

const context: ConnectorContext = {
  name: "es",
  logger: silent,
  requestTaskReconfiguration() {},
  raiseError() {},
};

/** What the connector's validate reports for `raw` (parsed with the plugin's spec). */
async function validate(raw: Record<string, string>) {
  const connector = elasticsearchPlugin.createConnector();
  return connector.validate?.(elasticsearchPlugin.config.parse(raw), AbortSignal.timeout(20_000));
}

/** The field errors of parsing `raw`, or [] when it parses. */
function parseErrors(raw: Record<string, string>): Array<{ field: string; message: string }> {
  try {
    elasticsearchPlugin.config.parse(raw);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).fieldErrors];
  }
}

test("the plugin is the sink named elasticsearch that answers to Confluent's class name", () => {
  expect(elasticsearchPlugin).toMatchObject({
    name: "elasticsearch",
    aliases: ["io.confluent.connect.elasticsearch.ElasticsearchSinkConnector"],
    type: "sink",
  });
});

test("a reachable OpenSearch with flavor=opensearch and good index names validates clean", async () => {
  expect(await validate(sinkConfig({ topics: "orders,Customers.V2" }))).toEqual([]);
});

test("an unreachable host is refused on connection.url with the reason, without credentials", async () => {
  expect(await validate(sinkConfig({ "connection.url": "http://elastic:secret@127.0.0.1:1" }))).toEqual([
    { field: "connection.url", message: "cannot reach http://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1" },
  ]);
});

test("flavor=elasticsearch against OpenSearch is refused with the server's identity and the fix", async () => {
  const problems = await validate(sinkConfig({ flavor: "elasticsearch" }));
  expect(problems).toHaveLength(1);
  expect(problems?.[0]?.field).toBe("flavor");
  const message = problems?.[0]?.message ?? "";
  expect(message.startsWith(`the server at ${OPENSEARCH_URL} is OpenSearch 2.`)).toBe(true);
  expect(message).toMatch(/ is OpenSearch 2\.\d+\.\d+; set flavor=opensearch$/);
});

test("an index template that yields a bad index name for a configured topic is refused with the name", async () => {
  expect(await validate(sinkConfig({ topics: "orders,_audit" }))).toEqual([
    {
      field: "index.name.template",
      message: 'yields the index name "_audit" for topic "_audit", which must not start with "-", "_" or "+"',
    },
  ]);
  const long = "t".repeat(249);
  expect(await validate(sinkConfig({ topics: long, "index.name.template": "archive-of-${topic}" }))).toEqual([
    {
      field: "index.name.template",
      message: `yields the index name "archive-of-${long}" for topic "${long}", which must be at most 255 bytes long`,
    },
  ]);
});

test("index templates with unknown placeholders, uppercase or forbidden characters do not parse", () => {
  expect(parseErrors(sinkConfig({ "index.name.template": "${topic}-${date}" }))).toEqual([
    {
      field: "index.name.template",
      message: 'has the unknown placeholder "${date}"; the only one is ${topic}',
    },
  ]);
  expect(parseErrors(sinkConfig({ "index.name.template": "Logs-${topic}" }))).toEqual([
    {
      field: "index.name.template",
      message: 'yields the index name "Logs-topic" for topic "topic", which must be lowercase',
    },
  ]);
  expect(parseErrors(sinkConfig({ "index.name.template": "logs/${topic}" }))).toEqual([
    {
      field: "index.name.template",
      message: 'yields the index name "logs/topic" for topic "topic", which must not contain "/"',
    },
  ]);
  expect(parseErrors(sinkConfig({ "index.name.template": "${topic" }))).toEqual([
    { field: "index.name.template", message: 'has an unclosed "${"' },
  ]);
});

test("unknown enum values and a missing connection.url do not parse", () => {
  expect(parseErrors({ flavor: "solr", "write.method": "merge" })).toEqual([
    { field: "connection.url", message: expect.stringMatching(/^is required: /) },
    { field: "flavor", message: 'must be one of elasticsearch, opensearch; got "solr"' },
    { field: "write.method", message: 'must be one of insert, upsert; got "merge"' },
  ]);
});

test("URLs that are not http(s), deleting without keys and a zero bulk size are refused", () => {
  expect(
    parseErrors({
      "connection.url": "localhost:9200",
      "key.ignore": "true",
      "behavior.on.null.values": "delete",
      "bulk.size.bytes": "0",
    }),
  ).toEqual([
    { field: "connection.url", message: '"localhost:9200" is not an http:// or https:// URL' },
    {
      field: "behavior.on.null.values",
      message: "delete needs key.ignore=false: the key names the document to delete",
    },
    { field: "bulk.size.bytes", message: "must be -1 (no limit) or a positive number of bytes" },
  ]);
});

test("the connector plans tasks.max tasks, each with the whole config", async () => {
  const connector = elasticsearchPlugin.createConnector();
  const raw = sinkConfig({ topics: "orders" });
  await connector.start(elasticsearchPlugin.config.parse(raw), context);
  expect(connector.taskConfigs(3)).toEqual([raw, raw, raw]);
  await connector.stop();
});
