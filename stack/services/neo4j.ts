import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { driver as neo4jDriver } from "neo4j-driver";
import { hostPort, type StackEnv } from "../env.ts";
import { classpath, ensureJars, javaBin } from "../jvm.ts";
import { spawnDetached } from "../process.ts";
import type { ServiceDirs, StackService } from "../service.ts";

/** The label of the one node the probe MERGEs and reads back; it never accumulates more than one node. */
const PROBE_LABEL = "SluiceStackProbe";

/**
 * JVM heap: starts small and may grow to the maximum, which keeps an idle server near 400 MB RSS
 * (about 680 MB when the whole maximum is committed up front). The page cache (off heap) is in neo4j.conf.
 */
const HEAP = { initial: "128m", max: "512m" };

/** The JDK packages Neo4j's own launcher opens to its classpath (its default `server.jvm.additional`). */
const NEO4J_OPENS = ["java.base/java.nio", "java.base/java.io", "java.base/sun.nio.ch"].map(
  (pkg) => `--add-opens=${pkg}=ALL-UNNAMED`,
);

/** `NEO4J_HOME`: holds `conf/neo4j.conf`, `plugins/`, `import/` and `run/`; data and logs are the service's own dirs. */
function homeDir(dirs: ServiceDirs): string {
  return join(dirs.root, "home");
}

/**
 * Neo4j 5.26 community, one standalone server from Maven Central's jars, started without Neo4j's
 * launcher scripts. Authentication is off; Bolt and HTTP listen on 127.0.0.1 only.
 */
export const neo4j: StackService = {
  name: "neo4j",
  startTimeoutMs: 120_000,

  address: (env) => env.neo4jUri,

  async probe(env, signal) {
    // No auth token: the server runs with authentication disabled.
    const driver = neo4jDriver(env.neo4jUri, undefined, {
      connectionTimeout: 3_000,
      connectionAcquisitionTimeout: 3_000,
      maxTransactionRetryTime: 0,
      userAgent: "sluice-stack-probe",
    });
    const stamp = `${process.pid}-${Date.now()}`;
    try {
      await driver.executeQuery(`MERGE (p:${PROBE_LABEL} {id: 'probe'}) SET p.value = $stamp`, { stamp });
      if (signal.aborted) throw new Error("probe aborted after the MERGE");
      const { records } = await driver.executeQuery(
        `MATCH (p:${PROBE_LABEL} {id: 'probe'}) RETURN p.value AS value`,
      );
      const value = records[0]?.get("value");
      if (value !== stamp) throw new Error(`MATCH returned ${String(value)}, expected ${stamp}`);
    } finally {
      await driver.close();
    }
  },

  async prepare(env, dirs) {
    await ensureJars("neo4j", dirs);
    const home = homeDir(dirs);
    for (const dir of ["conf", "plugins", "import", "run"]) mkdirSync(join(home, dir), { recursive: true });
    writeFileSync(join(home, "conf", "neo4j.conf"), neo4jConf(env, dirs));
    writeFileSync(join(home, "conf", "user-logs.xml"), USER_LOGS);
  },

  async start(_env, dirs) {
    const home = homeDir(dirs);
    spawnDetached(dirs, javaBin(), [
      `-Xms${HEAP.initial}`,
      `-Xmx${HEAP.max}`,
      "-XX:+UseG1GC",
      "-XX:-OmitStackTraceInFastThrow",
      "-XX:+DisableExplicitGC",
      "-Djdk.nio.maxCachedBufferSize=1024",
      "-Dio.netty.tryReflectionSetAccessible=true",
      "-Dlog4j2.disable.jmx=true",
      "-Dfile.encoding=UTF-8",
      ...NEO4J_OPENS,
      "--enable-native-access=ALL-UNNAMED",
      "-cp",
      `${join(home, "plugins", "*")}:${classpath(dirs)}`,
      "org.neo4j.server.CommunityEntryPoint",
      `--home-dir=${home}`,
      `--config-dir=${join(home, "conf")}`,
      "--console-mode",
    ]);
  },
};

function neo4jConf(env: StackEnv, dirs: ServiceDirs): string {
  const bolt = hostPort(env.neo4jUri);
  const http = hostPort(env.neo4jHttpUrl);
  const home = homeDir(dirs);
  return `server.directories.data=${dirs.data}
server.directories.logs=${dirs.logs}
server.directories.plugins=${join(home, "plugins")}
server.directories.import=${join(home, "import")}
server.directories.run=${join(home, "run")}
server.default_listen_address=${bolt.host}
server.default_advertised_address=${bolt.host}
server.bolt.enabled=true
server.bolt.listen_address=${bolt.host}:${bolt.port}
server.bolt.advertised_address=${bolt.host}:${bolt.port}
server.http.enabled=true
server.http.listen_address=${http.host}:${http.port}
server.http.advertised_address=${http.host}:${http.port}
server.https.enabled=false
dbms.security.auth_enabled=false
dbms.usage_report.enabled=false
server.memory.heap.initial_size=${HEAP.initial}
server.memory.heap.max_size=${HEAP.max}
server.memory.pagecache.size=256m
db.tx_log.rotation.retention_policy=1 files
`;
}

/**
 * Neo4j's user log goes to stdout only, which `spawnDetached` appends to `logs/neo4j.log`: Neo4j's default
 * would write a file of that very name itself. `debug.log` and the others keep Neo4j's defaults.
 */
const USER_LOGS = `<?xml version="1.0" encoding="UTF-8"?>
<Configuration>
  <Appenders>
    <Console name="Stdout" target="SYSTEM_OUT">
      <PatternLayout pattern="%d{yyyy-MM-dd HH:mm:ss.SSSZ}{GMT+0} %-5p %m%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="info">
      <AppenderRef ref="Stdout"/>
    </Root>
  </Loggers>
</Configuration>
`;
