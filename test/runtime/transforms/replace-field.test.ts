// Invariant: ReplaceField keeps, drops and renames top-level fields in their original order, and its struct schema matches the new value.
import { expect, test } from "vitest";
import type { Schema } from "../../../runtime/api/records.ts";
import { record, transform } from "./records.ts";

const value = { id: 1, name: "ada", secret: "x", email: "a@b" };

test("exclude drops fields and renames rename the rest", () => {
  const out = transform("ReplaceField$Value", { exclude: "secret", renames: "name:full_name,email:mail" })(
    record({ value }),
  );
  expect(out?.value).toEqual({ id: 1, full_name: "ada", mail: "a@b" });
});

test("include keeps only the named fields, and exclude wins over include", () => {
  const out = transform("org.apache.kafka.connect.transforms.ReplaceField$Value", {
    include: "id,secret",
    exclude: "secret",
  })(record({ value }));
  expect(out?.value).toEqual({ id: 1 });
});

test("the deprecated blacklist and whitelist keys still work", () => {
  expect(transform("ReplaceField$Value", { blacklist: "secret,email" })(record({ value }))?.value).toEqual({
    id: 1,
    name: "ada",
  });
  expect(transform("ReplaceField$Value", { whitelist: "name" })(record({ value }))?.value).toEqual({
    name: "ada",
  });
});

test("a struct schema loses the dropped fields and carries the renamed ones", () => {
  const schema: Schema = {
    type: "struct",
    optional: false,
    name: "people",
    fields: [
      { field: "id", type: "int32", optional: false },
      { field: "name", type: "string", optional: true },
      { field: "secret", type: "string", optional: true },
      { field: "email", type: "string", optional: true },
    ],
  };
  const out = transform("ReplaceField$Value", { exclude: "secret,email", renames: "name:full_name" })(
    record({ value, valueSchema: schema }),
  );
  expect(out?.value).toEqual({ id: 1, full_name: "ada" });
  expect(out?.valueSchema).toEqual({
    type: "struct",
    optional: false,
    name: "people",
    fields: [
      { field: "id", type: "int32", optional: false },
      { field: "full_name", type: "string", optional: true },
    ],
  });
});

test("the key variant works on the key", () => {
  expect(transform("ReplaceField$Key", { renames: "id:key_id" })(record({ key: { id: 7 } }))?.key).toEqual({
    key_id: 7,
  });
});

test("a renames entry that is not old:new is refused naming the key", () => {
  expect(() => transform("ReplaceField$Value", { renames: "name" })).toThrow(
    'transforms.t.renames: must be a list of old:new pairs; "name" is not one',
  );
});
