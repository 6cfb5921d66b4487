import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { hostPort, type StackEnv } from "../env.ts";
import { ADD_OPENS, classpath, ensureJars, javaBin } from "../jvm.ts";
import { spawnDetached } from "../process.ts";
import type { ServiceDirs, StackService } from "../service.ts";

/** The probe writes one file here per call and deletes it once it has read it back. */
const PROBE_DIR = "/tmp/sluice-stack-probe";

/**
 * HDFS as a MiniDFSCluster (one NameNode, one DataNode, in one JVM) from hadoop-minicluster's jars,
 * started by Hadoop's own MiniHadoopClusterManager without MapReduce/YARN.
 *
 * NameNode RPC listens on 127.0.0.1:$SLUICE_HDFS_NAMENODE_PORT, WebHDFS on the port of $SLUICE_WEBHDFS_URL
 * (MiniDFSCluster always binds 127.0.0.1, so the URL's host must be that). The DataNode binds 127.0.0.1 on
 * ports of its choosing; WebHDFS redirects (CREATE, OPEN, APPEND) point there. Permissions are off and
 * authentication is simple: any `user.name` is accepted and owns what it writes; requests without one act
 * as $SLUICE_HDFS_USER. The namespace and blocks live under `.stack/hdfs/data`, formatted on the first
 * start only, so files survive a restart.
 */
export const hdfs: StackService = {
  name: "hdfs",
  startTimeoutMs: 90_000,

  address: (env) => env.webhdfsUrl,

  async probe(env, signal) {
    const path = `${PROBE_DIR}/${process.pid}-${Date.now()}`;
    const sent = Buffer.from(`sluice stack probe ${path}\n`);
    const create = await redirect(env, "PUT", path, "CREATE&overwrite=true", signal);
    const created = await putToDataNode(create, sent, signal);
    if (created.status !== 201) {
      throw new Error(`CREATE on the DataNode answered ${created.status} instead of 201: ${created.body}`);
    }
    const open = await redirect(env, "GET", path, "OPEN", signal);
    const read = await expectStatus(await fetch(open, { signal }), 200, "OPEN on the DataNode");
    const received = Buffer.from(await read.arrayBuffer());
    if (!received.equals(sent)) {
      throw new Error(
        `OPEN ${path} returned ${received.length} bytes that differ from the ${sent.length} written`,
      );
    }
    await expectStatus(
      await fetch(webhdfsUrl(env, path, "DELETE"), { method: "DELETE", redirect: "manual", signal }),
      200,
      "DELETE",
    );
  },

  async prepare(_env, dirs) {
    await ensureJars("hdfs", dirs);
    writeFileSync(join(dirs.root, "log4j.properties"), LOG4J);
  },

  async start(env, dirs) {
    // Jetty unpacks its web apps under java.io.tmpdir on every start and leaves them behind on SIGTERM.
    const tmp = join(dirs.root, "tmp");
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    spawnDetached(dirs, javaBin(), [
      "-Xms128m",
      "-Xmx768m",
      "-XX:+UseG1GC",
      "-Djava.awt.headless=true",
      "-Djava.net.preferIPv4Stack=true",
      `-Djava.io.tmpdir=${tmp}`,
      ...ADD_OPENS,
      `-Dlog4j.configuration=file:${join(dirs.root, "log4j.properties")}`,
      "-cp",
      classpath(dirs),
      "org.apache.hadoop.mapreduce.MiniHadoopClusterManager",
      "-nomr",
      "-datanodes",
      "1",
      "-nnport",
      String(env.hdfsNamenodePort),
      "-nnhttpport",
      String(hostPort(env.webhdfsUrl).port),
      ...(isFormatted(dirs) ? [] : ["-format"]),
      ...Object.entries(hadoopConfig(env, dirs, tmp)).flatMap(([key, value]) => ["-D", `${key}=${value}`]),
    ]);
  },
};

/** The WebHDFS URL of `op` on `path` (absolute, `/`-separated), acting as $SLUICE_HDFS_USER. */
function webhdfsUrl(env: StackEnv, path: string, op: string): string {
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  return `${env.webhdfsUrl}/webhdfs/v1${encoded}?op=${op}&user.name=${encodeURIComponent(env.hdfsUser)}`;
}

/**
 * PUTs `body` to a DataNode URL from a NameNode redirect (step 2 of CREATE) and resolves with the final status
 * and body. This is node:http, not fetch: the DataNode answers CREATE and APPEND with an unsolicited
 * "100 Continue" before its final status, which fetch (undici) rejects as "bad response" (nodejs/undici#197),
 * while node:http skips such 1xx answers.
 */
export function putToDataNode(
  url: string,
  body: Uint8Array,
  signal: AbortSignal,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { "content-type": "application/octet-stream", "content-length": body.length };
    const req = request(url, { method: "PUT", headers, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Asks the NameNode for `op` and returns the DataNode URL of its 307 answer, without following it. */
async function redirect(
  env: StackEnv,
  method: "GET" | "PUT",
  path: string,
  op: string,
  signal: AbortSignal,
): Promise<string> {
  const response = await fetch(webhdfsUrl(env, path, op), { method, redirect: "manual", signal });
  await expectStatus(response, 307, `${op} on the NameNode`);
  const location = response.headers.get("location");
  if (location === null) throw new Error(`${op} on the NameNode answered 307 without a Location`);
  return location;
}

/** Returns `response` when its status is `status`; otherwise throws with the body (WebHDFS's error JSON). */
async function expectStatus(response: Response, status: number, what: string): Promise<Response> {
  if (response.status === status) return response;
  throw new Error(`${what} answered ${response.status} instead of ${status}: ${await response.text()}`);
}

/** True once a NameNode image exists under `dirs.data`: later starts must not format again. */
function isFormatted(dirs: ServiceDirs): boolean {
  return existsSync(join(dirs.data, "name-0-1", "current", "VERSION"));
}

/** The `-D` settings of the cluster; MiniDFSCluster itself binds every server to 127.0.0.1. */
function hadoopConfig(env: StackEnv, dirs: ServiceDirs, tmp: string): Record<string, string> {
  return {
    "hdfs.minidfs.basedir": dirs.data,
    "hadoop.tmp.dir": tmp,
    "dfs.replication": "1",
    "dfs.permissions.enabled": "false",
    "dfs.webhdfs.enabled": "true",
    "dfs.datanode.hostname": "127.0.0.1",
    "hadoop.http.staticuser.user": env.hdfsUser,
  };
}

const LOG4J = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d{ISO8601}] %p %m (%c)%n
log4j.logger.org.apache.hadoop.hdfs.server.namenode.FSNamesystem.audit=WARN
log4j.logger.http.requests=WARN
log4j.logger.datanode.webhdfs=WARN
log4j.logger.org.apache.hadoop.hdfs.StateChange=WARN
log4j.logger.BlockStateChange=WARN
log4j.logger.org.apache.hadoop.hdfs.server.datanode.fsdataset.impl.FsDatasetAsyncDiskService=WARN
log4j.logger.org.apache.hadoop.hdfs.server.datanode.DataNode.clienttrace=WARN
`;
