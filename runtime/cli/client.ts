import { RefusedError, UnreachableError, UsageError } from "./errors.ts";

export type ClientAuth =
  | { type: "none" }
  | { type: "bearer"; token: string }
  | { type: "basic"; username: string; password: string };

export interface ClientResponse {
  status: number;
  /** The parsed JSON body; undefined when the answer had none. */
  body: unknown;
}

/** Longest wait for one answer; Kafka Connect's own request timeout is 90 s. */
const REQUEST_TIMEOUT_MS = 120_000;

function authorization(auth: ClientAuth): string | undefined {
  if (auth.type === "bearer") return `Bearer ${auth.token}`;
  if (auth.type === "basic") {
    return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
  }
  return undefined;
}

function describeFailure(error: unknown): string {
  if (error instanceof Error && error.name === "TimeoutError") {
    return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  }
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) return (cause as NodeJS.ErrnoException).code ?? cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** A client of a worker's REST API: JSON in and out, errors as CliErrors. */
export class RestClient {
  readonly #baseUrl: URL;
  readonly #authorization: string | undefined;

  constructor(baseUrl: string, auth: ClientAuth) {
    if (!URL.canParse(baseUrl)) throw new UsageError(`--url ${baseUrl} is not a URL`);
    this.#baseUrl = new URL(baseUrl);
    this.#authorization = authorization(auth);
  }

  /**
   * Sends one request. Resolves with any 2xx answer; throws RefusedError with the worker's message for
   * any other status, UnreachableError when no answer came.
   */
  async request(method: string, path: string, body?: unknown): Promise<ClientResponse> {
    const url = new URL(path, this.#baseUrl);
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.#authorization !== undefined) headers.authorization = this.#authorization;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      text = await response.text();
    } catch (error) {
      throw new UnreachableError(
        `cannot reach the worker at ${this.#baseUrl.origin}: ${describeFailure(error)}`,
        {
          cause: error,
        },
      );
    }
    const parsed = parseJson(text);
    if (!response.ok) {
      const message =
        typeof parsed === "object" &&
        parsed !== null &&
        "message" in parsed &&
        typeof parsed.message === "string"
          ? parsed.message
          : text || response.statusText;
      throw new RefusedError(response.status, message);
    }
    return { status: response.status, body: parsed };
  }
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
