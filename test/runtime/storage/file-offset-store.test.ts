// Invariant: an offset that set() acknowledged survives a reopen and a SIGKILL at any moment, keyed by
// the partition's content whatever the order of its keys, and the offset file is never torn.
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { ErrorCode } from "../../../runtime/api/index.ts";
import { FileOffsetStore } from "../../../runtime/storage/file/file-offset-store.ts";
import { partitionKey } from "../../../runtime/storage/offset-store.ts";

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-offsets-"));
  path = join(dir, "offsets.json");
});
afterEach(() => rm(dir, { recursive: true, force: true }));

test("a partition is the same whatever the order of its keys", async () => {
  const store = await FileOffsetStore.open(path);
  await store.set("c", [{ partition: { server: "db1", shard: 2 }, offset: { pos: 4 } }]);
  expect(await store.get("c", { shard: 2, server: "db1" })).toEqual({ pos: 4 });
  expect(partitionKey({ shard: 2, server: "db1" })).toBe('{"server":"db1","shard":2}');
  await store.close();
});

test("a reopened store returns every connector's offsets ordered by partition key", async () => {
  const store = await FileOffsetStore.open(path);
  await store.set("c", [
    { partition: { task: 1 }, offset: { iteration: 10 } },
    { partition: { task: 0 }, offset: { iteration: 7, done: false, note: null } },
  ]);
  await store.set("other", [{ partition: { task: 0 }, offset: { iteration: 1 } }]);
  await store.close();

  const reopened = await FileOffsetStore.open(path);
  expect(await reopened.getAll("c")).toEqual([
    { partition: { task: 0 }, offset: { iteration: 7, done: false, note: null } },
    { partition: { task: 1 }, offset: { iteration: 10 } },
  ]);
  expect(await reopened.get("other", { task: 0 })).toEqual({ iteration: 1 });
  expect(await reopened.get("other", { task: 9 })).toBeNull();
  await reopened.close();
});

test("a null offset removes the partition and reset removes one connector only", async () => {
  const store = await FileOffsetStore.open(path);
  await store.set("a", [
    { partition: { task: 0 }, offset: { iteration: 1 } },
    { partition: { task: 1 }, offset: { iteration: 2 } },
  ]);
  await store.set("b", [{ partition: { task: 0 }, offset: { iteration: 3 } }]);
  await store.set("a", [{ partition: { task: 0 }, offset: null }]);
  expect(await store.getAll("a")).toEqual([{ partition: { task: 1 }, offset: { iteration: 2 } }]);
  await store.reset("a");
  expect(await store.getAll("a")).toEqual([]);
  expect(await store.getAll("b")).toEqual([{ partition: { task: 0 }, offset: { iteration: 3 } }]);
  await store.close();
});

test("calls issued without waiting are applied in call order", async () => {
  const store = await FileOffsetStore.open(path);
  const calls = [
    store.set("c", [{ partition: { task: 0 }, offset: { iteration: 1 } }]),
    store.reset("c"),
    store.set("c", [{ partition: { task: 1 }, offset: { iteration: 2 } }]),
    store.set("c", [{ partition: { task: 1 }, offset: { iteration: 3 } }]),
  ];
  await Promise.all(calls);
  expect(await store.getAll("c")).toEqual([{ partition: { task: 1 }, offset: { iteration: 3 } }]);
  await store.close();
  const reopened = await FileOffsetStore.open(path);
  expect(await reopened.getAll("c")).toEqual([{ partition: { task: 1 }, offset: { iteration: 3 } }]);
  await reopened.close();
});

test("an offset value that JSON cannot hold is refused, naming its key", async () => {
  const store = await FileOffsetStore.open(path);
  const bad = store.set("c", [{ partition: { task: 0 }, offset: { pos: Number.NaN } }]);
  await expect(bad).rejects.toMatchObject({
    code: ErrorCode.INTERNAL,
    message: expect.stringContaining('key "pos"'),
  });
  expect(await store.getAll("c")).toEqual([]);
  await store.close();
});

test("a temp file left by a crashed write is ignored and removed on open", async () => {
  const store = await FileOffsetStore.open(path);
  await store.set("c", [{ partition: { task: 0 }, offset: { iteration: 5 } }]);
  await store.close();
  await writeFile(join(dir, "offsets.json.4242.7.tmp"), '{"version":1,"connectors":{"c":[{"partition"');

  const reopened = await FileOffsetStore.open(path);
  expect(await reopened.get("c", { task: 0 })).toEqual({ iteration: 5 });
  expect(await readdir(dir)).toEqual(["offsets.json"]);
  await reopened.close();
});

test("an offset file that is not Sluice's fails to open, naming the file", async () => {
  await writeFile(path, '{"version":1,"connectors":{"c":[');
  await expect(FileOffsetStore.open(path)).rejects.toMatchObject({
    code: ErrorCode.INTERNAL,
    message: expect.stringContaining(path),
  });
});

/** Runs the writer child until it has acknowledged `atLeast` commits, kills it, and returns the last one it acknowledged. */
async function killWriterMidway(atLeast: number): Promise<number> {
  const child = spawn(process.execPath, [join(import.meta.dirname, "fixtures", "offset-writer.ts"), path], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let stderr = "";
  let killed = false;
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    if (!killed && output.split("\n").length > atLeast) {
      killed = true;
      // A random delay, so that the kill lands anywhere in the write/fsync/rename cycle.
      setTimeout(() => child.kill("SIGKILL"), Math.random() * 15);
    }
  });
  const signal = await new Promise<NodeJS.Signals | null>((done) =>
    child.on("close", (_code, sig) => done(sig)),
  );
  expect(stderr).toBe("");
  expect(signal).toBe("SIGKILL");
  const acknowledged = output.split("\n").filter((line) => line !== "");
  return Number(acknowledged.at(-1));
}

test("a writer killed with SIGKILL mid-writes leaves a whole file holding its last acknowledged commit or the next", async () => {
  for (const atLeast of [5, 17, 31]) {
    const lastAcknowledged = await killWriterMidway(atLeast);
    expect(lastAcknowledged).toBeGreaterThanOrEqual(atLeast);

    const store = await FileOffsetStore.open(path);
    const entries = await store.getAll("crash");
    expect(entries).toHaveLength(200);
    const iterations = new Set(entries.map((entry) => entry.offset.iteration));
    expect(iterations.size).toBe(1);
    expect([lastAcknowledged, lastAcknowledged + 1]).toContain([...iterations][0]);
    expect(await readdir(dir)).toEqual(["offsets.json"]);
    await store.close();
  }
});
