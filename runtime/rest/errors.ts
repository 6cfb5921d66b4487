import type { FastifyReply, FastifySchemaValidationError } from "fastify";
import { type ErrorCode, SluiceError } from "../api/index.ts";
import { CONNECTOR_NAME_PATTERN } from "./schemas.ts";

/**
 * The one place where error codes become HTTP statuses. STATE_CONFLICT is 400, not 409: Kafka Connect
 * answers a request to alter or reset the offsets of a connector that is not STOPPED with 400
 * (BadRequestException), and that refusal is what STATE_CONFLICT stands for.
 */
const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  CONFIG_INVALID: 400,
  CONNECTOR_NOT_FOUND: 404,
  CONNECTOR_EXISTS: 409,
  TASK_NOT_FOUND: 404,
  PLUGIN_NOT_FOUND: 404,
  STATE_CONFLICT: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  DATA_INVALID: 500,
  EXTERNAL_TRANSIENT: 500,
  EXTERNAL_FATAL: 500,
  TIMEOUT: 500,
  ABORTED: 500,
  INTERNAL: 500,
};

/** Kafka Connect's error body. */
export interface ErrorBody {
  error_code: number;
  message: string;
}

/** The status and body for any error a route, hook or Fastify itself raised. */
export function toHttpError(error: unknown): ErrorBody {
  if (error instanceof SluiceError) return { error_code: STATUS_BY_CODE[error.code], message: error.message };
  if (error instanceof Error) {
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === "number" && status >= 400 && status <= 599) {
      return { error_code: status, message: error.message };
    }
    return { error_code: 500, message: error.message || error.name };
  }
  return { error_code: 500, message: String(error) };
}

/** An error with its own status, for refusals that have no SluiceError code (an unknown logger). */
export function httpError(status: number, message: string): Error {
  return Object.assign(new Error(message), { statusCode: status });
}

export function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const body = toHttpError(error);
  return reply.code(body.error_code).type("application/json; charset=utf-8").send(body);
}

/** What a failed `pattern` means, for the patterns our schemas use. */
const PATTERN_MEANINGS: Readonly<Record<string, string>> = {
  [CONNECTOR_NAME_PATTERN]: "must not contain control characters or '/'",
};

/**
 * Fastify's `schemaErrorFormatter`: one message that names the offending field as a path from the
 * part of the request it is in, e.g. `body/config/tasks.max must be string`.
 */
export function formatValidationError(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const first = errors[0];
  if (first === undefined) return new Error(`${dataVar} is invalid`);
  const params = first.params as Record<string, unknown>;
  let field = dataVar + first.instancePath;
  let problem = first.message ?? "is invalid";
  if (first.keyword === "required") {
    field += `/${String(params.missingProperty)}`;
    problem = "is required";
  } else if (first.keyword === "additionalProperties") {
    field += `/${String(params.additionalProperty)}`;
    problem = "is not allowed";
  } else if (first.keyword === "type") {
    problem = `must be ${String(params.type).split(",").join(" or ")}`;
  } else if (first.keyword === "enum") {
    problem = `must be one of ${(params.allowedValues as unknown[]).join(", ")}`;
  } else if (first.keyword === "pattern") {
    problem = PATTERN_MEANINGS[String(params.pattern)] ?? problem;
  }
  return new Error(`${field} ${problem}`);
}
