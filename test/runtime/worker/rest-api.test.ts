// Invariant: the worker's REST API guards its input and its door: a malformed connector config is
// refused with 400 naming the field and the reason (nothing is created), and with auth on, a request
// without credentials gets 401 while /health stays open.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RunningWorker } from "../../../runtime/worker/standalone.ts";
import { rest, startTestWorker } from "../../support/worker.ts";

describe("without auth", () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    worker = await startTestWorker();
  });
  afterAll(() => worker?.stop());

  test("a malformed config gets 400 naming the field and the reason, and creates nothing", async () => {
    const response = await rest(worker, "POST", "/connectors", {
      name: "bad",
      config: {
        "connector.class": "datagen",
        "kafka.topic": "t",
        quickstart: "users",
        "tasks.max": "many",
        "max.interval": "-5",
      },
    });
    expect(response.status).toBe(400);
    expect(response.body.error_code).toBe(400);
    expect(response.body.message).toContain('tasks.max: must be a number; got "many"');
    expect(response.body.message).toContain("max.interval: must be at least 0");
    expect((await rest(worker, "GET", "/connectors")).body).toEqual([]);
  });

  test("a source that requires exactly-once is refused by a worker without it, naming what to change", async () => {
    const response = await rest(worker, "POST", "/connectors", {
      name: "eos",
      config: {
        "connector.class": "datagen",
        "kafka.topic": "t",
        quickstart: "users",
        "exactly.once.support": "required",
        "transaction.boundary": "connector",
      },
    });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain(
      "exactly.once.support: is required, but this worker runs with exactly.once.source.support=disabled",
    );
    expect(response.body.message).toContain(
      "transaction.boundary: connector-defined transaction boundaries are not supported yet; use poll or interval",
    );
    expect((await rest(worker, "GET", "/connectors")).body).toEqual([]);
  });

  test("GET / names the version and the Kafka cluster", async () => {
    const { status, body } = await rest(worker, "GET", "/");
    expect(status).toBe(200);
    expect(body.version).toBe("0.1.0");
    expect(body.kafka_cluster_id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  test("an unknown connector class gets 404 listing what is installed", async () => {
    const response = await rest(worker, "POST", "/connectors", {
      name: "x",
      config: { "connector.class": "com.example.Nope" },
    });
    expect(response.status).toBe(404);
    expect(response.body.message).toContain("datagen");
  });

  test("validate answers Kafka Connect's shape with per-field errors", async () => {
    const response = await rest(worker, "PUT", "/connector-plugins/datagen/config/validate", {
      name: "v",
      "connector.class": "datagen",
      "kafka.topic": "t",
      quickstart: "nope",
    });
    expect(response.status).toBe(200);
    expect(response.body.name).toBe("datagen");
    const errors = response.body.configs.filter(
      (c: { value: { errors: string[] } }) => c.value.errors.length > 0,
    );
    expect(errors.map((c: { value: { name: string } }) => c.value.name)).toEqual(["quickstart"]);
    expect(response.body.error_count).toBe(1);
    const quickstart = response.body.configs.find(
      (c: { value: { name: string } }) => c.value.name === "quickstart",
    );
    expect(quickstart.value.errors[0]).toMatch(/must be one of/);
  });

  test("the Java class names users already have are accepted and listed", async () => {
    const plugins = await rest(worker, "GET", "/connector-plugins");
    expect(plugins.body.map((p: { class: string }) => p.class)).toContain("datagen");
    const config = await rest(
      worker,
      "GET",
      "/connector-plugins/io.confluent.kafka.connect.datagen.DatagenConnector/config",
    );
    expect(config.status).toBe(200);
    expect(config.body.map((k: { name: string }) => k.name)).toContain("kafka.topic");
  });
});

describe("with bearer auth", () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    worker = await startTestWorker({
      worker: { "sluice.rest.auth.type": "bearer", "sluice.rest.auth.token": "s3cret" },
    });
  });
  afterAll(() => worker?.stop());

  test("a request without credentials gets 401, with them 200, and /health needs none", async () => {
    const anonymous = await rest(worker, "GET", "/connectors");
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error_code).toBe(401);
    expect(
      (await rest(worker, "GET", "/connectors", undefined, { authorization: "Bearer wrong" })).status,
    ).toBe(401);
    expect(
      (await rest(worker, "GET", "/connectors", undefined, { authorization: "Bearer s3cret" })).status,
    ).toBe(200);
    expect((await rest(worker, "GET", "/health")).status).toBe(200);
  });
});
