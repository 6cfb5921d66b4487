// Invariant: the sluice CLI prints aligned tables (or the worker's JSON with --json), and its exit code says ok (0), refused by the worker (1), usage error (2) or worker unreachable (3).
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createTestServer } from "../rest/fake-herder.ts";

const CLI = join(import.meta.dirname, "../../../runtime/cli/main.ts");
const TOKEN = "s3cret";
const SOURCE = { "connector.class": "datagen", "tasks.max": "2", topic: "orders" };
const SINK = { "connector.class": "redis", topics: "orders,refunds" };

let server: ReturnType<typeof createTestServer>;
let url: string;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-cli-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

beforeEach(async () => {
  server = createTestServer({ auth: { type: "bearer", token: TOKEN } });
  url = await server.app.listen({ host: "127.0.0.1", port: 0 });
});
afterEach(() => server.app.close());

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a user would, with SLUICE_URL and SLUICE_TOKEN for the test worker unless `env` unsets them. */
async function sluice(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const merged = { PATH: process.env.PATH, SLUICE_URL: url, SLUICE_TOKEN: TOKEN, ...env };
  const options = {
    env: Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined)),
  };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], options);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function writeJson(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(content));
  return path;
}

const USAGE_HINT = "Run sluice --help for the commands and options.\n";

describe("connectors", () => {
  test("list prints one aligned row per connector with its type, class, state and task states", async () => {
    server.herder.seed("orders-cdc", SOURCE);
    server.herder.seed("orders-to-redis", SINK, "STOPPED");
    server.herder.failTask("orders-cdc", 1, "Error: boom");

    expect(await sluice(["connectors", "list"])).toEqual({
      code: 0,
      stdout: [
        "NAME             TYPE    CLASS    STATE    TASKS",
        "orders-cdc       source  datagen  RUNNING  1 RUNNING, 1 FAILED",
        "orders-to-redis  sink    redis    STOPPED  -",
        "",
      ].join("\n"),
      stderr: "",
    });
  });

  test("list with no connectors says so, and list --json prints the worker's expanded answer", async () => {
    expect((await sluice(["connectors", "list"])).stdout).toBe("No connectors.\n");

    server.herder.seed("a", SOURCE);
    const run = await sluice(["connectors", "list", "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      a: {
        status: await server.herder.connectorStatus("a"),
        info: await server.herder.connectorInfo("a"),
      },
    });
  });

  test("get prints the type, the task ids and the config sorted by key", async () => {
    server.herder.seed("a", SOURCE);
    expect((await sluice(["connectors", "get", "a"])).stdout).toBe(
      [
        "Connector a (source), tasks: 0, 1",
        "",
        "KEY              VALUE",
        "connector.class  datagen",
        "name             a",
        "tasks.max        2",
        "topic            orders",
        "",
      ].join("\n"),
    );
  });

  test("create takes Kafka Connect's {name, config, initial_state} file or a flat config with a name", async () => {
    const wrapped = await writeJson("wrapped.json", { name: "a", config: SOURCE, initial_state: "PAUSED" });
    const flat = await writeJson("flat.json", { ...SINK, name: "b" });

    expect(await sluice(["connectors", "create", wrapped])).toEqual({
      code: 0,
      stdout: "Created connector a (source, 2 tasks).\n",
      stderr: "",
    });
    expect((await sluice(["connectors", "create", flat])).stdout).toBe(
      "Created connector b (sink, 1 tasks).\n",
    );
    expect(server.herder.targetState("a")).toBe("PAUSED");
    expect(await server.herder.connectorConfig("b")).toEqual({ ...SINK, name: "b" });
  });

  test("status prints the connector and each task, with the first line of a failed task's trace", async () => {
    server.herder.seed("a", SOURCE);
    server.herder.failTask("a", 1, "Error: connection refused\n    at poll (task.ts:1:1)");

    expect((await sluice(["connectors", "status", "a"])).stdout).toBe(
      [
        "COMPONENT    STATE    WORKER          TRACE",
        "connector a  RUNNING  127.0.0.1:8083",
        "task 0       RUNNING  127.0.0.1:8083",
        "task 1       FAILED   127.0.0.1:8083  Error: connection refused",
        "",
      ].join("\n"),
    );
  });

  test("pause, resume, stop and delete say what they did and change the connector", async () => {
    server.herder.seed("a", SOURCE);

    expect((await sluice(["connectors", "pause", "a"])).stdout).toBe("Pausing connector a.\n");
    expect(server.herder.targetState("a")).toBe("PAUSED");
    expect((await sluice(["connectors", "resume", "a"])).stdout).toBe("Resuming connector a.\n");
    expect(server.herder.targetState("a")).toBe("STARTED");
    expect((await sluice(["connectors", "stop", "a"])).stdout).toBe("Stopped connector a.\n");
    expect(server.herder.targetState("a")).toBe("STOPPED");
    expect(await sluice(["connectors", "delete", "a", "--json"])).toEqual({
      code: 0,
      stdout: "",
      stderr: "",
    });
    expect(await server.herder.connectors()).toEqual([]);
  });

  test("restart alone restarts the connector; with --include-tasks --only-failed it prints the restarting status", async () => {
    server.herder.seed("a", SOURCE);
    server.herder.failTask("a", 1, "Error: boom");

    expect((await sluice(["connectors", "restart", "a"])).stdout).toBe("Restarted connector a.\n");
    expect((await sluice(["connectors", "restart", "a", "--include-tasks", "--only-failed"])).stdout).toBe(
      [
        "Restarting connector a:",
        "",
        "COMPONENT    STATE       WORKER          TRACE",
        "connector a  RESTARTING  127.0.0.1:8083",
        "task 0       RUNNING     127.0.0.1:8083",
        "task 1       RESTARTING  127.0.0.1:8083",
        "",
      ].join("\n"),
    );
    expect(server.herder.restarts).toEqual([
      { name: "a", includeTasks: false, onlyFailed: false },
      { name: "a", includeTasks: true, onlyFailed: true },
    ]);
  });

  test("a name with a space reaches the worker URL-encoded", async () => {
    server.herder.seed("orders cdc", SOURCE);
    expect((await sluice(["connectors", "stop", "orders cdc"])).code).toBe(0);
    expect(server.herder.targetState("orders cdc")).toBe("STOPPED");
  });
});

