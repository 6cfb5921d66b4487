import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "./process.ts";
import type { ServiceDirs } from "./service.ts";

const MAVEN_DIR = fileURLToPath(new URL("./maven/", import.meta.url));

/** Flags that let Java 17+ run code that reflects into the JDK's internals (Hadoop, Neo4j, OpenSearch). */
export const ADD_OPENS = [
  "java.base/java.lang",
  "java.base/java.lang.reflect",
  "java.base/java.io",
  "java.base/java.net",
  "java.base/java.nio",
  "java.base/java.util",
  "java.base/java.util.concurrent",
  "java.base/java.util.concurrent.atomic",
  "java.base/sun.nio.ch",
  "java.base/sun.nio.cs",
  "java.base/sun.security.action",
  "java.base/sun.util.calendar",
  "java.base/jdk.internal.misc",
  "java.base/jdk.internal.ref",
  "java.security.jgss/sun.security.krb5",
].flatMap((pkg) => ["--add-opens", `${pkg}=ALL-UNNAMED`]);

/**
 * Copies the jars of `stack/maven/<service>/pom.xml` into `dirs.lib` unless the jars of this very pom
 * are already there (a stamp holds the pom's hash). The first run fills the local Maven cache; later
 * runs copy from it.
 */
export async function ensureJars(service: string, dirs: ServiceDirs): Promise<void> {
  const pom = join(MAVEN_DIR, service, "pom.xml");
  const hash = createHash("sha256").update(readFileSync(pom)).digest("hex");
  const stamp = join(dirs.lib, ".pom-sha256");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === hash) return;
  rmSync(dirs.lib, { recursive: true, force: true });
  await run("mvn", ["-B", "-q", "-f", pom, "dependency:copy-dependencies", `-DoutputDirectory=${dirs.lib}`]);
  writeFileSync(stamp, hash);
}

/** The classpath of every jar in `dirs.lib`. */
export function classpath(dirs: ServiceDirs): string {
  return join(dirs.lib, "*");
}

/** The `java` binary: $JAVA_HOME/bin/java when set, else the one on the PATH. */
export function javaBin(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, "bin", "java") : "java";
}
