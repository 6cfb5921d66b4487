import type { ConnectorOffset } from "../herder.ts";

/** Where to move a sink connector's consumer offsets: the log start, the log end, or a point in time. */
export type OffsetTarget = "earliest" | "latest" | { timestamp: number };

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses `earliest`, `latest` or an ISO 8601 date-time with a zone; undefined when it is none of them. */
export function parseOffsetTarget(text: string): OffsetTarget | undefined {
  if (text === "earliest" || text === "latest") return text;
  if (!ISO_DATE_TIME.test(text)) return undefined;
  const timestamp = Date.parse(text);
  return Number.isNaN(timestamp) ? undefined : { timestamp };
}

/**
 * A Herder that can say where a sink connector's offsets would be at a target, so that
 * `GET /connectors/{name}/offsets/lookup?to=` can answer a body ready for `PATCH .../offsets`.
 * Proposed as a Herder method; until the Herder declares it, the REST layer calls it when present.
 */
export interface OffsetLookup {
  /**
   * For every partition of the sink connector's topics: `{kafka_topic, kafka_partition}` and
   * `{kafka_offset}` of the first record at or after the target (the log end when there is none).
   * Throws BAD_REQUEST for a source connector, CONNECTOR_NOT_FOUND for an unknown name.
   */
  connectorOffsetsAt(name: string, to: OffsetTarget): Promise<ConnectorOffset[]>;
}
