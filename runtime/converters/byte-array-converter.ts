import { ConfigDef } from "../api/config.ts";
import { DataError } from "../api/errors.ts";
import type { Schema } from "../api/records.ts";
import type { Converter } from "./converter.ts";
import { describeKind } from "./values.ts";

export const byteArrayConverterConfig = new ConfigDef();

const OPTIONAL_BYTES: Schema = { type: "bytes", optional: true };

/**
 * Kafka Connect's org.apache.kafka.connect.converters.ByteArrayConverter: passes bytes through
 * unchanged. Writing anything but a Uint8Array (or null), or under a schema that is not `bytes`, raises
 * DataError; reading yields the bytes under an optional `bytes` schema.
 */
export class ByteArrayConverter implements Converter {
  fromConnectData(topic: string, schema: Schema | undefined, value: unknown): Uint8Array | null {
    if (schema !== undefined && schema.type !== "bytes") {
      throw new DataError(`ByteArrayConverter for topic "${topic}": the schema is ${schema.type}, not bytes`);
    }
    if (value === null || value === undefined) return null;
    if (!(value instanceof Uint8Array)) {
      throw new DataError(
        `ByteArrayConverter for topic "${topic}": expected a Uint8Array, got ${describeKind(value)}`,
      );
    }
    return value;
  }

  toConnectData(_topic: string, data: Uint8Array | null): { schema?: Schema; value: unknown } {
    return { schema: OPTIONAL_BYTES, value: data };
  }
}
