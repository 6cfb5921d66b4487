import { randomBytes } from "node:crypto";
import { deflateRawSync } from "node:zlib";
import avsc from "avsc";
import { DataError, type Schema, type SinkRecord } from "../../runtime/api/index.ts";
import type { FileFormat, RecordEncoder } from "./format.ts";
import { type StructSchema, schemaKey, structSchema } from "./struct-schema.ts";

/**
 * Avro object container files (https://avro.apache.org/docs/1.11.1/specification/#object-container-files),
 * deflate-compressed, one block per chunk. The Avro schema is derived from the records' Kafka Connect
 * struct schema as Confluent's AvroData does: int8/16/32 → int, int64 → long (bigints kept exact),
 * float32 → float, float64 → double, optional → union with null (default null), struct → record,
 * array → array, string-keyed map → map.
 */

type AvroSchema = string | Record<string, unknown> | AvroSchema[];

/** Avro longs as JavaScript bigints on write, so int64 values beyond 2^53 stay exact. */
const LONG = avsc.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => buffer.readBigInt64LE(),
  toBuffer: (value: bigint) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64LE(value);
    return buffer;
  },
  fromJSON: (value: unknown) => BigInt(value as number),
  toJSON: (value: bigint) => Number(value),
  isValid: (value: unknown) => typeof value === "bigint",
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const DEFAULT_NAME = "io.confluent.connect.avro.ConnectDefault";

/** The Avro schema of a Connect schema; DataError for names or types Avro cannot hold. */
export function avroSchemaOf(schema: StructSchema): AvroSchema {
  const defined = new Map<string, string>();
  let unnamed = 0;
  const convert = (s: Schema, path: string): AvroSchema => {
    const base = ((): AvroSchema => {
      switch (s.type) {
        case "int8":
        case "int16":
        case "int32":
          return "int";
        case "int64":
          return "long";
        case "float32":
          return "float";
        case "float64":
          return "double";
        case "boolean":
        case "string":
        case "bytes":
          return s.type;
        case "array":
          if (!s.items) throw new DataError(`the array schema at ${path} has no items schema`);
          return { type: "array", items: convert(s.items, `${path}[]`) };
        case "map":
          if (s.keys?.type !== "string" || !s.values) {
            throw new DataError(
              `the map at ${path} needs string keys and a values schema to be written as Avro`,
            );
          }
          return { type: "map", values: convert(s.values, `${path}{}`) };
        case "struct": {
          const name =
            s.name ?? (unnamed++ === 0 && path === "value" ? DEFAULT_NAME : `${DEFAULT_NAME}${unnamed}`);
          if (!AVRO_NAME.test(name))
            throw new DataError(`the struct name "${name}" at ${path} is not a valid Avro name`);
          const fields = (s.fields ?? []).map((field) => {
            if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field.field)) {
              throw new DataError(`the field name "${field.field}" at ${path} is not a valid Avro name`);
            }
            const type = convert(field, `${path}.${field.field}`);
            return field.optional ? { name: field.field, type, default: null } : { name: field.field, type };
          });
          const record = { type: "record", name, fields };
          const text = JSON.stringify(record);
          const earlier = defined.get(name);
          if (earlier === text) return name;
          if (earlier !== undefined)
            throw new DataError(`two different structs are named "${name}" (at ${path})`);
          defined.set(name, text);
          return record;
        }
      }
    })();
    return s.optional ? ["null", base] : base;
  };
  return convert(schema, "value");
}

/** A Connect value as the value avsc writes for `schema`; DataError when it does not fit. */
function avroValue(value: unknown, schema: Schema, path: string): unknown {
  if (value === null || value === undefined) {
    if (schema.optional) return null;
    throw new DataError(`${path} is null but its schema is not optional`);
  }
  switch (schema.type) {
    case "int64":
      if (typeof value === "bigint") return value;
      if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
      throw new DataError(`${path} should be an int64, got ${typeof value}`);
    case "bytes":
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      throw new DataError(`${path} should be bytes, got ${typeof value}`);
    case "array":
      if (!Array.isArray(value)) throw new DataError(`${path} should be an array`);
      return value.map((item, i) => avroValue(item, schema.items as Schema, `${path}[${i}]`));
    case "map": {
      const entries =
        value instanceof Map
          ? [...value.entries()]
          : typeof value === "object"
            ? Object.entries(value)
            : null;
      if (entries === null) throw new DataError(`${path} should be a map`);
      return Object.fromEntries(
        entries.map(([k, v]) => [String(k), avroValue(v, schema.values as Schema, `${path}.${String(k)}`)]),
      );
    }
    case "struct": {
      if (typeof value !== "object") throw new DataError(`${path} should be a struct`);
      const out: Record<string, unknown> = {};
      for (const field of schema.fields ?? []) {
        out[field.field] = avroValue(
          (value as Record<string, unknown>)[field.field],
          field,
          `${path}.${field.field}`,
        );
      }
      return out;
    }
    default:
      return value;
  }
}

