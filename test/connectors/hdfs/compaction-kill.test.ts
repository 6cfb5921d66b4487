// Invariant: a compaction process killed with SIGKILL at any moment — writing a merged file or a Parquet
// trailer, just after a manifest, between the swap and the removal of the sources, or at a random time —
// loses and duplicates nothing: the next run finishes the merge its manifest describes, and the multiset of
// records across all committed files is the original one. With JSON and Parquet (merged by CONCAT) even the
// state the kill leaves shows every record exactly once; with Avro it may show one merge's records twice,
// and never misses one.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, expect, test } from "vitest";
import { compact, type MergeStep } from "../../../connectors/hdfs/compaction.ts";
import type { FormatName } from "../../../connectors/hdfs/format.ts";
import {
  committedFiles,
  hdfs,
  listFiles,
  multiset,
  orderRecord,
  range,
  readValues,
  settingsOf,
  sinkConfig,
  testRoot,
  writeCommittedFiles,
} from "./harness.ts";

const roots: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});
afterAll(async () => {
  for (const dir of roots) await hdfs.delete(dir, { recursive: true });
});

const CHILD = fileURLToPath(new URL("./compaction-process.ts", import.meta.url));
const RECORDS = 320;
const PER_FILE = 20;
/** Sources per merge: 16 files become 4 merged ones. */
const PER_MERGE = 4;
const PAD = "r".repeat(120);

/**
 * Kill when the child reports the nth `step` of its merges (it blocks there, so the kill lands exactly
 * there), or `ms` after it starts its run at full speed (the kill lands wherever it is, often inside an
 * HTTP request).
 */
type Kill = { step: MergeStep; nth: number } | { ms: number };

function describeKill(kill: Kill): string {
  return "step" in kill ? `after ${kill.step} #${kill.nth}` : `${kill.ms} ms into the run`;
}

/** The moments of the iterations of one format: after each step of some merge, and at random times. */
function kills(format: string): Kill[] {
  const random = () => ({ ms: Math.floor(Math.random() * 500) });
  return [
    // JSON merges write nothing before their manifest.
    ...(format === "json" ? [random()] : [{ step: "merged-written" as const, nth: 2 }]),
    { step: "manifest-written", nth: 1 },
    { step: "swapped", nth: 3 },
    { step: "sources-removed", nth: 2 },
    random(),
    random(),
  ];
}

/** Runs compaction in a child process and kills it with SIGKILL at `kill`; true when it died before "done". */
async function runAndKill(raw: Record<string, string>, kill: Kill): Promise<boolean> {
  const pauseAt = "step" in kill ? [`${kill.step}#${kill.nth}`] : [];
  const child = spawn(process.execPath, [CHILD, JSON.stringify(raw), ...pauseAt], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once("exit", (_code, signal) => resolve(signal)),
  );
  let pending = "";
  let seen = 0;
  let done = false;
  child.stdout?.on("data", (chunk: Buffer) => {
    pending += chunk.toString("utf8");
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (line === "done") done = true;
      if ("ms" in kill && line === "start") setTimeout(() => child.kill("SIGKILL"), kill.ms);
      if ("step" in kill && line.split(" ")[0] === kill.step && ++seen === kill.nth) child.kill("SIGKILL");
    }
  });
  const signal = await exited;
  return signal === "SIGKILL" && !done;
}

/** Every record in the committed files of a root, as {id, region, amount}, sorted by id. */
async function committedRecords(
  root: string,
): Promise<Array<{ id: number; region: string; amount: number }>> {
  const out: Array<{ id: number; region: string; amount: number }> = [];
  for (const file of await committedFiles(root)) {
    for (const value of (await readValues(`${root}/topics/${file}`)) as Array<Record<string, unknown>>) {
      out.push({ id: Number(value.id), region: String(value.region), amount: Number(value.amount) });
    }
  }
  return out.sort((a, b) => a.id - b.id);
}

const ORIGINAL = range(0, RECORDS).map((id) => ({ id, region: PAD, amount: id / 4 }));

test.each(["json", "parquet", "avro"])(
  "%s: compaction processes killed with SIGKILL at varied moments lose and duplicate no record after the rerun",
  async (format) => {
    let leftManifests = 0;
    for (const kill of kills(format)) {
      const root = testRoot(`kill-${format}`);
      roots.push(root);
      const raw = sinkConfig(root, { "format.class": format });
      const records = range(0, RECORDS).map((i) =>
        orderRecord("orders", 0, i, { schema: true, region: PAD }),
      );
      const dir = await writeCommittedFiles(root, format as FormatName, records, PER_FILE);
      const sizes = (await listFiles(dir)).map((f) => f.length);
      expect(sizes.length).toBe(RECORDS / PER_FILE);
      const settings = { ...raw, "compaction.target.size": String(PER_MERGE * Math.max(...sizes)) };

      const killedMidRun = await runAndKill(settings, kill);
      const manifest = await hdfs.getFileStatus(`${root}/logs/orders/0/compaction.json`);
      if (manifest !== null) leftManifests++;
      if ("step" in kill) {
        // Killed exactly after that step: the manifest is there from its writing to the end of the merge;
        // before it, the merged file or trailer waits in +tmp.
        expect(killedMidRun, describeKill(kill)).toBe(true);
        expect(manifest !== null, describeKill(kill)).toBe(kill.step !== "merged-written");
        if (kill.step === "merged-written") expect(await listFiles(`${root}/topics/+tmp`)).toHaveLength(1);
      }

      const afterKill = multiset(await committedRecords(root));
      if (format === "avro") {
        expect([...new Set(afterKill.ids)], describeKill(kill)).toEqual(range(0, RECORDS));
        // The one window of a rewrite: the merged file renamed in, its sources not yet removed.
        if ("step" in kill && kill.step === "swapped")
          expect(afterKill.duplicates).toHaveLength(PER_MERGE * PER_FILE);
      } else {
        expect(afterKill, describeKill(kill)).toEqual({ ids: range(0, RECORDS), duplicates: [] });
      }

      const rerun = await compact(settingsOf(settings));
      expect(rerun.resumed, describeKill(kill)).toBe(manifest === null ? 0 : 1);
      expect(await committedRecords(root), describeKill(kill)).toEqual(ORIGINAL);
      expect(await listFiles(`${root}/topics/+tmp`)).toEqual([]);
      expect(await listFiles(`${root}/logs`)).toEqual([]);
      expect((await listFiles(`${root}/topics/orders`)).map((f) => `orders/${f.path}`)).toEqual(
        await committedFiles(root),
      );
      expect((await compact(settingsOf(settings))).resumed).toBe(0);
    }
    // Kills must have landed between a manifest and the end of its merge, or the test proved nothing.
    expect(leftManifests).toBeGreaterThanOrEqual(3);
  },
  240_000,
);
