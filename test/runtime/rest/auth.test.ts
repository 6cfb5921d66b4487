// Invariant: with bearer or basic auth configured, every route but GET /health answers 401 with a WWW-Authenticate challenge unless the request carries the configured credentials.
import { afterEach, describe, expect, test } from "vitest";
import { createTestServer } from "./fake-herder.ts";

let server: ReturnType<typeof createTestServer> | undefined;
afterEach(() => server?.app.close());

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

async function get(url: string, authorization?: string) {
  const response = await server!.app.inject({
    method: "GET",
    url,
    ...(authorization === undefined ? {} : { headers: { authorization } }),
  });
  return {
    status: response.statusCode,
    challenge: response.headers["www-authenticate"],
    body: response.json(),
  };
}

describe("bearer token", () => {
  test("no credentials, a wrong token or another scheme answer 401 with a Bearer challenge; the token answers 200", async () => {
    server = createTestServer({ auth: { type: "bearer", token: "s3cret" } });

    expect(await get("/connectors")).toEqual({
      status: 401,
      challenge: 'Bearer realm="sluice"',
      body: { error_code: 401, message: "Authentication required" },
    });
    expect(await get("/connectors", "Bearer wrong")).toEqual({
      status: 401,
      challenge: 'Bearer realm="sluice"',
      body: { error_code: 401, message: "Invalid credentials" },
    });
    expect((await get("/connectors", basic("s3cret", "s3cret"))).status).toBe(401);
    expect(await get("/connectors", "Bearer s3cret")).toEqual({
      status: 200,
      challenge: undefined,
      body: [],
    });
  });
});

describe("basic auth", () => {
  test("no credentials, a wrong user or a wrong password answer 401 with a Basic challenge; the pair answers 200", async () => {
    server = createTestServer({ auth: { type: "basic", username: "admin", password: "pa:ss" } });

    expect(await get("/connectors")).toEqual({
      status: 401,
      challenge: 'Basic realm="sluice", charset="UTF-8"',
      body: { error_code: 401, message: "Authentication required" },
    });
    expect((await get("/connectors", basic("admin", "wrong"))).status).toBe(401);
    expect((await get("/connectors", basic("root", "pa:ss"))).status).toBe(401);
    expect((await get("/connectors", "Bearer pa:ss")).status).toBe(401);
    expect(await get("/connectors", basic("admin", "pa:ss"))).toEqual({
      status: 200,
      challenge: undefined,
      body: [],
    });
  });
});

describe("which routes are guarded", () => {
  test("GET /health answers without credentials; /metrics, /openapi.json, / and unknown paths need them", async () => {
    server = createTestServer({ auth: { type: "bearer", token: "s3cret" } });

    expect((await get("/health")).status).toBe(200);
    for (const url of [
      "/",
      "/metrics",
      "/openapi.json",
      "/admin/loggers",
      "/connector-plugins",
      "/nowhere",
    ]) {
      expect({ url, status: (await get(url)).status }).toEqual({ url, status: 401 });
    }
    expect((await get("/nowhere", "Bearer s3cret")).status).toBe(404);
  });

  test("a 401 is answered before the body is read, so a refused request never reaches the herder", async () => {
    server = createTestServer({ auth: { type: "bearer", token: "s3cret" } });
    const response = await server.app.inject({
      method: "POST",
      url: "/connectors",
      payload: { name: "a", config: { "connector.class": "datagen" } },
    });
    expect(response.statusCode).toBe(401);
    expect(await server.herder.connectors()).toEqual([]);
  });

  test("with auth none every route answers without credentials", async () => {
    server = createTestServer({ auth: { type: "none" } });
    expect((await get("/connectors")).status).toBe(200);
  });
});