// ---- the container file ---------------------------------------------------------------------------

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]);

function zigzagLong(n: number | bigint): Buffer {
  let v = BigInt(n);
  v = v >= 0n ? v << 1n : (-v << 1n) - 1n;
  const bytes: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v > 0n);
  return Buffer.from(bytes);
}

function avroBytes(data: Uint8Array): Buffer {
  return Buffer.concat([zigzagLong(data.length), data]);
}

function header(schemaJson: string, codec: string, sync: Uint8Array): Buffer {
  const meta = [
    ["avro.schema", schemaJson],
    ["avro.codec", codec],
  ] as const;
  return Buffer.concat([
    MAGIC,
    zigzagLong(meta.length),
    ...meta.flatMap(([key, value]) => [avroBytes(Buffer.from(key)), avroBytes(Buffer.from(value))]),
    zigzagLong(0),
    sync,
  ]);
}

/** Reads a container file's header and blocks (data still compressed) without decoding records. */
export function readContainer(file: Uint8Array): {
  schema: string;
  codec: string;
  blocks: Array<{ count: bigint; data: Uint8Array }>;
} {
  const buffer = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  let pos = 0;
  const long = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buffer.length) throw new Error("truncated Avro file");
      const byte = buffer[pos++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if ((byte & 0x80) === 0) break;
    }
    return (result >> 1n) ^ -(result & 1n);
  };
  const bytes = (length: number): Buffer => {
    if (pos + length > buffer.length) throw new Error("truncated Avro file");
    const out = buffer.subarray(pos, pos + length);
    pos += length;
    return out;
  };
  if (!bytes(4).equals(MAGIC)) throw new Error("not an Avro object container file");
  const meta = new Map<string, string>();
  for (let count = long(); count !== 0n; count = long()) {
    if (count < 0n) {
      count = -count;
      long();
    }
    for (let i = 0n; i < count; i++) {
      const key = bytes(Number(long())).toString();
      meta.set(key, bytes(Number(long())).toString());
    }
  }
  const sync = bytes(16);
  const blocks: Array<{ count: bigint; data: Uint8Array }> = [];
  while (pos < buffer.length) {
    const count = long();
    const data = bytes(Number(long()));
    if (!bytes(16).equals(sync)) throw new Error("Avro block without the file's sync marker");
    blocks.push({ count, data });
  }
  return { schema: meta.get("avro.schema") ?? "", codec: meta.get("avro.codec") ?? "null", blocks };
}

class AvroEncoder implements RecordEncoder {
  readonly #schema: StructSchema;
  readonly #type: avsc.Type;
  readonly #sync = randomBytes(16);
  #header: Buffer | null;
  #records: Buffer[] = [];
  #buffered = 0;

  constructor(first: SinkRecord) {
    this.#schema = structSchema(first, "format.class=avro");
    const avroSchema = avroSchemaOf(this.#schema);
    this.#type = avsc.Type.forSchema(avroSchema as avsc.schema.AvroSchema, { registry: { long: LONG } });
    this.#header = header(JSON.stringify(avroSchema), "deflate", this.#sync);
  }

  get bufferedBytes(): number {
    return this.#buffered;
  }

  write(record: SinkRecord): void {
    let encoded: Buffer;
    try {
      encoded = this.#type.toBuffer(avroValue(record.value, { ...this.#schema, optional: false }, "value"));
    } catch (error) {
      throw new DataError(
        `record ${record.topic}-${record.kafkaPartition}@${record.kafkaOffset} does not fit its Avro schema: ${(error as Error).message}`,
        { cause: error },
      );
    }
    this.#records.push(encoded);
    this.#buffered += encoded.length;
  }

  take(): Uint8Array {
    const parts: Buffer[] = [];
    if (this.#header !== null) {
      parts.push(this.#header);
      this.#header = null;
    }
    if (this.#records.length > 0) {
      const data = deflateRawSync(Buffer.concat(this.#records));
      parts.push(zigzagLong(this.#records.length), avroBytes(data), this.#sync);
      this.#records = [];
      this.#buffered = 0;
    }
    return Buffer.concat(parts);
  }

  finish(): Uint8Array {
    return this.take();
  }
}

export const avroFormat: FileFormat = {
  name: "avro",
  extension: "avro",
  fileKey: schemaKey,
  createEncoder: (first) => new AvroEncoder(first),
  // Every container file starts with a header, so a concatenation of whole files is never one: rewrite.
  merging: {
    kind: "rewrite",
    mergeKey: async (file) => {
      const { schema, codec } = readContainer(file);
      return `${codec}\n${schema}`;
    },
    merge: async (files) => {
      const containers = files.map(readContainer);
      const first = containers[0];
      if (first === undefined) throw new Error("nothing to merge");
      const sync = randomBytes(16);
      return Buffer.concat([
        header(first.schema, first.codec, sync),
        ...containers.flatMap((c) => c.blocks.flatMap((b) => [zigzagLong(b.count), avroBytes(b.data), sync])),
      ]);
    },
  },
};