describe("offsets", () => {
  test("get prints a sink's offsets by topic and partition and a source's as JSON", async () => {
    server.herder.seed("sink", SINK, "STOPPED");
    server.herder.seed("source", SOURCE, "STOPPED");
    server.herder.setOffsets("sink", [
      { partition: { kafka_topic: "orders", kafka_partition: 0 }, offset: { kafka_offset: 7 } },
      { partition: { kafka_topic: "refunds", kafka_partition: 3 }, offset: null },
    ]);
    server.herder.setOffsets("source", [
      { partition: { server: "db1" }, offset: { file: "binlog.000001", pos: 4 } },
    ]);

    expect((await sluice(["offsets", "get", "sink"])).stdout).toBe(
      ["TOPIC    PARTITION  OFFSET", "orders   0          7", "refunds  3          -", ""].join("\n"),
    );
    expect((await sluice(["offsets", "get", "source"])).stdout).toBe(
      ["PARTITION         OFFSET", '{"server":"db1"}  {"file":"binlog.000001","pos":4}', ""].join("\n"),
    );
  });

  test("set --to looks the sink's offsets up on the worker and alters them to the answer", async () => {
    server.herder.seed("sink", SINK, "STOPPED");

    expect(await sluice(["offsets", "set", "sink", "--to", "latest"])).toEqual({
      code: 0,
      stdout: "The offsets for this connector have been altered successfully\n",
      stderr: "",
    });
    expect(await server.herder.connectorOffsets("sink")).toEqual([
      { partition: { kafka_topic: "orders", kafka_partition: 0 }, offset: { kafka_offset: 100 } },
      { partition: { kafka_topic: "refunds", kafka_partition: 0 }, offset: { kafka_offset: 100 } },
    ]);
    await sluice(["offsets", "set", "sink", "--to", "2024-01-01T00:00:42Z"]);
    expect((await server.herder.connectorOffsets("sink"))[0]?.offset).toEqual({ kafka_offset: 42 });
  });

  test("set --file alters the offsets to the file's {offsets} and reset forgets them", async () => {
    server.herder.seed("source", SOURCE, "STOPPED");
    const offsets = [{ partition: { server: "db1" }, offset: { file: "binlog.000009", pos: 4 } }];
    const file = await writeJson("offsets.json", { offsets });

    expect((await sluice(["offsets", "set", "source", "--file", file])).code).toBe(0);
    expect(await server.herder.connectorOffsets("source")).toEqual(offsets);
    expect(await sluice(["offsets", "reset", "source", "--json"])).toEqual({
      code: 0,
      stdout: `${JSON.stringify({ message: "The offsets for this connector have been reset successfully" }, null, 2)}\n`,
      stderr: "",
    });
    expect(await server.herder.connectorOffsets("source")).toEqual([]);
  });
});

test("plugins prints each plugin's class, type and version", async () => {
  expect((await sluice(["plugins"])).stdout).toBe(
    ["CLASS    TYPE    VERSION", "datagen  source  0.1.0", "redis    sink    0.1.0", ""].join("\n"),
  );
});

