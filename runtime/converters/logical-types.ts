import type { Schema } from "../api/records.ts";

/**
 * Kafka Connect's logical types, and how Sluice holds their values. A logical value is the value its
 * schema's underlying type carries, so that converters and transforms need no extra classes:
 *  - Decimal (`bytes` underneath): a decimal string such as `"-12.30"`, exact at any precision; the
 *    schema's `scale` parameter says how many fractional digits it has on the wire.
 *  - Date (`int32`): days since 1970-01-01.
 *  - Time (`int32`): milliseconds since midnight.
 *  - Timestamp (`int64`): milliseconds since the epoch.
 */
export const DECIMAL = "org.apache.kafka.connect.data.Decimal";
export const DATE = "org.apache.kafka.connect.data.Date";
export const TIME = "org.apache.kafka.connect.data.Time";
export const TIMESTAMP = "org.apache.kafka.connect.data.Timestamp";

export const MILLIS_PER_DAY = 86_400_000;

/** The schema of a Timestamp logical value. */
export function timestampSchema(optional: boolean): Schema {
  return { type: "int64", optional, name: TIMESTAMP, version: 1 };
}

/** The schema of a Date logical value. */
export function dateSchema(optional: boolean): Schema {
  return { type: "int32", optional, name: DATE, version: 1 };
}

/** The schema of a Time logical value. */
export function timeSchema(optional: boolean): Schema {
  return { type: "int32", optional, name: TIME, version: 1 };
}
