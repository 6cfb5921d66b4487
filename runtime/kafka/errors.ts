import { GenericError, MultipleErrors } from "@platformatic/kafka";
import { DataError, ErrorCode, RetriableError, SluiceError } from "../api/errors.ts";

/** Broker error ids that condemn the records of a produce request, not the connection or the cluster. */
const RECORD_ERRORS: ReadonlySet<string> = new Set([
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
  "INVALID_RECORD",
  "CORRUPT_MESSAGE",
  "INVALID_TIMESTAMP",
]);

/** Broker error ids that no retry will fix: privileges and unsupported requests. */
const FATAL_ERRORS: ReadonlySet<string> = new Set([
  "TOPIC_AUTHORIZATION_FAILED",
  "GROUP_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
  "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
  "SASL_AUTHENTICATION_FAILED",
  "UNSUPPORTED_VERSION",
  "INVALID_REQUEST",
  "POLICY_VIOLATION",
  "INVALID_CONFIG",
  "INVALID_PARTITIONS",
  "INVALID_REPLICATION_FACTOR",
  "INVALID_TOPIC_EXCEPTION",
  "GROUP_ID_NOT_FOUND",
  "NON_EMPTY_GROUP",
  "GROUP_SUBSCRIBED_TO_TOPIC",
]);

interface LibraryError extends Error {
  code?: string;
  needsRejoin?: boolean;
  apiId?: string;
  canRetry?: boolean;
  serverErrorMessage?: string | null;
  errors?: unknown[];
}

/** Every leaf error in the library's error tree (MultipleErrors nest). */
function leaves(error: unknown, out: LibraryError[] = []): LibraryError[] {
  if (error instanceof MultipleErrors || (error instanceof AggregateError && Array.isArray(error.errors))) {
    if (error.errors.length === 0) out.push(error as LibraryError);
    for (const inner of error.errors) leaves(inner, out);
  } else if (error instanceof Error) {
    out.push(error as LibraryError);
  }
  return out;
}

function describe(error: LibraryError): string {
  const server = error.serverErrorMessage ? ` (${error.serverErrorMessage})` : "";
  return error.apiId ? `${error.apiId}: ${error.message}${server}` : error.message;
}

/**
 * Translates an error of the Kafka client library into Sluice's catalogue, prefixing `action` (what
 * Sluice was doing, e.g. `producing to Kafka`):
 *  - a record the broker refuses (too large, invalid) → DataError (DATA_INVALID, not retriable);
 *  - a topic that does not exist → RetriableError (it may be created meanwhile) naming the topic;
 *  - a consumer group that moved on (rebalance in progress, unknown member, stale generation) →
 *    RetriableError;
 *  - missing privileges, unsupported requests, invalid topic settings → EXTERNAL_FATAL;
 *  - a request timeout → TIMEOUT (retriable);
 *  - anything the library marks retriable (network, leader moved, coordinator loading, rebalance) →
 *    RetriableError (EXTERNAL_TRANSIENT);
 *  - any other library error → EXTERNAL_FATAL; a non-library error → INTERNAL.
 * A SluiceError passes through unchanged.
 */
export function toSluiceError(error: unknown, action: string): SluiceError {
  if (error instanceof SluiceError) return error;
  if (!(error instanceof Error) || !GenericError.isGenericError(error)) {
    return new SluiceError(
      ErrorCode.INTERNAL,
      `${action}: ${String(error instanceof Error ? error.message : error)}`,
      {
        cause: error,
      },
    );
  }
  const missing = missingTopicName(error);
  if (missing !== null)
    return new RetriableError(`${action}: topic "${missing}" does not exist`, { cause: error });
  const all = leaves(error);
  const messages = [...new Set(all.map(describe))].join("; ");
  const text = `${action}: ${messages}`;
  const ids = new Set(all.map((leaf) => leaf.apiId).filter((id): id is string => id !== undefined));
  if ([...ids].some((id) => RECORD_ERRORS.has(id))) return new DataError(text, { cause: error });
  // The group moved on (rebalance, expired member): the work is redone after the member rejoins.
  if (all.some((leaf) => leaf.needsRejoin === true)) return new RetriableError(text, { cause: error });
  if (
    [...ids].some((id) => FATAL_ERRORS.has(id)) ||
    all.some((leaf) => leaf.code === "PLT_KFK_AUTHENTICATION")
  ) {
    return new SluiceError(ErrorCode.EXTERNAL_FATAL, text, { cause: error });
  }
  if (all.some((leaf) => leaf.code === "PLT_KFK_TIMEOUT" || leaf.apiId === "REQUEST_TIMED_OUT")) {
    return new SluiceError(ErrorCode.TIMEOUT, text, { cause: error });
  }
  if (all.some((leaf) => leaf.code === "PLT_KFK_USER")) {
    return new SluiceError(ErrorCode.INTERNAL, text, { cause: error });
  }
  if (all.every((leaf) => leaf.canRetry !== false)) return new RetriableError(text, { cause: error });
  return new SluiceError(ErrorCode.EXTERNAL_FATAL, text, { cause: error });
}

/** The broker error id carried by a library error (e.g. `OFFSET_OUT_OF_RANGE`), if any. */
export function brokerErrorIds(error: unknown): Set<string> {
  return new Set(
    leaves(error)
      .map((leaf) => leaf.apiId)
      .filter((id): id is string => id !== undefined),
  );
}

/**
 * The topic a library error says does not exist, if it says so: the library retries the broker's
 * UNKNOWN_TOPIC_OR_PARTITION, then reports "Unknown topic <name>.".
 */
export function missingTopicName(error: unknown): string | null {
  for (const leaf of leaves(error)) {
    const match = /^Unknown topic (.+)\.$/.exec(leaf.message);
    if (match?.[1] !== undefined) return match[1];
  }
  return null;
}
