// Invariant: what the config store acknowledged is what it and a reopened store return; a refused or
// failed write changes nothing, and subscribers hear of each durable change in order.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config provider placeholders, not templates
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { ErrorCode } from "../../../runtime/api/index.ts";
import type { ConfigStoreEvent } from "../../../runtime/storage/config-store.ts";
import { FileConfigStore } from "../../../runtime/storage/file/file-config-store.ts";

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-configs-"));
  path = join(dir, "data", "connectors.json");
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const config = { "connector.class": "datagen", "kafka.topic": "users", password: "${env:DB_PASSWORD}" };

test("a new connector starts STARTED with no task configs, or in the initial state asked", async () => {
  const store = await FileConfigStore.open(path);
  await store.put("a", config);
  await store.put("b", config, { initialState: "STOPPED" });
  expect(await store.get("a")).toEqual({ config, targetState: "STARTED", taskConfigs: [] });
  expect((await store.get("b"))?.targetState).toBe("STOPPED");
  expect(await store.get("missing")).toBeNull();
  expect(await store.list()).toEqual(["a", "b"]);
  await store.close();
});

test("replacing a config keeps the target state and the task configs", async () => {
  const store = await FileConfigStore.open(path);
  await store.put("a", config);
  await store.setTargetState("a", "PAUSED");
  await store.putTaskConfigs("a", [{ task: "0" }, { task: "1" }]);
  await store.put("a", { ...config, "kafka.topic": "orders" }, { initialState: "STOPPED" });
  expect(await store.get("a")).toEqual({
    config: { ...config, "kafka.topic": "orders" },
    targetState: "PAUSED",
    taskConfigs: [{ task: "0" }, { task: "1" }],
  });
  await store.close();
});

test("a reopened store returns every connector as acknowledged, placeholders unresolved", async () => {
  const store = await FileConfigStore.open(path);
  await store.put("a", config);
  await store.putTaskConfigs("a", [{ ...config, "task.id": "0" }]);
  await store.put("b", { "connector.class": "redis" });
  await store.setTargetState("b", "STOPPED");
  await store.put("gone", config);
  expect(await store.remove("gone")).toBe(true);
  expect(await store.remove("gone")).toBe(false);
  await store.close();

  const reopened = await FileConfigStore.open(path);
  expect(await reopened.list()).toEqual(["a", "b"]);
  expect(await reopened.get("a")).toEqual({
    config,
    targetState: "STARTED",
    taskConfigs: [{ ...config, "task.id": "0" }],
  });
  expect(await reopened.get("b")).toEqual({
    config: { "connector.class": "redis" },
    targetState: "STOPPED",
    taskConfigs: [],
  });
  await reopened.close();
});

test("changing an unknown connector is refused with CONNECTOR_NOT_FOUND and does not hold up other writes", async () => {
  const store = await FileConfigStore.open(path);
  const [refusedState, refusedTasks, put] = await Promise.allSettled([
    store.setTargetState("missing", "PAUSED"),
    store.putTaskConfigs("missing", [{}]),
    store.put("a", config),
  ]);
  expect(refusedState).toMatchObject({ status: "rejected", reason: { code: ErrorCode.CONNECTOR_NOT_FOUND } });
  expect(refusedTasks).toMatchObject({ status: "rejected", reason: { code: ErrorCode.CONNECTOR_NOT_FOUND } });
  expect(put.status).toBe("fulfilled");
  expect(await store.list()).toEqual(["a"]);
  await store.close();
});

test("fifty puts issued at once are all stored", async () => {
  const store = await FileConfigStore.open(path);
  const names = Array.from({ length: 50 }, (_, i) => `c${String(i).padStart(2, "0")}`);
  await Promise.all(names.map((name) => store.put(name, { ...config, "kafka.topic": name })));
  await store.close();
  const reopened = await FileConfigStore.open(path);
  expect(await reopened.list()).toEqual(names);
  expect((await reopened.get("c49"))?.config["kafka.topic"]).toBe("c49");
  await reopened.close();
});

test("a write that fails on disk rejects and leaves the store as it was", async () => {
  const store = await FileConfigStore.open(path);
  await store.put("a", config);
  // The data dir becomes a plain file: every later write fails with ENOTDIR.
  await rm(join(dir, "data"), { recursive: true });
  await writeFile(join(dir, "data"), "");
  await expect(store.put("b", config)).rejects.toMatchObject({ code: "ENOTDIR" });
  expect(await store.list()).toEqual(["a"]);
  await store.close();
});

test("subscribers hear each durable change in order, until they unsubscribe", async () => {
  const store = await FileConfigStore.open(path);
  const events: ConfigStoreEvent[] = [];
  const unsubscribe = store.subscribe((event) => events.push(event));
  await store.put("a", config);
  await store.setTargetState("a", "PAUSED");
  await store.putTaskConfigs("a", [{}]);
  await store.remove("a");
  await store.remove("a");
  unsubscribe();
  await store.put("b", config);
  expect(events).toEqual([
    { type: "connector-config", name: "a" },
    { type: "target-state", name: "a", targetState: "PAUSED" },
    { type: "task-configs", name: "a" },
    { type: "connector-removed", name: "a" },
  ]);
  await store.close();
});

test("a closed store refuses writes and closing twice is safe", async () => {
  const store = await FileConfigStore.open(path);
  const pending = store.put("a", config);
  await store.close();
  await store.close();
  await pending;
  await expect(store.put("b", config)).rejects.toMatchObject({ code: ErrorCode.INTERNAL });
  expect(await store.list()).toEqual(["a"]);
});
