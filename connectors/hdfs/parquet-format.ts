import { ByteWriter, type ColumnSource, ParquetWriter, type SchemaElement } from "hyparquet-writer";
import { DataError, type Schema, type SinkRecord } from "../../runtime/api/index.ts";
import type { FileFormat, RecordEncoder } from "./format.ts";
import { concatenationFooter, footerMergeKey, readFooter } from "./parquet-footer.ts";
import { type StructSchema, schemaKey, structSchema } from "./struct-schema.ts";

/**
 * Parquet files (SNAPPY) written with hyparquet-writer, one row group per chunk. Each top-level field of
 * the records' Kafka Connect struct schema is a column: int8/16/32 → INT32, int64 → INT64
 * (org.apache.kafka.connect.data.Timestamp → TIMESTAMP_MILLIS), float32 → FLOAT, float64 → DOUBLE,
 * boolean → BOOLEAN, string → UTF8, bytes → BYTE_ARRAY; structs, arrays and maps are JSON columns.
 * Optional fields are OPTIONAL columns.
 */

const TIMESTAMP = "org.apache.kafka.connect.data.Timestamp";

interface Column {
  name: string;
  element: SchemaElement;
  /** The column value of a field value; throws a message when the value does not fit. */
  convert(value: unknown): unknown;
}

function integer(min: number, max: number): (value: unknown) => unknown {
  return (value) => {
    if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
    throw new Error(
      `should be a whole number in [${min}, ${max}], got ${JSON.stringify(typeof value === "bigint" ? String(value) : value)}`,
    );
  };
}

function typed(kind: string, check: (value: unknown) => boolean): (value: unknown) => unknown {
  return (value) => {
    if (check(value)) return value;
    throw new Error(`should be ${kind}, got ${typeof value}`);
  };
}

function int64(value: unknown): unknown {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  throw new Error(`should be an int64, got ${typeof value}`);
}

function columnOf(field: Schema & { field: string }): Column {
  const repetition_type = field.optional ? "OPTIONAL" : "REQUIRED";
  const base = { name: field.field, repetition_type } as const;
  switch (field.type) {
    case "int8":
      return {
        name: field.field,
        element: { ...base, type: "INT32", converted_type: "INT_8" },
        convert: integer(-128, 127),
      };
    case "int16":
      return {
        name: field.field,
        element: { ...base, type: "INT32", converted_type: "INT_16" },
        convert: integer(-32768, 32767),
      };
    case "int32":
      return {
        name: field.field,
        element: { ...base, type: "INT32" },
        convert: integer(-(2 ** 31), 2 ** 31 - 1),
      };
    case "int64":
      return {
        name: field.field,
        element:
          field.name === TIMESTAMP
            ? { ...base, type: "INT64", converted_type: "TIMESTAMP_MILLIS" }
            : { ...base, type: "INT64" },
        convert: int64,
      };
    case "float32":
      return {
        name: field.field,
        element: { ...base, type: "FLOAT" },
        convert: typed("a number", (v) => typeof v === "number"),
      };
    case "float64":
      return {
        name: field.field,
        element: { ...base, type: "DOUBLE" },
        convert: typed("a number", (v) => typeof v === "number"),
      };
    case "boolean":
      return {
        name: field.field,
        element: { ...base, type: "BOOLEAN" },
        convert: typed("a boolean", (v) => typeof v === "boolean"),
      };
    case "string":
      return {
        name: field.field,
        element: { ...base, type: "BYTE_ARRAY", converted_type: "UTF8" },
        convert: typed("a string", (v) => typeof v === "string"),
      };
    case "bytes":
      return {
        name: field.field,
        element: { ...base, type: "BYTE_ARRAY" },
        convert: typed("bytes", (v) => v instanceof Uint8Array),
      };
    default:
      return {
        name: field.field,
        element: { ...base, type: "BYTE_ARRAY", converted_type: "JSON" },
        convert: typed("a JSON value", (v) => typeof v === "object"),
      };
  }
}

class ParquetEncoder implements RecordEncoder {
  readonly #columns: Column[];
  readonly #data: unknown[][];
  readonly #bytes = new ByteWriter();
  readonly #writer: ParquetWriter;
  #rows = 0;
  #buffered = 0;

  constructor(first: SinkRecord) {
    const schema: StructSchema = structSchema(first, "format.class=parquet");
    if (schema.fields.length === 0)
      throw new DataError("format.class=parquet needs a struct with at least one field");
    this.#columns = schema.fields.map(columnOf);
    this.#data = this.#columns.map(() => []);
    this.#writer = new ParquetWriter({
      writer: this.#bytes,
      schema: [{ name: "root", num_children: this.#columns.length }, ...this.#columns.map((c) => c.element)],
      createdBy: "sluice hdfs sink",
    });
  }

  get bufferedBytes(): number {
    return this.#buffered;
  }

  write(record: SinkRecord): void {
    const value = record.value as Record<string, unknown>;
    const row = this.#columns.map((column) => {
      const field = typeof value === "object" && value !== null ? value[column.name] : undefined;
      if (field === null || field === undefined) {
        if (column.element.repetition_type === "OPTIONAL") return null;
        throw new DataError(
          `record ${record.topic}-${record.kafkaPartition}@${record.kafkaOffset} has no value for the required field ${column.name}`,
        );
      }
      try {
        return column.convert(field);
      } catch (error) {
        throw new DataError(
          `record ${record.topic}-${record.kafkaPartition}@${record.kafkaOffset}: field ${column.name} ${(error as Error).message}`,
        );
      }
    });
    row.forEach((cell, i) => {
      this.#data[i]?.push(cell);
    });
    this.#rows++;
    // A rough size for chunking; the encoded row group is usually much smaller.
    this.#buffered +=
      16 * row.length + row.reduce<number>((n, cell) => n + (typeof cell === "string" ? cell.length : 0), 0);
  }

  #drain(): Uint8Array {
    const bytes = this.#bytes.getBytes().slice();
    this.#bytes.index = 0;
    return bytes;
  }

  /** Writes the buffered rows as one row group. */
  take(): Uint8Array {
    if (this.#rows > 0) {
      const columnData: ColumnSource[] = this.#columns.map((column, i) => ({
        name: column.name,
        data: this.#data[i] as unknown[] as ColumnSource["data"],
      }));
      void this.#writer.write({ columnData, rowGroupSize: this.#rows });
      for (const column of this.#data) column.length = 0;
      this.#rows = 0;
      this.#buffered = 0;
    }
    return this.#drain();
  }

  finish(): Uint8Array {
    const rest = this.take();
    void this.#writer.finish();
    return Buffer.concat([rest, this.#drain()]);
  }
}

export const parquetFormat: FileFormat = {
  name: "parquet",
  extension: "parquet",
  fileKey: schemaKey,
  createEncoder: (first) => new ParquetEncoder(first),
  // Row groups are found through the footer's offsets, so the files plus a new footer are one file.
  merging: {
    kind: "concat",
    summary: readFooter,
    mergeKey: footerMergeKey,
    trailer: (files) =>
      concatenationFooter(files.map((file) => ({ length: file.length, footer: file.summary }))),
  },
};
