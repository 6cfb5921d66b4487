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
