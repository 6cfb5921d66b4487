import {
  type AuthToken,
  auth,
  type Config,
  type Driver,
  isRetryableError,
  Neo4jError,
  driver as neo4jDriver,
} from "neo4j-driver";
import { ErrorCode, RetriableError, SluiceError } from "../../runtime/api/index.ts";
import type { ConnectionSettings } from "./config.ts";
import type { PlannedStatement } from "./strategy.ts";

function authToken({ authentication: a }: ConnectionSettings): AuthToken {
  switch (a.type) {
    case "NONE":
      return { scheme: "none", credentials: "" };
    case "BASIC":
      return auth.basic(a.username, a.password, a.realm || undefined);
    case "KERBEROS":
      return auth.kerberos(a.ticket);
    case "BEARER":
      return auth.bearer(a.token);
    case "CUSTOM":
      return auth.custom(a.principal, a.credentials, a.realm, a.scheme);
  }
}

/** `host:port` of a URI, with Bolt's default port. */
function serverAddress(uri: string): string {
  const url = new URL(uri);
  return url.port === "" ? `${url.hostname}:7687` : url.host;
}

/** A driver for the settings; it connects lazily, on first use. */
export function createDriver(settings: ConnectionSettings, userAgent: string): Driver {
  const [main, ...others] = settings.uris as [string, ...string[]];
  const config: Config = {
    userAgent,
    connectionTimeout: settings.connectionTimeoutMs,
    maxTransactionRetryTime: settings.maxRetryTimeMs,
    maxConnectionPoolSize: settings.maxConnectionPoolSize,
    connectionAcquisitionTimeout: settings.connectionAcquisitionTimeoutMs,
    maxConnectionLifetime: settings.maxConnectionLifetimeMs,
    ...(settings.idleTimeBeforeConnectionTestMs === undefined
      ? {}
      : { connectionLivenessCheckTimeout: settings.idleTimeBeforeConnectionTestMs }),
    ...(others.length === 0 ? {} : { resolver: () => settings.uris.map(serverAddress) }),
  };
  const schemeHasTls = settings.uris.some((uri) => /^[a-z0-9]+\+(s|ssc):/i.test(uri));
  if (!schemeHasTls) {
    config.encrypted = settings.encrypted ? "ENCRYPTION_ON" : "ENCRYPTION_OFF";
    if (settings.encrypted) {
      config.trust = settings.trustStrategy;
      if (settings.certFiles.length > 0) config.trustedCertificates = [...settings.certFiles];
    }
  }
  return neo4jDriver(main, authToken(settings), config);
}

/** Neo4j's error code, e.g. `Neo.ClientError.Statement.SyntaxError`, when `error` has one. */
export function neo4jCode(error: unknown): string | undefined {
  return error instanceof Neo4jError ? error.code : undefined;
}

/**
 * True when Neo4j refused the statement because of what one of its rows holds (a type error, a
 * constraint, a null where a value is needed), so that writing the rows apart finds the culprit.
 */
export function isRecordLevelError(error: unknown): boolean {
  const code = neo4jCode(error) ?? "";
  return (
    (code.startsWith("Neo.ClientError.Statement.") && code !== "Neo.ClientError.Statement.SyntaxError") ||
    code === "Neo.ClientError.Schema.ConstraintValidationFailed"
  );
}

/** A failed write as Sluice's error catalogue has it: retriable when trying again later may help. */
export function toSluiceError(error: unknown, doing: string): SluiceError {
  if (error instanceof SluiceError) return error;
  const code = neo4jCode(error);
  const message = `${doing} failed: ${error instanceof Error ? error.message : String(error)}${code ? ` (${code})` : ""}`;
  if (isRetryableError(error) || code?.startsWith("Neo.ClientError.Transaction.TransactionTimedOut")) {
    return new RetriableError(message, { cause: error });
  }
  return new SluiceError(ErrorCode.EXTERNAL_FATAL, message, { cause: error });
}

export interface WriteOptions {
  readonly database: string | undefined;
  /** 0: the server's own limit. */
  readonly timeoutMs: number;
}

/**
 * Runs the statements, in order, in one write transaction, which the driver retries on transient
 * errors for up to neo4j.max-retry-time. Throws what the driver last threw.
 */
export async function writeInOneTransaction(
  driver: Driver,
  statements: readonly PlannedStatement[],
  options: WriteOptions,
): Promise<void> {
  const session = driver.session({ database: options.database, defaultAccessMode: "WRITE" });
  try {
    await session.executeWrite(
      async (tx) => {
        // Sent pipelined; the server runs them in order and the first failure fails the rest.
        await Promise.all(statements.map(({ text, params }) => tx.run(text, params).summary()));
      },
      {
        metadata: { app: "sluice-neo4j-sink" },
        ...(options.timeoutMs > 0 ? { timeout: options.timeoutMs } : {}),
      },
    );
  } finally {
    await session.close();
  }
}
