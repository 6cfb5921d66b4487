// Invariant: the status store returns the last acknowledged status of each connector and task, and the
// topics each connector used, across a reopen, until they are reset or removed.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { FileStatusStore } from "../../../runtime/storage/file/file-status-store.ts";

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-status-"));
  path = join(dir, "status.json");
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const worker = "127.0.0.1:8083";

test("a reopened store returns the last status of the connector and of each task, tasks by id", async () => {
  const store = await FileStatusStore.open(path);
  await store.putConnector("c", { state: "UNASSIGNED", workerId: worker });
  await store.putConnector("c", { state: "RUNNING", workerId: worker });
  await store.putTask("c", 1, { state: "FAILED", workerId: worker, trace: "Error: boom\n    at poll" });
  await store.putTask("c", 0, { state: "RUNNING", workerId: worker });
  await store.close();

  const reopened = await FileStatusStore.open(path);
  expect(await reopened.connector("c")).toEqual({ state: "RUNNING", workerId: worker });
  expect(await reopened.tasks("c")).toEqual([
    { id: 0, state: "RUNNING", workerId: worker },
    { id: 1, state: "FAILED", workerId: worker, trace: "Error: boom\n    at poll" },
  ]);
  expect(await reopened.connector("missing")).toBeNull();
  expect(await reopened.tasks("missing")).toEqual([]);
  await reopened.close();
});

test("retaining fewer tasks drops the statuses of the higher task ids", async () => {
  const store = await FileStatusStore.open(path);
  for (const id of [0, 1, 2]) await store.putTask("c", id, { state: "RUNNING", workerId: worker });
  await store.retainTasks("c", 1);
  expect((await store.tasks("c")).map((task) => task.id)).toEqual([0]);
  await store.close();
});

test("topics are kept sorted and once each, across a reopen, until reset", async () => {
  const store = await FileStatusStore.open(path);
  await store.addTopic("c", "orders");
  await store.addTopic("c", "users");
  await store.addTopic("c", "orders");
  await store.addTopic("d", "pageviews");
  await store.close();

  const reopened = await FileStatusStore.open(path);
  expect(await reopened.topics("c")).toEqual(["orders", "users"]);
  await reopened.resetTopics("c");
  expect(await reopened.topics("c")).toEqual([]);
  expect(await reopened.topics("d")).toEqual(["pageviews"]);
  await reopened.close();
});

test("a known topic is not written again", async () => {
  const store = await FileStatusStore.open(path);
  await store.addTopic("c", "orders");
  const before = await readFile(path, "utf8");
  await rm(path);
  await store.addTopic("c", "orders");
  await expect(readFile(path, "utf8")).rejects.toMatchObject({ code: "ENOENT" });
  expect(before).toContain('"orders"');
  await store.close();
});

test("removing a connector forgets its statuses and topics", async () => {
  const store = await FileStatusStore.open(path);
  await store.putConnector("c", { state: "RUNNING", workerId: worker });
  await store.putTask("c", 0, { state: "RUNNING", workerId: worker });
  await store.addTopic("c", "orders");
  await store.remove("c");
  await store.close();

  const reopened = await FileStatusStore.open(path);
  expect(await reopened.connector("c")).toBeNull();
  expect(await reopened.tasks("c")).toEqual([]);
  expect(await reopened.topics("c")).toEqual([]);
  await reopened.close();
});
