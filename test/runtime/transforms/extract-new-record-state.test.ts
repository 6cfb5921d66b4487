// Invariant: ExtractNewRecordState replaces a Debezium change event with its after-state, handles deletes and tombstones per delete.tombstone.handling.mode (or the legacy keys), adds envelope fields and headers under their __ names, and passes anything else unchanged.
import { describe, expect, test } from "vitest";
import type { ConnectRecord, Schema } from "../../../runtime/api/records.ts";
import { record, transform } from "./records.ts";

const TYPE = "io.debezium.transforms.ExtractNewRecordState";

const rowSchema: Schema = {
  type: "struct",
  optional: true,
  name: "db1.shop.orders.Value",
  fields: [
    { field: "id", type: "int32", optional: false },
    { field: "status", type: "string", optional: true },
  ],
};

const envelopeSchema: Schema = {
  type: "struct",
  optional: false,
  name: "db1.shop.orders.Envelope",
  version: 1,
  fields: [
    { ...rowSchema, field: "before" },
    { ...rowSchema, field: "after" },
    {
      field: "source",
      type: "struct",
      optional: false,
      name: "io.debezium.connector.mysql.Source",
      fields: [
        { field: "db", type: "string", optional: false },
        { field: "table", type: "string", optional: true },
        { field: "ts_ms", type: "int64", optional: false, default: 0 },
      ],
    },
    { field: "op", type: "string", optional: false },
    { field: "ts_ms", type: "int64", optional: true },
  ],
};

const source = { db: "shop", table: "orders", ts_ms: 1_700_000_000_000 };

function change(op: string, before: unknown, after: unknown, withSchema = false): ConnectRecord {
  return record({
    key: { id: 1 },
    value: { before, after, source, op, ts_ms: 1_700_000_000_500 },
    ...(withSchema ? { valueSchema: envelopeSchema } : {}),
  });
}

const insert = (withSchema = false) => change("c", null, { id: 1, status: "new" }, withSchema);
const update = () => change("u", { id: 1, status: "new" }, { id: 1, status: "paid" });
const remove = (withSchema = false) => change("d", { id: 1, status: "paid" }, null, withSchema);
const tombstone = () => record({ key: { id: 1 }, value: null });

describe("inserts and updates", () => {
  test("a schemaless change event becomes its after-state", () => {
    expect(transform(TYPE)(update())).toEqual(record({ key: { id: 1 }, value: { id: 1, status: "paid" } }));
  });

  test("with a schema the value schema becomes the after field's schema", () => {
    const out = transform(TYPE)(insert(true));
    expect(out?.value).toEqual({ id: 1, status: "new" });
    expect(out?.valueSchema).toEqual(rowSchema);
  });

  test("add.fields copies op, table and source.ts_ms as __op, __table and __source_ts_ms, extending the schema", () => {
    const out = transform(TYPE, { "add.fields": "op,table,source.ts_ms" })(insert(true));
    expect(out?.value).toEqual({
      id: 1,
      status: "new",
      __op: "c",
      __table: "orders",
      __source_ts_ms: 1_700_000_000_000,
    });
    expect(out?.valueSchema?.fields?.slice(2)).toEqual([
      { field: "__op", type: "string", optional: true },
      { field: "__table", type: "string", optional: true },
      { field: "__source_ts_ms", type: "int64", optional: true },
    ]);
  });

  test("add.fields takes a new name after a colon and add.fields.prefix replaces __", () => {
    const out = transform(TYPE, { "add.fields": "ts_ms,db:database", "add.fields.prefix": "cdc_" })(update());
    expect(out?.value).toEqual({ id: 1, status: "paid", cdc_ts_ms: 1_700_000_000_500, cdc_database: "shop" });
  });

  test("add.headers copies envelope fields into headers as text", () => {
    const input = { ...update(), headers: [{ key: "h", value: "1" }] };
    expect(transform(TYPE, { "add.headers": "op,source.ts_ms,db" })(input)?.headers).toEqual([
      { key: "h", value: "1" },
      { key: "__op", value: "u" },
      { key: "__source_ts_ms", value: "1700000000000" },
      { key: "__db", value: "shop" },
    ]);
  });
});

