import { createHash } from "node:crypto";
import { DataError, isTombstone, jsonText, type SinkRecord } from "../../runtime/api/index.ts";
import { KEYED_TYPES, type RedisSettings } from "./config.ts";

export type Argument = string | Buffer;

/** One Redis command: its name and arguments, as `call` takes them. */
export type Command = readonly [name: string, ...args: Argument[]];

/**
 * A Lua script the sink runs by its SHA1 (EVALSHA), so that its text is not sent, and hashed by Redis,
 * with every record. Redis forgets scripts on restart or SCRIPT FLUSH; the task then loads `SCRIPTS`
 * (SCRIPT LOAD) and runs the batch again.
 */
export class Script {
  readonly text: string;
  readonly sha: string;

  constructor(text: string) {
    this.text = text;
    this.sha = createHash("sha1").update(text).digest("hex");
  }
}

/**
 * HASH: replaces the hash at KEYS[1] by the field/value pairs ARGV[2..], atomically, and sets its expiry
 * to ARGV[1] seconds when positive. HSET is called with at most 500 pairs at a time (Lua's unpack limit).
 */
export const REPLACE_HASH = new Script(`redis.call('DEL', KEYS[1])
if #ARGV > 1 then
  for i = 2, #ARGV, 1000 do
    redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
  end
  if tonumber(ARGV[1]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
end
return 1`);

/**
 * STREAM: appends the field/value pairs ARGV[4..] to the stream KEYS[1] unless the hash KEYS[2] records
 * that Kafka position ARGV[2] of topic-partition ARGV[1] (or a later one) is in the stream already; then
 * records it. ARGV[3]: expiry of both keys in seconds when positive. Returns 1 when appended, 0 when not.
 */
export const APPEND_TO_STREAM = new Script(`local last = redis.call('HGET', KEYS[2], ARGV[1])
if last and tonumber(last) >= tonumber(ARGV[2]) then return 0 end
redis.call('XADD', KEYS[1], '*', unpack(ARGV, 4))
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if tonumber(ARGV[3]) > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
return 1`);

/** Every script the sink's commands run. */
export const SCRIPTS: readonly Script[] = [REPLACE_HASH, APPEND_TO_STREAM];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

function isPrimitive(value: unknown): value is string | number | bigint | boolean {
  return (
    typeof value === "string" ||
    typeof value === "number" ||
    typeof value === "bigint" ||
    typeof value === "boolean"
  );
}

/** What a record asks of Redis: write a value, or delete its key or member. */
export type Change = { readonly kind: "write"; readonly value: unknown } | { readonly kind: "delete" };

/**
 * The change a record stands for. Deletes: a tombstone; a row that ExtractNewRecordState rewrote with
 * `__deleted: "true"`; a raw Debezium change event with `op: "d"`. A raw Debezium event otherwise writes
 * its `after` row; any other value is written as it is.
 */
export function changeOf(record: SinkRecord): Change {
  if (isTombstone(record)) return { kind: "delete" };
  const value = record.value;
  if (!isPlainObject(value)) return { kind: "write", value };
  if (value.__deleted === "true" || value.__deleted === true) return { kind: "delete" };
  const isDebeziumEvent = typeof value.op === "string" && "before" in value && "after" in value;
  if (!isDebeziumEvent) return { kind: "write", value };
  if (value.op === "d" || value.after === null || value.after === undefined) return { kind: "delete" };
  return { kind: "write", value: value.after };
}

/**
 * The text of a record key: a string, number or boolean as its text; bytes as they are; a struct or map
 * with one field as that field's text (Debezium's single-column primary keys); any other struct as its
 * JSON text.
 */
export function keyText(key: unknown): Argument {
  if (key === null || key === undefined) {
    throw new DataError("the record has no key; it names the Redis key or member");
  }
  if (isPrimitive(key)) return String(key);
  if (key instanceof Uint8Array) return Buffer.from(key);
  const fields = isPlainObject(key) ? Object.values(key) : [];
  const only = fields.length === 1 ? fields[0] : undefined;
  return isPrimitive(only) ? String(only) : jsonText(key);
}

