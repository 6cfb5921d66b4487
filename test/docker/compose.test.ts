// Invariant: docker/compose.yml is a valid Compose file that defines every service of the local stack
// plus Sluice itself, on the same loopback ports as stack/stack.env.
import { execFileSync } from "node:child_process";
import { expect, test } from "vitest";

const compose = (...args: string[]) =>
  execFileSync("docker-compose", ["-f", "docker/compose.yml", ...args], { encoding: "utf8" });

test("the compose file parses and names the stack's services and Sluice", () => {
  const services = compose("config", "--services").trim().split("\n").sort();
  expect(services).toEqual([
    "datanode",
    "kafka",
    "mysql",
    "namenode",
    "neo4j",
    "opensearch",
    "redis",
    "sluice",
  ]);
});

test("the compose file publishes the stack's ports on loopback only", () => {
  const config = compose("config");
  for (const port of ["13306", "16379", "19092", "19200", "17687", "17474", "19870", "8083"]) {
    expect(config).toContain(`127.0.0.1:${port}:`);
  }
  const published = config.match(/^\s+- [^\s]*:\d+:\d+\/tcp$/gm) ?? [];
  expect(published.length).toBeGreaterThanOrEqual(9);
  expect(published.filter((line) => !line.includes("127.0.0.1:"))).toEqual([]);
});
