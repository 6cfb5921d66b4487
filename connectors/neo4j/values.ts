import { DateTime, type Integer, int } from "neo4j-driver";
import { DataError, type Header, type Schema, type SinkRecord } from "../../runtime/api/index.ts";

/** Neo4j's integers are 64-bit. */
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const FLOAT_TYPES: ReadonlySet<string> = new Set(["float32", "float64"]);

/**
 * A record value as a Bolt parameter. A JavaScript number is sent as an integer when its schema says
 * so or, without a schema, when it is whole (Bolt would send every number as a float); bytes become
 * Neo4j byte arrays; objects and Maps become maps. Throws a DataError naming where in the value
 * something has no Neo4j equivalent (`at address.lines[2]`).
 */
export function toNeo4j(value: unknown, schema?: Schema): unknown {
  try {
    return convert(value, schema);
  } catch (error) {
    if (!(error instanceof Unconvertible)) throw error;
    throw new DataError(
      `${error.what} ${error.path === "" ? "in the record" : `at ${error.path}`} ${error.why}`,
    );
  }
}

/**
 * Thrown inside `convert`; each level it passes through puts its own step in front of `path`, so that
 * a path is built only for a value that fails, not for every field of every record.
 */
class Unconvertible extends Error {
  readonly what: string;
  readonly why: string;
  path = "";

  constructor(what: string, why: string) {
    super(`${what} ${why}`);
    this.what = what;
    this.why = why;
  }

  /** Rethrows `error`, an Unconvertible found one step (`.key` or `[i]`) further in, with that step. */
  static within(error: unknown, step: string): never {
    if (error instanceof Unconvertible) {
      const inner = error.path;
      error.path = inner === "" || inner.startsWith("[") ? `${step}${inner}` : `${step}.${inner}`;
    }
    throw error;
  }
}

function convert(value: unknown, schema: Schema | undefined): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "number": {
      const isFloat = schema !== undefined ? FLOAT_TYPES.has(schema.type) : !Number.isInteger(value);
      return isFloat || !Number.isSafeInteger(value) ? value : int(value);
    }
    case "bigint":
      if (value < INT64_MIN || value > INT64_MAX) {
        throw new Unconvertible(String(value), "does not fit Neo4j's 64-bit integers");
      }
      return value;
    case "string":
    case "boolean":
      return value;
  }
  if (value instanceof Uint8Array) return new Int8Array(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      try {
        out[i] = convert(value[i], schema?.items);
      } catch (error) {
        Unconvertible.within(error, `[${i}]`);
      }
    }
    return out;
  }
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) {
      try {
        out[String(k)] = convert(v, schema?.values);
      } catch (error) {
        Unconvertible.within(error, String(k));
      }
    }
    return out;
  }
  if (typeof value === "object") {
    const fields = schema?.type === "struct" ? fieldSchemas(schema) : undefined;
    const out: Record<string, unknown> = {};
    for (const k in value) {
      if (!Object.hasOwn(value, k)) continue;
      try {
        out[k] = convert((value as Record<string, unknown>)[k], fields ? fields.get(k) : schema?.values);
      } catch (error) {
        Unconvertible.within(error, k);
      }
    }
    return out;
  }
  throw new Unconvertible(typeof value, "has no Neo4j equivalent");
}

const FIELD_SCHEMAS = new WeakMap<Schema, ReadonlyMap<string, Schema>>();

/** A struct schema's fields by name, computed once per schema object. */
function fieldSchemas(struct: Schema): ReadonlyMap<string, Schema> {
  let fields = FIELD_SCHEMAS.get(struct);
  if (fields === undefined) {
    fields = new Map((struct.fields ?? []).map((f) => [f.field, f]));
    FIELD_SCHEMAS.set(struct, fields);
  }
  return fields;
}

/** The record's Kafka timestamp as a Neo4j DATETIME in UTC. */
export function timestampOf(record: SinkRecord): DateTime<number> {
  const d = new Date(record.timestamp);
  return new DateTime(
    d.getUTCFullYear(),
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds() * 1_000_000,
    0,
  );
}

/** Headers as a map from key to value; of repeated keys the last wins, as the Neo4j connector has it. */
export function headersOf(headers: readonly Header[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of headers) out[key] = toNeo4j(value);
  return out;
}

/** The four parts of a message as the Cypher strategy binds them, converted for Bolt. */
export type Message = {
  /** Milliseconds since the epoch; the statement turns it into a DATETIME. */
  readonly timestamp: Integer;
  readonly header: Record<string, unknown>;
  readonly key: unknown;
  /** null for a tombstone. */
  readonly value: unknown;
};

export function messageOf(record: SinkRecord): Message {
  return {
    timestamp: int(record.timestamp),
    header: headersOf(record.headers),
    key: toNeo4j(record.key, record.keySchema),
    value: toNeo4j(record.value, record.valueSchema),
  };
}

/** True for a map as `toNeo4j` returns it (not an array, bytes, integer or temporal value). */
export function isMap(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Nested maps flattened into dotted keys under `prefix`: `{a: {b: 1}}` → `prefix.a.b`. A value that is
 * not a map stays whole under `prefix` itself.
 */
export function flattenInto(out: Map<string, unknown>, prefix: string, value: unknown): void {
  if (!isMap(value)) {
    out.set(prefix, value);
    return;
  }
  for (const key in value) {
    if (Object.hasOwn(value, key)) flattenInto(out, `${prefix}.${key}`, value[key]);
  }
}

/** Throws a DataError unless `value` can be stored as a Neo4j property: a scalar or a list of scalars. */
export function checkPropertyValue(name: string, value: unknown): void {
  if (Array.isArray(value)) {
    const bad = value.find((item) => Array.isArray(item) || isMap(item));
    if (bad !== undefined) {
      throw new DataError(
        `property "${name}" is a list of ${Array.isArray(bad) ? "lists" : "maps"}; Neo4j properties are scalars or lists of scalars`,
      );
    }
  }
}