describe("delete.tombstone.handling.mode", () => {
  test("tombstone (the default) turns a delete into a tombstone and drops the source's tombstone", () => {
    const extract = transform(TYPE);
    expect(extract(remove())).toEqual(record({ key: { id: 1 }, value: null }));
    expect(extract(tombstone())).toBeNull();
  });

  test("tombstone keeps the after field's schema on the delete's tombstone, as Debezium does", () => {
    expect(transform(TYPE)(remove(true))?.valueSchema).toEqual(rowSchema);
  });

  test("drop drops deletes and tombstones", () => {
    const extract = transform(TYPE, { "delete.tombstone.handling.mode": "drop" });
    expect([extract(remove()), extract(tombstone())]).toEqual([null, null]);
  });

  test("rewrite emits the deleted row with __deleted=true, marks other rows false, and drops tombstones", () => {
    const extract = transform(TYPE, { "delete.tombstone.handling.mode": "rewrite", "add.fields": "op" });
    expect(extract(remove())?.value).toEqual({ id: 1, status: "paid", __op: "d", __deleted: "true" });
    expect(extract(update())?.value).toEqual({ id: 1, status: "paid", __op: "u", __deleted: "false" });
    expect(extract(tombstone())).toBeNull();
  });

  test("rewrite with a schema adds an optional string __deleted field", () => {
    const out = transform(TYPE, { "delete.tombstone.handling.mode": "rewrite" })(remove(true));
    expect(out?.valueSchema?.fields?.map((field) => [field.field, field.type, field.optional])).toEqual([
      ["id", "int32", false],
      ["status", "string", true],
      ["__deleted", "string", true],
    ]);
  });

  test("rewrite-with-tombstone rewrites deletes and keeps tombstones, with an __op=d header when asked", () => {
    const extract = transform(TYPE, {
      "delete.tombstone.handling.mode": "rewrite-with-tombstone",
      "add.headers": "op",
    });
    expect(extract(remove())?.value).toEqual({ id: 1, status: "paid", __deleted: "true" });
    expect(extract(tombstone())).toEqual({ ...tombstone(), headers: [{ key: "__op", value: "d" }] });
  });
});

describe("legacy delete.handling.mode and drop.tombstones", () => {
  test("delete.handling.mode=none keeps deletes as null values and drop.tombstones=false keeps tombstones", () => {
    const extract = transform(TYPE, { "delete.handling.mode": "none", "drop.tombstones": "false" });
    expect(extract(remove())?.value).toBeNull();
    expect(extract(tombstone())).toEqual(tombstone());
  });

  test("delete.handling.mode=rewrite with the default drop.tombstones=true rewrites deletes and drops tombstones", () => {
    const extract = transform(TYPE, { "delete.handling.mode": "rewrite" });
    expect(extract(remove())?.value).toEqual({ id: 1, status: "paid", __deleted: "true" });
    expect(extract(tombstone())).toBeNull();
  });

  test("delete.handling.mode=drop drops deletes", () => {
    expect(transform(TYPE, { "delete.handling.mode": "drop" })(remove())).toBeNull();
  });
});

describe("other records", () => {
  test("a record that is not a change event passes unchanged", () => {
    const plain = record({ value: { id: 1, status: "x" } });
    expect(transform(TYPE)(plain)).toBe(plain);
    const named = record({
      value: { before: null, after: {}, op: "c" },
      valueSchema: { type: "struct", name: "not.an.Envelop" },
    });
    expect(transform(TYPE)(named)).toBe(named);
  });

  test("a truncate (neither before nor after) is dropped", () => {
    expect(transform(TYPE)(change("t", null, null))).toBeNull();
  });
});

test("an add.fields entry that is not field, struct.field or with :name is refused naming the key", () => {
  expect(() => transform(TYPE, { "add.fields": "source.a.b" })).toThrow(
    'transforms.t.add.fields: "source.a.b" is not field, struct.field or either with :name',
  );
});
