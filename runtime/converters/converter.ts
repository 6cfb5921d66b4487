import type { Schema } from "../api/records.ts";

/**
 * Turns a record's key or value into Kafka bytes and back, as Kafka Connect's Converter does. One
 * instance serves either keys or values (it is created for one of them) and may serve many topics.
 */
export interface Converter {
  /**
   * The bytes to write for `value` under `schema` (undefined: schemaless). Null means "no bytes", e.g.
   * for a tombstone's value. Throws DataError when the value does not fit the schema or has no encoding.
   */
  fromConnectData(topic: string, schema: Schema | undefined, value: unknown): Uint8Array | null;
  /**
   * The schema (absent when the bytes carry none) and value read from `data`; null data (a tombstone)
   * reads as a null value. Throws DataError saying what is wrong with malformed bytes.
   */
  toConnectData(topic: string, data: Uint8Array | null): { schema?: Schema; value: unknown };
}
