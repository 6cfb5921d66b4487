import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { javaBin } from "../../stack/jvm.ts";
import { run } from "../../stack/process.ts";
import { ConnectProcess, freePort } from "../support/connect-process.ts";

/**
 * Apache Kafka Connect (ConnectStandalone, matching the stack's broker) with Debezium's MySQL and
 * MariaDB connectors on its classpath, all from Maven Central through bench/debezium/pom.xml, for the
 * source catch-up comparison. The jars land in .stack/bench-debezium/lib (git-ignored), resolved again
 * only when the pom changes.
 */

const POM = fileURLToPath(new URL("./pom.xml", import.meta.url));
const LIB = fileURLToPath(new URL("../../.stack/bench-debezium/lib/", import.meta.url));

const LOG4J2 = `status = warn
appender.file.type = Console
appender.file.name = out
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.out.ref = out
logger.debezium.name = io.debezium
logger.debezium.level = info
`;

/** Copies the pom's jars into LIB unless the jars of this very pom are there already (a stamp holds its hash). */
export async function ensureDebeziumJars(): Promise<string> {
  const hash = createHash("sha256").update(readFileSync(POM)).digest("hex");
  const stamp = join(LIB, ".pom-sha256");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === hash) return LIB;
  rmSync(LIB, { recursive: true, force: true });
  mkdirSync(LIB, { recursive: true });
  await run("mvn", ["-B", "-q", "-f", POM, "dependency:copy-dependencies", `-DoutputDirectory=${LIB}`]);
  writeFileSync(stamp, hash);
  return LIB;
}

/**
 * Starts connect-standalone against `bootstrap` with the JSON converter (schemas off), offsets in a file
 * flushed every second, and its REST API on a free loopback port; connectors are created over REST.
 */
export async function startConnectStandalone(bootstrap: string): Promise<ConnectProcess> {
  const lib = await ensureDebeziumJars();
  const dataDir = mkdtempSync(join(tmpdir(), "sluice-bench-connect-"));
  const port = await freePort();
  const properties = join(dataDir, "connect-standalone.properties");
  writeFileSync(
    properties,
    [
      `bootstrap.servers=${bootstrap}`,
      `listeners=http://127.0.0.1:${port}`,
      "key.converter=org.apache.kafka.connect.json.JsonConverter",
      "value.converter=org.apache.kafka.connect.json.JsonConverter",
      "key.converter.schemas.enable=false",
      "value.converter.schemas.enable=false",
      `offset.storage.file.filename=${join(dataDir, "offsets.dat")}`,
      "offset.flush.interval.ms=1000",
      "",
    ].join("\n"),
  );
  const log4j = join(dataDir, "log4j2.properties");
  writeFileSync(log4j, LOG4J2);
  const logFile = join(dataDir, "connect.log");
  const out = openSync(logFile, "a");
  const child = spawn(
    javaBin(),
    [
      "-Xms256m",
      "-Xmx1g",
      "-XX:+UseG1GC",
      "-Djava.awt.headless=true",
      `-Dlog4j2.configurationFile=${log4j}`,
      "-cp",
      join(lib, "*"),
      "org.apache.kafka.connect.cli.ConnectStandalone",
      properties,
    ],
    { cwd: dataDir, stdio: ["ignore", out, out] },
  );
  return new ConnectProcess({ url: `http://127.0.0.1:${port}`, dataDir, child, logFile }).ready(
    "/connectors",
    180_000,
  );
}
