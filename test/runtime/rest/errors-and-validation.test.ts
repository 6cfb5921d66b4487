// Invariant: every failure answers {error_code, message} with the status mapped from its cause in one place; malformed requests are refused with 400 naming the field before the herder is called.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { ConfigError, ErrorCode, SluiceError } from "../../../runtime/api/index.ts";
import { createTestServer } from "./fake-herder.ts";

let server: ReturnType<typeof createTestServer>;
beforeEach(() => {
  server = createTestServer({ bodyLimitBytes: 1024 });
});
afterEach(() => server.app.close());

async function call(method: "GET" | "POST" | "PUT" | "PATCH", url: string, payload?: unknown) {
  const response = await server.app.inject({
    method,
    url,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: response.statusCode, body: response.json() };
}

describe("error codes become statuses", () => {
  test.each([
    [ErrorCode.CONFIG_INVALID, 400],
    [ErrorCode.CONNECTOR_NOT_FOUND, 404],
    [ErrorCode.TASK_NOT_FOUND, 404],
    [ErrorCode.PLUGIN_NOT_FOUND, 404],
    [ErrorCode.CONNECTOR_EXISTS, 409],
    [ErrorCode.STATE_CONFLICT, 400],
    [ErrorCode.BAD_REQUEST, 400],
    [ErrorCode.UNAUTHORIZED, 401],
    [ErrorCode.DATA_INVALID, 500],
    [ErrorCode.EXTERNAL_TRANSIENT, 500],
    [ErrorCode.EXTERNAL_FATAL, 500],
    [ErrorCode.TIMEOUT, 500],
    [ErrorCode.ABORTED, 500],
    [ErrorCode.INTERNAL, 500],
  ])("a herder failure with code %s answers %i with its message", async (code, status) => {
    server.herder.connectorInfo = async () => {
      throw new SluiceError(code, `failed with ${code}`);
    };
    expect(await call("GET", "/connectors/a")).toEqual({
      status,
      body: { error_code: status, message: `failed with ${code}` },
    });
  });

  test("a ConfigError answers 400 with every bad field in the message", async () => {
    server.herder.connectorInfo = async () => {
      throw new ConfigError([
        { field: "topic", message: "is required" },
        { field: "tasks.max", message: "must be at least 1; got 0" },
      ]);
    };
    expect(await call("GET", "/connectors/a")).toEqual({
      status: 400,
      body: { error_code: 400, message: "topic: is required; tasks.max: must be at least 1; got 0" },
    });
  });

  test("an unexpected throw answers 500 with its message", async () => {
    server.herder.connectors = async () => {
      throw new TypeError("cannot read properties of undefined");
    };
    expect(await call("GET", "/connectors")).toEqual({
      status: 500,
      body: { error_code: 500, message: "cannot read properties of undefined" },
    });
  });

  test("an unknown path answers 404 in the same shape", async () => {
    expect(await call("GET", "/nowhere")).toEqual({
      status: 404,
      body: { error_code: 404, message: "HTTP 404 Not Found" },
    });
  });
});

describe("request validation names the field", () => {
  test.each([
    ["POST", "/connectors", { config: {} }, "body/name is required"],
    ["POST", "/connectors", { name: "a" }, "body/config is required"],
    [
      "POST",
      "/connectors",
      { name: "a", config: { "tasks.max": { n: 1 } } },
      "body/config/tasks.max must be string",
    ],
    ["POST", "/connectors", { name: "a", config: [] }, "body/config must be object"],
    ["PUT", "/connectors/a/config", { topic: ["a", "b"] }, "body/topic must be string"],
    ["PATCH", "/connectors/a/config", { topic: { a: 1 } }, "body/topic must be string or null"],
    ["PATCH", "/connectors/a/offsets", { offsets: [{ offset: {} }] }, "body/offsets/0/partition is required"],
    [
      "PATCH",
      "/connectors/a/offsets",
      { offsets: [{ partition: "db1" }] },
      "body/offsets/0/partition must be object",
    ],
    ["GET", "/connectors/a/tasks/first/status", undefined, "params/task must be integer"],
    ["GET", "/connectors/a/tasks/-1/status", undefined, "params/task must be >= 0"],
    [
      "POST",
      "/connectors/a/restart?includeTasks=maybe",
      undefined,
      "querystring/includeTasks must be boolean",
    ],
    [
      "GET",
      "/connector-plugins?connectorsOnly=sometimes",
      undefined,
      "querystring/connectorsOnly must be boolean",
    ],
  ] as const)("%s %s with %j is 400: %s", async (method, url, payload, message) => {
    server.herder.seed("a", { "connector.class": "datagen" }, "STOPPED");
    expect(await call(method, url, payload)).toEqual({ status: 400, body: { error_code: 400, message } });
  });

  test("a body that is not JSON is 400", async () => {
    const response = await server.app.inject({
      method: "POST",
      url: "/connectors",
      headers: { "content-type": "application/json" },
      payload: '{"name": "a",',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error_code: 400,
      message: "Body is not valid JSON but content-type is set to 'application/json'",
    });
  });

  test("a body larger than the limit is 413 and never reaches the herder", async () => {
    const response = await call("POST", "/connectors", {
      name: "big",
      config: { "connector.class": "datagen", padding: "x".repeat(1024) },
    });
    expect(response).toEqual({
      status: 413,
      body: { error_code: 413, message: "Request body is too large" },
    });
    expect(await server.herder.connectors()).toEqual([]);
  });
});

describe("connector names", () => {
  const config = { "connector.class": "datagen" };

  test.each([
    ["a tab", "orders\tcdc", "body/name must not contain control characters or '/'"],
    ["a DEL", "orders\u007f", "body/name must not contain control characters or '/'"],
    ["a C1 control", "orders\u0085", "body/name must not contain control characters or '/'"],
    ["a slash", "orders/cdc", "body/name must not contain control characters or '/'"],
    ["no characters", "", "body/name must NOT have fewer than 1 characters"],
    ["250 characters", "n".repeat(250), "body/name must NOT have more than 249 characters"],
  ])("a name with %s is refused with 400", async (_what, name, message) => {
    expect(await call("POST", "/connectors", { name, config })).toEqual({
      status: 400,
      body: { error_code: 400, message },
    });
  });

  test.each([
    ["249 characters", "n".repeat(249)],
    ["spaces, dots and non-ASCII letters", "orders cdc.v2 – café"],
  ])("a name with %s is taken and reachable by its URL-encoded path", async (_what, name) => {
    expect((await call("POST", "/connectors", { name, config })).status).toBe(201);
    const response = await call("GET", `/connectors/${encodeURIComponent(name)}/status`);
    expect(response.status).toBe(200);
    expect(response.body.name).toBe(name);
  });

  test("a control character in a connector path is 400 naming the param", async () => {
    expect(await call("GET", "/connectors/a%01b")).toEqual({
      status: 400,
      body: { error_code: 400, message: "params/name must not contain control characters or '/'" },
    });
  });
});
