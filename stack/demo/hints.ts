import { hostPort, type StackEnv } from "../env.ts";
import { DEMO } from "./schema.ts";

const SAMPLE_CYPHER =
  "MATCH (c:DemoCustomer)-[:PLACED]->(o:DemoOrder) RETURN c.name AS customer, count(o) AS orders, sum(o.amount) AS total ORDER BY total DESC LIMIT 5";

/** Where to look while the demo runs: one copy-and-paste command per place the rows go. */
export function whereToLook(env: StackEnv, restUrl: string): string[] {
  const redis = hostPort(env.redisUrl);
  const [customers, orders] = DEMO.topics;
  const hdfsUser = encodeURIComponent(env.hdfsUser);
  const neo4jBody = JSON.stringify({ statements: [{ statement: SAMPLE_CYPHER }] });
  return [
    "Where to look while it runs:",
    `  REST API    ${restUrl}  (Kafka Connect's API; npm run sluice -- --help for the CLI)`,
    `    curl -s '${restUrl}/connectors?expand=status'`,
    `    curl -s ${restUrl}/connectors/${DEMO.source}/offsets        # the binlog position`,
    `    curl -s ${restUrl}/connectors/hdfs-demo/offsets             # what HDFS has committed`,
    `    curl -s -X PUT ${restUrl}/connectors/redis-demo/pause       # then .../resume`,
    `    curl -s ${restUrl}/metrics | grep '^sluice_'`,
    `  MariaDB     mariadb -h ${env.mariadb.host} -P ${env.mariadb.port} -u ${env.mariadb.user} ${DEMO.database} -e 'SELECT * FROM orders ORDER BY id DESC LIMIT 5'`,
    `  Kafka       ${env.kafkaBootstrap}, topics ${DEMO.topics.join(", ")}`,
    `  OpenSearch  curl -s '${env.opensearchUrl}/${orders}/_search?q=status:shipped&size=3&pretty'`,
    `  Redis       redis-cli -h ${redis.host} -p ${redis.port} HGETALL ${customers}:1`,
    `  Neo4j       cypher-shell -a ${env.neo4jUri} '${SAMPLE_CYPHER}'`,
    `              curl -s -H 'Content-Type: application/json' ${env.neo4jHttpUrl}/db/neo4j/tx/commit -d '${neo4jBody}'`,
    `  HDFS        curl -s '${env.webhdfsUrl}/webhdfs/v1${DEMO.hdfsRoot}/topics/${orders}/partition=0?op=LISTSTATUS&user.name=${hdfsUser}'`,
    "              (JSON lines, one file per 1000 records or every 10 s; names carry the Kafka offsets)",
  ];
}
