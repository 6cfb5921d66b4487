// Invariant: every /connectors route answers Kafka Connect's status code and body shape for what the herder holds, and hands the herder exactly what the request asked.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { createTestServer } from "./fake-herder.ts";

let server: ReturnType<typeof createTestServer>;
beforeEach(() => {
  server = createTestServer();
});
afterEach(() => server.app.close());

const SOURCE = { "connector.class": "datagen", "tasks.max": "2", topic: "orders" };
const SINK = { "connector.class": "redis", topics: "orders,refunds" };
const WORKER = "127.0.0.1:8083";

async function call(method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", url: string, payload?: unknown) {
  const response = await server.app.inject({
    method,
    url,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return {
    status: response.statusCode,
    body: response.body === "" ? undefined : response.json(),
    headers: response.headers,
  };
}

describe("listing and reading connectors", () => {
  test("GET /connectors lists the names; expand=status and expand=info add each connector's status and info", async () => {
    server.herder.seed("a", SOURCE);
    server.herder.seed("b", SINK, "PAUSED");

    expect(await call("GET", "/connectors")).toMatchObject({ status: 200, body: ["a", "b"] });
    const expanded = await call("GET", "/connectors?expand=status&expand=info");
    expect(expanded.status).toBe(200);
    expect(expanded.body).toEqual({
      a: {
        status: {
          name: "a",
          connector: { state: "RUNNING", worker_id: WORKER },
          tasks: [
            { id: 0, state: "RUNNING", worker_id: WORKER },
            { id: 1, state: "RUNNING", worker_id: WORKER },
          ],
          type: "source",
        },
        info: {
          name: "a",
          config: { ...SOURCE, name: "a" },
          tasks: [
            { connector: "a", task: 0 },
            { connector: "a", task: 1 },
          ],
          type: "source",
        },
      },
      b: {
        status: {
          name: "b",
          connector: { state: "PAUSED", worker_id: WORKER },
          tasks: [{ id: 0, state: "PAUSED", worker_id: WORKER }],
          type: "sink",
        },
        info: {
          name: "b",
          config: { ...SINK, name: "b" },
          tasks: [{ connector: "b", task: 0 }],
          type: "sink",
        },
      },
    });
    expect((await call("GET", "/connectors?expand=status")).body).toEqual({
      a: { status: expect.any(Object) },
      b: { status: expect.any(Object) },
    });
  });

  test("GET /connectors/{name} and /config answer the info and the config; an unknown name is 404", async () => {
    server.herder.seed("a", SOURCE);

    expect(await call("GET", "/connectors/a")).toMatchObject({
      status: 200,
      body: {
        name: "a",
        config: { ...SOURCE, name: "a" },
        tasks: [
          { connector: "a", task: 0 },
          { connector: "a", task: 1 },
        ],
        type: "source",
      },
    });
    expect(await call("GET", "/connectors/a/config")).toMatchObject({
      status: 200,
      body: { ...SOURCE, name: "a" },
    });
    expect(await call("GET", "/connectors/nope")).toMatchObject({
      status: 404,
      body: { error_code: 404, message: "Connector nope not found" },
    });
  });

  test("a trailing slash reaches the same route, as in Kafka Connect", async () => {
    server.herder.seed("a", SOURCE);
    expect((await call("GET", "/connectors/")).body).toEqual(["a"]);
    expect((await call("GET", "/connectors/a/status/")).status).toBe(200);
  });
});

describe("creating and changing connectors", () => {
  test("POST /connectors creates with 201, a Location header and the info; the name goes into the config", async () => {
    const response = await call("POST", "/connectors", { name: "orders", config: SOURCE });

    expect(response.status).toBe(201);
    expect(response.headers.location).toBe("/connectors/orders");
    expect(response.body).toEqual({
      name: "orders",
      config: { ...SOURCE, name: "orders" },
      tasks: [
        { connector: "orders", task: 0 },
        { connector: "orders", task: 1 },
      ],
      type: "source",
    });
    expect(server.herder.targetState("orders")).toBe("STARTED");
  });

  test("config values given as JSON numbers or booleans arrive as strings, as Kafka Connect reads them", async () => {
    const response = await call("POST", "/connectors", {
      name: "orders",
      config: { "connector.class": "datagen", "tasks.max": 3, "errors.log.enable": true },
    });
    expect(response.status).toBe(201);
    expect(response.body.config).toEqual({
      "connector.class": "datagen",
      "tasks.max": "3",
      "errors.log.enable": "true",
      name: "orders",
    });
  });

  test("POST /connectors with initial_state (any case) creates the connector in that state; an unknown state is 400", async () => {
    expect(
      (await call("POST", "/connectors", { name: "s", config: SOURCE, initial_state: "stopped" })).status,
    ).toBe(201);
    expect(server.herder.targetState("s")).toBe("STOPPED");
    expect(
      (await call("POST", "/connectors", { name: "p", config: SOURCE, initial_state: "PAUSED" })).status,
    ).toBe(201);
    expect(server.herder.targetState("p")).toBe("PAUSED");

    expect(
      await call("POST", "/connectors", { name: "x", config: SOURCE, initial_state: "ASLEEP" }),
    ).toMatchObject({
      status: 400,
      body: { error_code: 400, message: "body/initial_state must be one of RUNNING, PAUSED, STOPPED" },
    });
  });

  test("POST /connectors for an existing name is 409 with the herder's message", async () => {
    server.herder.seed("orders", SOURCE);
    expect(await call("POST", "/connectors", { name: "orders", config: SOURCE })).toMatchObject({
      status: 409,
      body: { error_code: 409, message: "Connector orders already exists" },
    });
  });

  test("POST /connectors trims the name; a config that names another connector is 400; a blank name is 400", async () => {
    expect((await call("POST", "/connectors", { name: "  orders ", config: SOURCE })).body.name).toBe(
      "orders",
    );

    expect(await call("POST", "/connectors", { name: "a", config: { ...SOURCE, name: "b" } })).toMatchObject({
      status: 400,
      body: {
        error_code: 400,
        message: "Connector name configuration (b) doesn't match connector name in the URL (a)",
      },
    });
    expect(await call("POST", "/connectors", { name: "   ", config: SOURCE })).toMatchObject({
      status: 400,
      body: { error_code: 400, message: "body/name must not be blank" },
    });
  });

  test("POST /connectors with a config the herder refuses is 400 naming the field", async () => {
    expect(
      await call("POST", "/connectors", { name: "a", config: { "connector.class": "nope" } }),
    ).toMatchObject({
      status: 400,
      body: { error_code: 400, message: 'connector.class: no plugin named "nope"' },
    });
  });

  test("PUT /connectors/{name}/config answers 201 with a Location when it creates and 200 when it replaces", async () => {
    const created = await call("PUT", "/connectors/orders/config", SOURCE);
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe("/connectors/orders");
    expect(created.body.config).toEqual({ ...SOURCE, name: "orders" });

    const replaced = await call("PUT", "/connectors/orders/config", {
      ...SOURCE,
      "tasks.max": "1",
      name: "orders",
    });
    expect(replaced.status).toBe(200);
    expect(replaced.headers.location).toBeUndefined();
    expect(replaced.body).toEqual({
      name: "orders",
      config: { ...SOURCE, "tasks.max": "1", name: "orders" },
      tasks: [{ connector: "orders", task: 0 }],
      type: "source",
    });
  });

  test("PUT /connectors/{name}/config whose config names another connector is 400", async () => {
    expect(await call("PUT", "/connectors/a/config", { ...SOURCE, name: "b" })).toMatchObject({
      status: 400,
      body: {
        error_code: 400,
        message: "Connector name configuration (b) doesn't match connector name in the URL (a)",
      },
    });
  });

  test("PATCH /connectors/{name}/config sets the given keys, removes the null ones and answers 200 with the info", async () => {
    server.herder.seed("a", SOURCE);
    expect(
      await call("PATCH", "/connectors/a/config", { "tasks.max": "1", topic: null, "poll.ms": "50" }),
    ).toMatchObject({
      status: 200,
      body: {
        name: "a",
        config: { "connector.class": "datagen", "tasks.max": "1", name: "a", "poll.ms": "50" },
        tasks: [{ connector: "a", task: 0 }],
        type: "source",
      },
    });
  });

  test("DELETE /connectors/{name} answers 204 with no body, then the name is unknown", async () => {
    server.herder.seed("a", SOURCE);
    expect(await call("DELETE", "/connectors/a")).toMatchObject({ status: 204, body: undefined });
    expect((await call("GET", "/connectors/a")).status).toBe(404);
    expect((await call("DELETE", "/connectors/a")).status).toBe(404);
  });
});

describe("status, tasks and restarts", () => {
  test("status, tasks and one task's status answer the herder's shapes; an unknown task is 404", async () => {
    server.herder.seed("a", SOURCE);
    server.herder.failTask("a", 1, "Error: boom\n    at poll (task.ts:1:1)");

    expect(await call("GET", "/connectors/a/status")).toMatchObject({
      status: 200,
      body: {
        name: "a",
        connector: { state: "RUNNING", worker_id: WORKER },
        tasks: [
          { id: 0, state: "RUNNING", worker_id: WORKER },
          { id: 1, state: "FAILED", worker_id: WORKER, trace: "Error: boom\n    at poll (task.ts:1:1)" },
        ],
        type: "source",
      },
    });
    expect(await call("GET", "/connectors/a/tasks")).toMatchObject({
      status: 200,
      body: [
        { id: { connector: "a", task: 0 }, config: { ...SOURCE, name: "a", "task.id": "0" } },
        { id: { connector: "a", task: 1 }, config: { ...SOURCE, name: "a", "task.id": "1" } },
      ],
    });
    expect(await call("GET", "/connectors/a/tasks/0/status")).toMatchObject({
      status: 200,
      body: { id: 0, state: "RUNNING", worker_id: WORKER },
    });
    expect(await call("GET", "/connectors/a/tasks/7/status")).toMatchObject({
      status: 404,
      body: { error_code: 404, message: "Task a-7 not found" },
    });
  });

  test("POST /connectors/{name}/tasks/{id}/restart answers 204 and the task runs again", async () => {
    server.herder.seed("a", SOURCE);
    server.herder.failTask("a", 1, "Error: boom");
    expect(await call("POST", "/connectors/a/tasks/1/restart")).toMatchObject({
      status: 204,
      body: undefined,
    });
    expect((await call("GET", "/connectors/a/tasks/1/status")).body.state).toBe("RUNNING");
  });

  test("POST /connectors/{name}/restart without flags answers 204 and restarts only the connector", async () => {
    server.herder.seed("a", SOURCE);
    expect(await call("POST", "/connectors/a/restart")).toMatchObject({ status: 204, body: undefined });
    expect(server.herder.restarts).toEqual([{ name: "a", includeTasks: false, onlyFailed: false }]);
  });

  test("POST /connectors/{name}/restart?includeTasks=true&onlyFailed=true answers 202 with the status", async () => {
    server.herder.seed("a", SOURCE);
    server.herder.failTask("a", 1, "Error: boom");

    expect(await call("POST", "/connectors/a/restart?includeTasks=true&onlyFailed=true")).toMatchObject({
      status: 202,
      body: {
        name: "a",
        connector: { state: "RESTARTING", worker_id: WORKER },
        tasks: [
          { id: 0, state: "RUNNING", worker_id: WORKER },
          { id: 1, state: "RESTARTING", worker_id: WORKER },
        ],
        type: "source",
      },
    });
    expect((await call("POST", "/connectors/a/restart?onlyFailed=true")).status).toBe(202);
    expect(server.herder.restarts).toEqual([
      { name: "a", includeTasks: true, onlyFailed: true },
      { name: "a", includeTasks: false, onlyFailed: true },
    ]);
  });

  test("pause and resume answer 202, stop answers 204, each with no body, and each changes the target state", async () => {
    server.herder.seed("a", SOURCE);

    expect(await call("PUT", "/connectors/a/pause")).toMatchObject({ status: 202, body: undefined });
    expect(server.herder.targetState("a")).toBe("PAUSED");
    expect(await call("PUT", "/connectors/a/resume")).toMatchObject({ status: 202, body: undefined });
    expect(server.herder.targetState("a")).toBe("STARTED");
    expect(await call("PUT", "/connectors/a/stop")).toMatchObject({ status: 204, body: undefined });
    expect(server.herder.targetState("a")).toBe("STOPPED");
    expect((await call("PUT", "/connectors/nope/pause")).status).toBe(404);
  });

  test("an empty body sent as application/json is taken, as curl -X PUT -H 'Content-Type: application/json' sends it", async () => {
    server.herder.seed("a", SOURCE);
    const response = await server.app.inject({
      method: "PUT",
      url: "/connectors/a/pause",
      headers: { "content-type": "application/json" },
      payload: "",
    });
    expect(response.statusCode).toBe(202);
  });
});

describe("topics and offsets", () => {
  test("GET topics answers {name: {topics}}; PUT topics/reset answers 202 and empties the set", async () => {
    server.herder.seed("a", SINK);
    server.herder.setTopics("a", ["orders", "refunds"]);

    expect(await call("GET", "/connectors/a/topics")).toMatchObject({
      status: 200,
      body: { a: { topics: ["orders", "refunds"] } },
    });
    expect(await call("PUT", "/connectors/a/topics/reset")).toMatchObject({ status: 202, body: undefined });
    expect((await call("GET", "/connectors/a/topics")).body).toEqual({ a: { topics: [] } });
  });

  test("GET offsets answers {offsets}; PATCH and DELETE on a STOPPED connector answer 200 with {message}", async () => {
    const partition = { server: "db1" };
    server.herder.seed("a", SOURCE, "STOPPED");
    server.herder.setOffsets("a", [{ partition, offset: { file: "binlog.000001", pos: 4 } }]);

    expect(await call("GET", "/connectors/a/offsets")).toMatchObject({
      status: 200,
      body: { offsets: [{ partition, offset: { file: "binlog.000001", pos: 4 } }] },
    });
    expect(
      await call("PATCH", "/connectors/a/offsets", {
        offsets: [{ partition, offset: { file: "binlog.000002", pos: 4 } }],
      }),
    ).toMatchObject({
      status: 200,
      body: { message: "The offsets for this connector have been altered successfully" },
    });
    expect((await call("GET", "/connectors/a/offsets")).body).toEqual({
      offsets: [{ partition, offset: { file: "binlog.000002", pos: 4 } }],
    });
    expect(await call("PATCH", "/connectors/a/offsets", { offsets: [{ partition }] })).toMatchObject({
      status: 200,
    });
    expect((await call("GET", "/connectors/a/offsets")).body).toEqual({
      offsets: [{ partition, offset: null }],
    });

    expect(await call("DELETE", "/connectors/a/offsets")).toMatchObject({
      status: 200,
      body: { message: "The offsets for this connector have been reset successfully" },
    });
    expect((await call("GET", "/connectors/a/offsets")).body).toEqual({ offsets: [] });
  });

  test("PATCH and DELETE offsets of a connector that is not STOPPED are 400 with Kafka Connect's message", async () => {
    server.herder.seed("a", SOURCE);
    const message =
      "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/a/stop' endpoint";

    expect(
      await call("PATCH", "/connectors/a/offsets", {
        offsets: [{ partition: { server: "db1" }, offset: null }],
      }),
    ).toMatchObject({ status: 400, body: { error_code: 400, message } });
    expect(await call("DELETE", "/connectors/a/offsets")).toMatchObject({
      status: 400,
      body: { error_code: 400, message },
    });
  });

  test("PATCH offsets with no partitions is 400", async () => {
    server.herder.seed("a", SOURCE, "STOPPED");
    expect(await call("PATCH", "/connectors/a/offsets", { offsets: [] })).toMatchObject({
      status: 400,
      body: { error_code: 400, message: "body/offsets must NOT have fewer than 1 items" },
    });
  });

  test("GET offsets/lookup answers a sink's offsets at the target, ready for PATCH; a bad target or a source is 400", async () => {
    server.herder.seed("s", SINK, "STOPPED");
    server.herder.seed("src", SOURCE);

    expect(await call("GET", "/connectors/s/offsets/lookup?to=latest")).toMatchObject({
      status: 200,
      body: {
        offsets: [
          { partition: { kafka_topic: "orders", kafka_partition: 0 }, offset: { kafka_offset: 100 } },
          { partition: { kafka_topic: "refunds", kafka_partition: 0 }, offset: { kafka_offset: 100 } },
        ],
      },
    });
    // The fake answers (seconds of the timestamp) % 100, so the herder evidently got 2024-01-01T00:00:42Z.
    const atTime = await call(
      "GET",
      `/connectors/s/offsets/lookup?to=${encodeURIComponent("2024-01-01T01:00:42+01:00")}`,
    );
    expect(atTime.body.offsets[0]).toEqual({
      partition: { kafka_topic: "orders", kafka_partition: 0 },
      offset: { kafka_offset: 42 },
    });

    expect(await call("GET", "/connectors/s/offsets/lookup?to=yesterday")).toMatchObject({
      status: 400,
      body: {
        error_code: 400,
        message: "querystring/to must be earliest, latest or an ISO 8601 date-time with a zone",
      },
    });
    expect(await call("GET", "/connectors/s/offsets/lookup")).toMatchObject({
      status: 400,
      body: { error_code: 400, message: "querystring/to is required" },
    });
    expect(await call("GET", "/connectors/src/offsets/lookup?to=earliest")).toMatchObject({
      status: 400,
      body: { error_code: 400, message: "Connector src is a source; only sink offsets can be looked up" },
    });
  });
});

describe("compactions (Sluice's addition)", () => {
  test("POST …/compactions answers 202 with the job id and passes the path; GET lists the runs", async () => {
    server.herder.seed("lake", SINK);
    expect(await call("POST", "/connectors/lake/compactions", { path: "orders/partition=0" })).toMatchObject({
      status: 202,
      body: { id: "job-1" },
    });
    expect(await call("POST", "/connectors/lake/compactions")).toMatchObject({
      status: 202,
      body: { id: "job-2" },
    });
    expect(server.herder.jobRequests).toEqual([
      { name: "lake", path: "orders/partition=0" },
      { name: "lake", path: null },
    ]);
    expect(await call("GET", "/connectors/lake/compactions")).toMatchObject({
      status: 200,
      body: [
        { id: "job-1", path: "orders/partition=0", state: "completed" },
        { id: "job-2", path: null, state: "completed" },
      ],
    });
  });

  test("an unknown connector is 404 and an unknown body field 400", async () => {
    expect((await call("POST", "/connectors/nope/compactions", {})).status).toBe(404);
    server.herder.seed("lake", SINK);
    expect((await call("POST", "/connectors/lake/compactions", { when: "now" })).status).toBe(400);
  });
});
