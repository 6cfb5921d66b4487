// Invariant: TimestampConverter converts a timestamp between text, unix numbers at any precision and the Date, Time and Timestamp types, in UTC, and sets the matching schema.
import { describe, expect, test } from "vitest";
import type { Schema } from "../../../runtime/api/records.ts";
import { record, transform } from "./records.ts";

const AT = Date.UTC(2024, 0, 31, 13, 45, 6, 789);

describe("schemaless", () => {
  test("a unix milliseconds field converts to text in the given format", () => {
    const convert = transform("org.apache.kafka.connect.transforms.TimestampConverter$Value", {
      field: "at",
      "target.type": "string",
      format: "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    });
    expect(convert(record({ value: { at: AT, id: 1 } }))?.value).toEqual({
      at: "2024-01-31T13:45:06.789Z",
      id: 1,
    });
  });

  test("text converts to unix seconds", () => {
    const convert = transform("TimestampConverter$Value", {
      field: "at",
      "target.type": "unix",
      format: "dd/MM/yyyy HH:mm",
      "unix.precision": "seconds",
    });
    expect(convert(record({ value: { at: "31/01/2024 13:45" } }))?.value).toEqual({
      at: Date.UTC(2024, 0, 31, 13, 45) / 1000,
    });
  });

  test("unix microseconds convert to a Timestamp in milliseconds, truncating the sub-millisecond digits", () => {
    const convert = transform("TimestampConverter$Value", {
      "target.type": "Timestamp",
      "unix.precision": "microseconds",
    });
    expect(convert(record({ value: AT * 1000 + 999 }))?.value).toBe(AT);
  });

  test("text that does not match the format is refused", () => {
    const convert = transform("TimestampConverter$Value", { "target.type": "unix", format: "yyyy-MM-dd" });
    expect(() => convert(record({ value: "31/01/2024" }))).toThrow(
      'TimestampConverter: "31/01/2024" does not match "yyyy-MM-dd"',
    );
  });
});

describe("with a schema", () => {
  test("a Timestamp field converts to a Date (days) and the field's schema becomes Date", () => {
    const schema: Schema = {
      type: "struct",
      optional: false,
      fields: [
        {
          field: "at",
          type: "int64",
          optional: true,
          name: "org.apache.kafka.connect.data.Timestamp",
          version: 1,
        },
      ],
    };
    const out = transform("TimestampConverter$Value", { field: "at", "target.type": "Date" })(
      record({ value: { at: AT }, valueSchema: schema }),
    );
    expect(out?.value).toEqual({ at: 19753 });
    expect(out?.valueSchema).toEqual({
      type: "struct",
      optional: false,
      fields: [
        {
          field: "at",
          type: "int32",
          optional: true,
          name: "org.apache.kafka.connect.data.Date",
          version: 1,
        },
      ],
    });
  });

  test("a Timestamp converts to unix nanoseconds, a bigint beyond 2^53", () => {
    const convert = transform("TimestampConverter$Value", {
      "target.type": "unix",
      "unix.precision": "nanoseconds",
    });
    const out = convert(
      record({
        value: AT,
        valueSchema: { type: "int64", optional: false, name: "org.apache.kafka.connect.data.Timestamp" },
      }),
    );
    expect(out?.value).toBe(BigInt(AT) * 1_000_000n);
    expect(out?.valueSchema).toEqual({ type: "int64", optional: false });
  });

  test("a whole-key Date converts to text and a Time keeps only the time of day", () => {
    const toText = transform("TimestampConverter$Key", { "target.type": "string", format: "EEE d MMM yyyy" });
    const out = toText(
      record({
        key: 19753,
        keySchema: { type: "int32", optional: false, name: "org.apache.kafka.connect.data.Date" },
      }),
    );
    expect(out?.key).toBe("Wed 31 Jan 2024");
    expect(out?.keySchema).toEqual({ type: "string", optional: false });
    const toTime = transform("TimestampConverter$Value", { "target.type": "Time" });
    expect(toTime(record({ value: AT, valueSchema: { type: "int64", optional: false } }))?.value).toBe(
      ((13 * 60 + 45) * 60 + 6) * 1000 + 789,
    );
  });
});

test("target.type=string without a format is refused naming the key", () => {
  expect(() => transform("TimestampConverter$Value", { "target.type": "string" })).toThrow(
    "transforms.t.format: is required when target.type is string",
  );
});
