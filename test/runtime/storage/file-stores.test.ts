// Invariant: the standalone stores keep their files where the worker config says, and a worker that
// reopens them finds the state the previous run acknowledged.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { openFileStores } from "../../../runtime/storage/file/file-stores.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-stores-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

test("configs and statuses live in the data dir and offsets in the offset file, and reopen intact", async () => {
  const locations = { dataDir: join(dir, "data"), offsetFile: join(dir, "offsets", "connect.offsets") };
  const stores = await openFileStores(locations);
  await stores.config.put("c", { "connector.class": "datagen" });
  await stores.status.putConnector("c", { state: "RUNNING", workerId: "w:1" });
  await stores.offsets.set("c", [{ partition: { task: 0 }, offset: { iteration: 3 } }]);
  await stores.close();
  await stores.close();

  expect((await readdir(join(dir, "data"))).sort()).toEqual(["connectors.json", "status.json"]);
  expect(await readdir(join(dir, "offsets"))).toEqual(["connect.offsets"]);

  const reopened = await openFileStores(locations);
  expect(await reopened.config.list()).toEqual(["c"]);
  expect(await reopened.status.connector("c")).toEqual({ state: "RUNNING", workerId: "w:1" });
  expect(await reopened.offsets.get("c", { task: 0 })).toEqual({ iteration: 3 });
  await reopened.close();
});
