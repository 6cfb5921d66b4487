// Invariant: Parquet files the sink writes, concatenated byte for byte and followed by the footer
// concatenationFooter computes, are one Parquet file that an independent reader (hyparquet) reads as all
// their rows in order — across several row groups per file, multi-page column chunks and nested (JSON)
// columns — with no page index pointing into the old bytes; files of different schemas get different merge
// keys; a footer longer than the first read is fetched whole.
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { expect, test } from "vitest";
import { fileFormat } from "../../../connectors/hdfs/format.ts";
import { concatenationFooter, footerMergeKey, readFooter } from "../../../connectors/hdfs/parquet-footer.ts";
import type { Schema, SinkRecord } from "../../../runtime/api/index.ts";
import { range } from "./harness.ts";

const SCHEMA: Schema = {
  type: "struct",
  name: "shop.Event",
  fields: [
    { field: "id", type: "int64" },
    { field: "text", type: "string" },
    { field: "note", type: "string", optional: true },
    { field: "tags", type: "array", items: { type: "string" } },
  ],
};

function record(id: number, text = `event ${id}`, schema: Schema = SCHEMA): SinkRecord {
  return {
    topic: "events",
    kafkaPartition: 0,
    kafkaOffset: BigInt(id),
    key: null,
    value: { id, text, note: id % 3 === 0 ? null : `n${id}`, tags: [`t${id % 5}`] },
    valueSchema: schema,
    headers: [],
    timestamp: 0,
  };
}

/** A Parquet file of `records`, with a row group after each `rowGroup` records, as the sink writes it. */
function parquetFile(records: SinkRecord[], rowGroup: number): Uint8Array {
  const encoder = fileFormat("parquet").createEncoder(records[0] as SinkRecord);
  const parts: Uint8Array[] = [];
  records.forEach((r, i) => {
    encoder.write(r);
    if ((i + 1) % rowGroup === 0) parts.push(encoder.take());
  });
  parts.push(encoder.finish());
  return Buffer.concat(parts);
}

const reader = (file: Uint8Array) => async (offset: number, length: number) =>
  file.slice(offset, offset + length);

const buffer = (file: Uint8Array) =>
  file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;

test("the concatenation of Parquet files and their concatenation footer reads as all their rows in order", async () => {
  const big = "x".repeat(300_000);
  const files = [
    parquetFile(
      range(0, 30).map((i) => record(i)),
      10,
    ),
    // Over 1 MiB of text in one column chunk: several pages, so the sink wrote an OffsetIndex.
    parquetFile(
      range(30, 5).map((i) => record(i, `${big}${i}`)),
      5,
    ),
    parquetFile(
      range(35, 7).map((i) => record(i)),
      100,
    ),
  ];
  const footers = await Promise.all(files.map((file) => readFooter(reader(file), file.length)));
  expect(new Set(footers.map(footerMergeKey)).size).toBe(1);
  expect(
    parquetMetadata(footers[1] as Uint8Array).row_groups[0]?.columns[1]?.offset_index_offset,
  ).toBeDefined();

  const merged = Buffer.concat([
    ...files,
    concatenationFooter(files.map((file, i) => ({ length: file.length, footer: footers[i] as Uint8Array }))),
  ]);
  const meta = parquetMetadata(buffer(merged));
  expect(meta.num_rows).toBe(42n);
  expect(meta.row_groups.map((group) => Number(group.num_rows))).toEqual([10, 10, 10, 5, 7]);
  for (const column of meta.row_groups.flatMap((group) => group.columns)) {
    expect(column.offset_index_offset).toBeUndefined();
    expect(column.column_index_offset).toBeUndefined();
  }
  const rows = await parquetReadObjects({ file: buffer(merged) });
  const expected = await Promise.all(files.map((file) => parquetReadObjects({ file: buffer(file) })));
  expect(rows).toEqual(expected.flat());
  expect(rows.map((row) => Number(row.id))).toEqual(range(0, 42));
  // A range of rows in the middle is found through the moved row group offsets.
  const middle = await parquetReadObjects({ file: buffer(merged), rowStart: 33, rowEnd: 37 });
  expect(middle.map((row) => [Number(row.id), String(row.text).slice(-2)])).toEqual([
    [33, "33"],
    [34, "34"],
    [35, "35"],
    [36, "36"],
  ]);
});

test("files of different schemas have different merge keys", async () => {
  const other: Schema = {
    ...SCHEMA,
    fields: [...(SCHEMA.fields ?? []), { field: "extra", type: "int32", optional: true }],
  };
  const a = parquetFile([record(0)], 1);
  const b = parquetFile([record(1, "b", other)], 1);
  const [footerA, footerB] = await Promise.all([
    readFooter(reader(a), a.length),
    readFooter(reader(b), b.length),
  ]);
  expect(footerMergeKey(footerA)).not.toBe(footerMergeKey(footerB));
});

test("a footer longer than the first read is read whole with a second request", async () => {
  const file = parquetFile(
    range(0, 1_500).map((i) => record(i)),
    1,
  );
  const reads: number[] = [];
  const footer = await readFooter(async (offset, length) => {
    reads.push(length);
    return file.slice(offset, offset + length);
  }, file.length);
  expect(reads).toHaveLength(2);
  expect(footer.length).toBeGreaterThan(64 * 1024);
  expect(parquetMetadata(footer).num_rows).toBe(1_500n);
  await expect(readFooter(reader(new Uint8Array(100)), 100)).rejects.toThrow("no PAR1 at its end");
});
