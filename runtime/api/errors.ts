/**
 * The one error catalogue of Sluice. Every error the engine or a connector raises on purpose is a
 * `SluiceError` with a stable `code`, a `retriable` flag that steers control flow (retry with backoff
 * vs. fail or dead-letter), and the underlying `cause`. HTTP statuses are mapped from codes in one
 * place, in the REST layer.
 */
export const ErrorCode = {
  /** A config value is missing, malformed or refused by a validator; `fieldErrors` names each field. */
  CONFIG_INVALID: "CONFIG_INVALID",
  /** No connector of that name. */
  CONNECTOR_NOT_FOUND: "CONNECTOR_NOT_FOUND",
  /** A connector of that name exists already. */
  CONNECTOR_EXISTS: "CONNECTOR_EXISTS",
  /** No task of that id for the connector. */
  TASK_NOT_FOUND: "TASK_NOT_FOUND",
  /** No connector plugin answers to that class name or alias. */
  PLUGIN_NOT_FOUND: "PLUGIN_NOT_FOUND",
  /** The request is refused in the connector's current state (e.g. altering offsets while it runs). */
  STATE_CONFLICT: "STATE_CONFLICT",
  /** The request itself is malformed. */
  BAD_REQUEST: "BAD_REQUEST",
  /** Missing or wrong credentials. */
  UNAUTHORIZED: "UNAUTHORIZED",
  /** One record cannot be converted, transformed or written; it may go to the dead-letter topic. */
  DATA_INVALID: "DATA_INVALID",
  /** An external system failed in a way that may succeed on retry (timeouts, 429/5xx, leader changes). */
  EXTERNAL_TRANSIENT: "EXTERNAL_TRANSIENT",
  /** An external system refused the work and retrying will not help (auth, missing privileges). */
  EXTERNAL_FATAL: "EXTERNAL_FATAL",
  /** A call did not finish in time. */
  TIMEOUT: "TIMEOUT",
  /** The work was cancelled through its AbortSignal. */
  ABORTED: "ABORTED",
  /** A bug or an unexpected state in Sluice itself. */
  INTERNAL: "INTERNAL",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const RETRIABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.EXTERNAL_TRANSIENT,
  ErrorCode.TIMEOUT,
]);

export interface SluiceErrorOptions {
  cause?: unknown;
  /** Overrides the code's default (true only for EXTERNAL_TRANSIENT and TIMEOUT). */
  retriable?: boolean;
}

export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SluiceError";
    this.code = code;
    this.retriable = options.retriable ?? RETRIABLE_BY_DEFAULT.has(code);
  }
}

/** One rejected config field: its key and what to fix. */
export interface FieldError {
  field: string;
  message: string;
}

/** A config was refused; `fieldErrors` lists every bad field, not only the first. */
export class ConfigError extends SluiceError {
  readonly fieldErrors: readonly FieldError[];

  constructor(fieldErrors: readonly FieldError[], options: SluiceErrorOptions = {}) {
    super(ErrorCode.CONFIG_INVALID, fieldErrors.map((e) => `${e.field}: ${e.message}`).join("; "), options);
    this.name = "ConfigError";
    this.fieldErrors = fieldErrors;
  }
}

/** A failure that may succeed if the same call is tried again later. */
export class RetriableError extends SluiceError {
  constructor(message: string, options: Omit<SluiceErrorOptions, "retriable"> = {}) {
    super(ErrorCode.EXTERNAL_TRANSIENT, message, { ...options, retriable: true });
    this.name = "RetriableError";
  }
}

/** One record cannot be handled; with errors.tolerance=all it goes to the dead-letter topic. */
export class DataError extends SluiceError {
  constructor(message: string, options: Omit<SluiceErrorOptions, "retriable"> = {}) {
    super(ErrorCode.DATA_INVALID, message, { ...options, retriable: false });
    this.name = "DataError";
  }
}

/** True when `error` says that the same call may succeed later. */
export function isRetriable(error: unknown): boolean {
  return error instanceof SluiceError && error.retriable;
}

/** The error's class name, for the DLQ's exception header and the task's status trace. */
export function errorClassName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