describe("exit codes", () => {
  test("a refusal by the worker exits 1 and prints the worker's message with the status", async () => {
    server.herder.seed("a", SOURCE);
    expect(await sluice(["connectors", "status", "nope"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "sluice: Connector nope not found (HTTP 404)\n",
    });
    expect((await sluice(["offsets", "reset", "a"])).stderr).toBe(
      "sluice: Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/a/stop' endpoint (HTTP 400)\n",
    );
  });

  test("a wrong token exits 1 with the worker's 401 message; --token overrides SLUICE_TOKEN", async () => {
    expect(await sluice(["plugins"], { SLUICE_TOKEN: "wrong" })).toEqual({
      code: 1,
      stdout: "",
      stderr: "sluice: Invalid credentials (HTTP 401)\n",
    });
    expect((await sluice(["plugins", "--token", TOKEN], { SLUICE_TOKEN: "wrong" })).code).toBe(0);
  });

  test("basic credentials from --user/--password or SLUICE_USER/SLUICE_PASSWORD reach a worker that asks for them", async () => {
    await server.app.close();
    server = createTestServer({ auth: { type: "basic", username: "admin", password: "pw" } });
    url = await server.app.listen({ host: "127.0.0.1", port: 0 });
    const noToken = { SLUICE_TOKEN: undefined };

    expect((await sluice(["plugins", "--user", "admin", "--password", "pw"], noToken)).code).toBe(0);
    expect(
      (await sluice(["plugins"], { ...noToken, SLUICE_USER: "admin", SLUICE_PASSWORD: "pw" })).code,
    ).toBe(0);
    expect(await sluice(["plugins", "--user", "admin", "--password", "wrong"], noToken)).toEqual({
      code: 1,
      stdout: "",
      stderr: "sluice: Invalid credentials (HTTP 401)\n",
    });
    expect(await sluice(["plugins", "--user", "admin"], noToken)).toEqual({
      code: 2,
      stdout: "",
      stderr: `sluice: --user needs --password (or SLUICE_PASSWORD)\n${USAGE_HINT}`,
    });
    expect(await sluice(["plugins", "--user", "admin", "--password", "pw"])).toEqual({
      code: 2,
      stdout: "",
      stderr: `sluice: give either a token or a user, not both\n${USAGE_HINT}`,
    });
  });

  test.each([
    [[], "no command given"],
    [["frob"], "unknown command frob"],
    [
      ["connectors"],
      "connectors needs one of: list, get, create, delete, pause, resume, stop, restart, status",
    ],
    [["connectors", "get"], "usage: sluice connectors get <name>"],
    [["connectors", "get", "a", "b"], "usage: sluice connectors get <name>"],
    [["connectors", "get", "a", "--include-tasks"], "connectors get does not take --include-tasks"],
    [["connectors", "list", "--colour"], "Unknown option '--colour'"],
    [["offsets", "set", "a", "--to"], "Option '--to <value>' argument missing"],
    [["offsets", "set", "a"], "offsets set takes one of --file or --to"],
    [
      ["offsets", "set", "a", "--file", "f.json", "--to", "latest"],
      "offsets set takes one of --file or --to",
    ],
    [
      ["offsets", "set", "a", "--to", "yesterday"],
      "--to yesterday is not earliest, latest or an ISO 8601 date-time with a zone",
    ],
    [["connectors", "create", "/nonexistent/a.json"], "cannot read /nonexistent/a.json: ENOENT"],
    [["plugins", "--url", "not a url"], "--url not a url is not a URL"],
    [["standalone"], "standalone needs a worker config file"],
  ])("sluice %j exits 2: %s", async (args, message) => {
    expect(await sluice(args)).toEqual({ code: 2, stdout: "", stderr: `sluice: ${message}\n${USAGE_HINT}` });
  });

  test("a file that is not JSON exits 2", async () => {
    const path = join(dir, "broken.json");
    await writeFile(path, "{ name: ");
    const run = await sluice(["connectors", "create", path]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^sluice: ${path} is not JSON: `));
  });

  test("a worker that does not answer exits 3", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    expect(await sluice(["connectors", "list"], { SLUICE_URL: `http://127.0.0.1:${closedPort}` })).toEqual({
      code: 3,
      stdout: "",
      stderr: `sluice: cannot reach the worker at http://127.0.0.1:${closedPort}: ECONNREFUSED\n`,
    });
  });

  test("--help prints every command and exits 0", async () => {
    const run = await sluice(["--help"]);
    expect(run.code).toBe(0);
    for (const line of [
      "  sluice standalone <worker.json> [connector.json ...]",
      "  sluice connectors restart <name> [--include-tasks] [--only-failed]",
      "  sluice offsets set <name> (--file offsets.json | --to earliest|latest|<ISO date-time>)",
      "  sluice plugins",
      "Exit codes: 0 ok, 1 the worker refused, 2 usage error, 3 the worker cannot be reached.",
    ]) {
      expect(run.stdout.split("\n")).toContain(line);
    }
  });
});
