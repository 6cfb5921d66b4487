import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Addresses of the local stack: `stack/stack.env`, each key overridable by an environment variable. */
export interface StackEnv {
  mariadb: { host: string; port: number; user: string; password: string };
  redisUrl: string;
  kafkaBootstrap: string;
  kafkaControllerPort: number;
  opensearchUrl: string;
  opensearchTransportPort: number;
  neo4jUri: string;
  neo4jHttpUrl: string;
  webhdfsUrl: string;
  hdfsNamenodePort: number;
  hdfsUser: string;
}

export const STACK_ENV_FILE = fileURLToPath(new URL("./stack.env", import.meta.url));

/** Parses `KEY=value` lines; blank lines and `#` comments are ignored. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`stack.env: expected KEY=value, got "${line}"`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/** Reads the stack's addresses: defaults from stack.env, overridden by `process.env`. */
export function loadStackEnv(env: NodeJS.ProcessEnv = process.env): StackEnv {
  const defaults = parseEnvFile(readFileSync(STACK_ENV_FILE, "utf8"));
  const get = (key: string): string => {
    const value = env[key] ?? defaults[key];
    if (value === undefined) throw new Error(`${key} is neither in the environment nor in ${STACK_ENV_FILE}`);
    return value;
  };
  const port = (key: string): number => {
    const value = Number(get(key));
    if (!Number.isInteger(value) || value <= 0 || value > 65535) {
      throw new Error(`${key} must be a TCP port number, got "${get(key)}"`);
    }
    return value;
  };
  return {
    mariadb: {
      host: get("SLUICE_MARIADB_HOST"),
      port: port("SLUICE_MARIADB_PORT"),
      user: get("SLUICE_MARIADB_USER"),
      password: get("SLUICE_MARIADB_PASSWORD"),
    },
    redisUrl: get("SLUICE_REDIS_URL"),
    kafkaBootstrap: get("SLUICE_KAFKA_BOOTSTRAP"),
    kafkaControllerPort: port("SLUICE_KAFKA_CONTROLLER_PORT"),
    opensearchUrl: get("SLUICE_OPENSEARCH_URL"),
    opensearchTransportPort: port("SLUICE_OPENSEARCH_TRANSPORT_PORT"),
    neo4jUri: get("SLUICE_NEO4J_URI"),
    neo4jHttpUrl: get("SLUICE_NEO4J_HTTP_URL"),
    webhdfsUrl: get("SLUICE_WEBHDFS_URL"),
    hdfsNamenodePort: port("SLUICE_HDFS_NAMENODE_PORT"),
    hdfsUser: get("SLUICE_HDFS_USER"),
  };
}

/** Host and port of a `host:port` pair or of a URL such as `redis://host:port`. */
export function hostPort(address: string): { host: string; port: number } {
  const url = new URL(address.includes("://") ? address : `tcp://${address}`);
  return { host: url.hostname, port: Number(url.port) };
}
