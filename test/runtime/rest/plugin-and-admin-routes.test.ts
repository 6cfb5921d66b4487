// Invariant: /, /connector-plugins, /admin/loggers, /health, /metrics and /openapi.json answer Kafka Connect's (or Sluice's documented) status codes and bodies.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import packageJson from "../../../package.json" with { type: "json" };
import { createTestServer } from "./fake-herder.ts";

let server: ReturnType<typeof createTestServer>;
beforeEach(() => {
  server = createTestServer();
});
afterEach(() => server.app.close());

async function call(method: "GET" | "PUT", url: string, payload?: unknown) {
  const response = await server.app.inject({
    method,
    url,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: response.statusCode, body: response.body === "" ? undefined : response.json() };
}

test("GET / answers the version, the commit and the Kafka cluster id", async () => {
  expect(await call("GET", "/")).toEqual({
    status: 200,
    body: { version: packageJson.version, commit: "abc1234", kafka_cluster_id: "test-cluster-id" },
  });
});

describe("connector plugins", () => {
  test("GET /connector-plugins lists plugins and asks for connectors only unless connectorsOnly=false", async () => {
    expect(await call("GET", "/connector-plugins")).toEqual({
      status: 200,
      body: [
        { class: "datagen", type: "source", version: "0.1.0" },
        { class: "redis", type: "sink", version: "0.1.0" },
      ],
    });
    await call("GET", "/connector-plugins?connectorsOnly=false");
    await call("GET", "/connector-plugins?connectorsOnly=true");
    expect(server.herder.pluginQueries).toEqual([true, false, true]);
  });

  test("GET /connector-plugins/{plugin}/config describes the keys; an unknown plugin is 404", async () => {
    expect(await call("GET", "/connector-plugins/redis/config")).toEqual({
      status: 200,
      body: [
        {
          name: "topic",
          type: "STRING",
          required: true,
          default_value: null,
          importance: "HIGH",
          documentation: "The topic to use.",
          group: null,
          order: 1,
          width: "NONE",
          display_name: "topic",
          dependents: [],
        },
      ],
    });
    expect(await call("GET", "/connector-plugins/nope/config")).toEqual({
      status: 404,
      body: { error_code: 404, message: "No plugin named nope" },
    });
  });

  test("PUT /connector-plugins/{plugin}/config/validate answers ConfigInfos with each key's errors", async () => {
    const response = await call("PUT", "/connector-plugins/datagen/config/validate", {
      "connector.class": "datagen",
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      name: "datagen",
      error_count: 1,
      groups: ["Common"],
      configs: [
        {
          definition: expect.objectContaining({ name: "topic", required: true }),
          value: {
            name: "topic",
            value: null,
            recommended_values: [],
            errors: ["is required: The topic to use."],
            visible: true,
          },
        },
      ],
    });
    expect(
      (await call("PUT", "/connector-plugins/datagen/config/validate", { topic: "t" })).body.error_count,
    ).toBe(0);
    expect((await call("PUT", "/connector-plugins/nope/config/validate", {})).status).toBe(404);
  });
});

describe("loggers", () => {
  test("GET /admin/loggers lists the set levels and GET /admin/loggers/{name} one of them; an unknown logger is 404", async () => {
    expect(await call("GET", "/admin/loggers")).toEqual({
      status: 200,
      body: { root: { level: "INFO", last_modified: null } },
    });
    expect(await call("GET", "/admin/loggers/root")).toEqual({
      status: 200,
      body: { level: "INFO", last_modified: null },
    });
    expect(await call("GET", "/admin/loggers/sluice.nope")).toEqual({
      status: 404,
      body: { error_code: 404, message: "Logger sluice.nope not found." },
    });
  });

  test("PUT /admin/loggers/{name} sets the level given in any case and answers the names it changed", async () => {
    expect(await call("PUT", "/admin/loggers/sluice.worker", { level: "debug" })).toEqual({
      status: 200,
      body: ["sluice.worker"],
    });
    await call("PUT", "/admin/loggers/sluice.worker.task", { level: "WARN" });
    expect(await call("PUT", "/admin/loggers/sluice", { level: "ERROR" })).toEqual({
      status: 200,
      body: ["sluice", "sluice.worker", "sluice.worker.task"],
    });
    expect(server.loggers.get("sluice.worker.task")).toEqual({
      level: "ERROR",
      last_modified: 1_700_000_000_000,
    });
  });

  test("PUT /admin/loggers/{name}?scope=cluster changes the level and answers 204, as Kafka Connect does", async () => {
    expect(await call("PUT", "/admin/loggers/sluice?scope=cluster", { level: "TRACE" })).toEqual({
      status: 204,
      body: undefined,
    });
    expect(server.loggers.get("sluice")?.level).toBe("TRACE");
  });

  test("an unknown level is 404 and a missing level is 400, as Kafka Connect answers them", async () => {
    expect(await call("PUT", "/admin/loggers/sluice", { level: "LOUD" })).toEqual({
      status: 404,
      body: { error_code: 404, message: "invalid log level 'LOUD'." },
    });
    expect(await call("PUT", "/admin/loggers/sluice", {})).toEqual({
      status: 400,
      body: { error_code: 400, message: "body/level is required" },
    });
  });
});

describe("health, metrics and OpenAPI", () => {
  test("GET /health answers 200 healthy when the herder is ready and 503 starting while it is not", async () => {
    expect(await call("GET", "/health")).toEqual({
      status: 200,
      body: { status: "healthy", message: "Worker has completed startup and is ready to handle requests." },
    });
    server.herder.readiness = { ready: false, message: "Loading the config store." };
    expect(await call("GET", "/health")).toEqual({
      status: 503,
      body: { status: "starting", message: "Loading the config store." },
    });
  });

  test("GET /metrics answers the Prometheus text with its content type", async () => {
    const response = await server.app.inject({ method: "GET", url: "/metrics" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(response.body).toBe(
      "# HELP sluice_up 1 when the worker runs\n# TYPE sluice_up gauge\nsluice_up 1\n",
    );
  });

  test("GET /openapi.json documents every Kafka Connect path and Sluice's additions", async () => {
    const { status, body } = await call("GET", "/openapi.json");
    expect(status).toBe(200);
    expect(body.openapi).toBe("3.0.3");
    expect(Object.keys(body.paths).sort()).toEqual([
      "/",
      "/admin/loggers",
      "/admin/loggers/{logger}",
      "/connector-plugins",
      "/connector-plugins/{plugin}/config",
      "/connector-plugins/{plugin}/config/validate",
      "/connectors",
      "/connectors/{name}",
      "/connectors/{name}/compactions",
      "/connectors/{name}/config",
      "/connectors/{name}/offsets",
      "/connectors/{name}/offsets/lookup",
      "/connectors/{name}/pause",
      "/connectors/{name}/restart",
      "/connectors/{name}/resume",
      "/connectors/{name}/status",
      "/connectors/{name}/stop",
      "/connectors/{name}/tasks",
      "/connectors/{name}/tasks/{task}/restart",
      "/connectors/{name}/tasks/{task}/status",
      "/connectors/{name}/topics",
      "/connectors/{name}/topics/reset",
      "/health",
      "/metrics",
    ]);
    expect(Object.keys(body.paths["/connectors/{name}/config"]).sort()).toEqual(["get", "patch", "put"]);
  });
});
