// Invariant: a reader that reads a partition directory as Hadoop's FileInputFormat, Hive and Spark do — list
// it, skip hidden files (`.`, `_`), read each listed file up to the length the listing gave, and start over
// when a listed file is gone — sees every record exactly once at every moment of a JSON or Parquet
// compaction (CONCAT appends to the first source and removes the others in one NameNode operation), and
// never misses a record during an Avro compaction (a rename, then one CONCAT that removes the sources, so
// between the two a listing may hold one merge's records twice).
import { afterAll, expect, test } from "vitest";
import { compact } from "../../../connectors/hdfs/compaction.ts";
import type { FormatName } from "../../../connectors/hdfs/format.ts";
import { HdfsNotFoundError } from "../../../connectors/hdfs/webhdfs.ts";
import {
  decodeValues,
  hdfs,
  isHidden,
  listFiles,
  multiset,
  orderRecord,
  range,
  settingsOf,
  sinkConfig,
  testRoot,
  writeCommittedFiles,
} from "./harness.ts";

const roots: string[] = [];
afterAll(async () => {
  for (const dir of roots) await hdfs.delete(dir, { recursive: true });
});

const RECORDS = 480;
const PER_FILE = 10;
/** Sources per merge: 48 files become 16 merged ones. */
const PER_MERGE = 3;

interface Snapshot {
  names: string[];
  ids: number[];
}

/** One read of the directory by a Hadoop-style reader; null when a listed file vanished before it was read. */
async function readSnapshot(dir: string): Promise<Snapshot | null> {
  const listed = (await hdfs.listStatus(dir)).filter(
    (entry) => entry.type === "FILE" && !isHidden(entry.pathSuffix),
  );
  try {
    const values = await Promise.all(
      listed.map(async (entry) =>
        decodeValues(entry.pathSuffix, await hdfs.openRange(`${dir}/${entry.pathSuffix}`, 0, entry.length)),
      ),
    );
    return {
      names: listed.map((entry) => entry.pathSuffix),
      ids: values.flat().map((value) => Number((value as { id: number | bigint }).id)),
    };
  } catch (error) {
    if (error instanceof HdfsNotFoundError) return null;
    throw error;
  }
}

test.each(["json", "parquet", "avro"])(
  "%s: a reader listing and reading the directory throughout a compaction sees every record (once, where CONCAT swaps)",
  async (format) => {
    const root = testRoot(`readers-${format}`);
    roots.push(root);
    const raw = sinkConfig(root, { "format.class": format });
    const records = range(0, RECORDS).map((i) => orderRecord("orders", 0, i, { schema: true }));
    const dir = await writeCommittedFiles(root, format as FormatName, records, PER_FILE);
    const sizes = (await listFiles(dir)).map((f) => f.length);
    const settings = settingsOf({ ...raw, "compaction.target.size": String(PER_MERGE * Math.max(...sizes)) });

    const first = await readSnapshot(dir);
    let running = true;
    const compaction = compact(settings).finally(() => {
      running = false;
    });
    const during: Snapshot[] = [];
    let restarts = 0;
    while (running) {
      const snapshot = await readSnapshot(dir);
      if (snapshot === null) restarts++;
      else during.push(snapshot);
    }
    const report = await compaction;
    const last = await readSnapshot(dir);
    expect(report.filesOut).toBe(RECORDS / PER_FILE / PER_MERGE);

    for (const snapshot of [first, ...during, last]) {
      if (snapshot === null) throw new Error("a snapshot outside the compaction cannot vanish");
      if (format === "avro") {
        expect([...new Set(snapshot.ids)].sort((a, b) => a - b)).toEqual(range(0, RECORDS));
      } else {
        expect(multiset(snapshot.ids.map((id) => ({ id }))), snapshot.names.join(" ")).toEqual({
          ids: range(0, RECORDS),
          duplicates: [],
        });
      }
    }
    // The reader must have seen the directory half compacted, or it did not run during the compaction.
    const key = (snapshot: Snapshot | null) => snapshot?.names.join(" ");
    const between = during.filter((s) => key(s) !== key(first) && key(s) !== key(last));
    expect(between.length, `${during.length} snapshots, ${restarts} restarts`).toBeGreaterThan(0);
  },
  120_000,
);
