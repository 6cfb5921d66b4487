import { Client, type ClientOptions, errors, Transport } from "@elastic/elasticsearch";
import type { ElasticsearchSettings } from "./config.ts";

type TransportOptions = ConstructorParameters<typeof Transport>[0];
type UndiciAgentOptions = Exclude<
  NonNullable<ClientOptions["agent"]>,
  false | ((...args: never[]) => unknown)
>;

/**
 * The client's transport for OpenSearch: the Elasticsearch client hard-codes a product check (every 2xx
 * answer must carry `x-elastic-product: Elasticsearch`) and Elasticsearch's vendor media types
 * (`application/vnd.elasticsearch+json; compatible-with=8`), both of which OpenSearch refuses. Without
 * them the transport sends and expects plain `application/json` and `application/x-ndjson`.
 */
class OpenSearchTransport extends Transport {
  constructor(options: TransportOptions) {
    super({ ...options, productCheck: undefined, vendoredHeaders: undefined });
  }
}

/**
 * Undici pool options with a connect timeout. The transport spreads `agent` into undici's Pool options,
 * which take `connect.timeout`; its type declares only a few of them.
 */
function connectTimeout(ms: number): UndiciAgentOptions {
  return { connect: { timeout: ms } } as UndiciAgentOptions;
}

/**
 * A client for the configured cluster. It never retries on its own: callers retry with their own
 * backoff and budget (max.retries, retry.backoff.ms).
 */
export function createClient(settings: ElasticsearchSettings): Client {
  const nodes = [...settings.urls];
  return new Client({
    nodes,
    maxRetries: 0,
    requestTimeout: settings.readTimeoutMs,
    agent: connectTimeout(settings.connectionTimeoutMs),
    ...(settings.username !== null
      ? { auth: { username: settings.username, password: settings.password ?? "" } }
      : {}),
    ...(settings.flavor === "opensearch" ? { Transport: OpenSearchTransport } : {}),
  });
}

/** The HTTP status of a failed request, or undefined when no answer came (connection error, timeout). */
export function statusOf(error: unknown): number | undefined {
  return error instanceof errors.ResponseError ? error.meta.statusCode : undefined;
}

/** True when repeating the request later may succeed: no answer, 408, 409, 429 or 5xx. */
export function isTransientStatus(status: number | undefined): boolean {
  return status === undefined || status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Whether `error` is a failure to reach or hear from the cluster (as opposed to a refusal). */
export function isTransientFailure(error: unknown): boolean {
  if (error instanceof errors.ResponseError) return isTransientStatus(error.meta.statusCode);
  return (
    error instanceof errors.ConnectionError ||
    error instanceof errors.TimeoutError ||
    error instanceof errors.NoLivingConnectionsError
  );
}

/** A URL without the user and password it may carry, for messages. */
function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = "";
  parsed.password = "";
  return parsed.href.replace(/\/$/, "");
}

export interface ServerIdentity {
  distribution: "elasticsearch" | "opensearch";
  version: string;
}

/**
 * Asks the cluster who it is (`GET /`) and checks that it is the configured flavor. Returns what to fix,
 * keyed by config field, or the server's identity.
 */
export async function probeServer(
  settings: ElasticsearchSettings,
  signal: AbortSignal,
): Promise<{ identity: ServerIdentity } | { field: string; message: string }> {
  // Probe with the OpenSearch transport whatever the flavor, so that a server of the other flavor
  // still answers and the message can say which it is.
  const client = createClient({ ...settings, flavor: "opensearch" });
  const where = settings.urls.map(withoutCredentials).join(", ");
  try {
    const info = await client.info({}, { signal });
    const distribution =
      (info.version as { distribution?: string }).distribution === "opensearch"
        ? "opensearch"
        : "elasticsearch";
    const identity: ServerIdentity = { distribution, version: info.version.number };
    if (distribution !== settings.flavor) {
      return {
        field: "flavor",
        message: `the server at ${where} is ${distribution === "opensearch" ? "OpenSearch" : "Elasticsearch"} ${identity.version}; set flavor=${distribution}`,
      };
    }
    return { identity };
  } catch (error) {
    const status = statusOf(error);
    if (status === 401 || status === 403) {
      return {
        field: settings.username === null ? "connection.username" : "connection.password",
        message: `the server at ${where} refused the credentials (HTTP ${status})${settings.username === null ? "; it needs connection.username and connection.password" : ""}`,
      };
    }
    const reason =
      status === undefined ? (error as Error).message : `HTTP ${status}: ${(error as Error).message}`;
    return { field: "connection.url", message: `cannot reach ${where}: ${reason}` };
  } finally {
    await client.close();
  }
}