/** A value as the text of a hash field or stream field; null when the field is to be left out. */
function fieldText(value: unknown): Argument | null {
  if (value === null || value === undefined) return null;
  if (isPrimitive(value)) return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value);
  return jsonText(value);
}

/** The name/value pairs of an object value, nulls left out; a non-object value is one field, `value`. */
function fieldPairs(value: unknown): Argument[] {
  const entries = isPlainObject(value) ? Object.entries(value) : [["value", value] as const];
  const pairs: Argument[] = [];
  for (const [name, field] of entries) {
    const text = fieldText(field);
    if (text !== null) pairs.push(name, text);
  }
  return pairs;
}

function stringText(value: unknown): Argument {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  return jsonText(value);
}

function score(value: unknown): string {
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if ((typeof number === "number" && !Number.isNaN(number)) || typeof number === "bigint")
    return String(number);
  throw new DataError(
    `ZSET needs a number as the record value (the member's score); got ${jsonText(value) ?? typeof value}`,
  );
}

function join(prefix: string, separator: string, key: Argument): Argument {
  if (prefix === "") return key;
  return typeof key === "string"
    ? `${prefix}${separator}${key}`
    : Buffer.concat([Buffer.from(prefix + separator), key]);
}

/**
 * The commands that apply one record under `keyspace`, in order (none for a tombstone in a STREAM). Throws
 * DataError when the record does not fit the type: no key where the key is needed, a HASH value that is
 * not an object, a ZSET value that is not a number.
 */
export function commandsOf(record: SinkRecord, settings: RedisSettings, keyspace: string): Command[] {
  const change = changeOf(record);
  const ttl = settings.ttlSeconds === null ? "-1" : String(settings.ttlSeconds);
  const expire = (key: Argument): Command[] => (settings.ttlSeconds === null ? [] : [["EXPIRE", key, ttl]]);
  if (settings.type === "STREAM") {
    if (change.kind === "delete") return [];
    const pairs = fieldPairs(change.value);
    if (pairs.length === 0)
      throw new DataError("the record value has no non-null field to append to the stream");
    const position = [`${record.topic}/${record.kafkaPartition}`, String(record.kafkaOffset), ttl];
    const offsetsKey = `${keyspace}${settings.separator}kafka-offsets`;
    return [["EVALSHA", APPEND_TO_STREAM.sha, "2", keyspace, offsetsKey, ...position, ...pairs]];
  }
  if (KEYED_TYPES.has(settings.type)) {
    const key = join(keyspace, settings.separator, keyText(record.key));
    if (change.kind === "delete") return [["DEL", key]];
    switch (settings.type) {
      case "STRING":
        return [["SET", key, stringText(change.value), ...(settings.ttlSeconds === null ? [] : ["EX", ttl])]];
      case "HASH":
        if (!isPlainObject(change.value)) {
          throw new DataError(
            `HASH needs a struct or map as the record value; got ${jsonText(change.value) ?? typeof change.value}`,
          );
        }
        return [["EVALSHA", REPLACE_HASH.sha, "1", key, ttl, ...fieldPairs(change.value)]];
      default:
        return [["JSON.SET", key, "$", jsonText(change.value)], ...expire(key)];
    }
  }
  const member = keyText(record.key);
  switch (settings.type) {
    case "SET":
      return change.kind === "delete"
        ? [["SREM", keyspace, member]]
        : [["SADD", keyspace, member], ...expire(keyspace)];
    case "ZSET":
      return change.kind === "delete"
        ? [["ZREM", keyspace, member]]
        : [["ZADD", keyspace, score(change.value), member], ...expire(keyspace)];
    default:
      return change.kind === "delete"
        ? [["LREM", keyspace, "0", member]]
        : [["LREM", keyspace, "0", member], ["RPUSH", keyspace, member], ...expire(keyspace)];
  }
}
