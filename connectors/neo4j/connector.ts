import type { Driver } from "neo4j-driver";
import {
  type ConnectorContext,
  type FieldError,
  type ParsedConfig,
  ReplicatedTasksConnector,
} from "../../runtime/api/index.ts";
import { createDriver, neo4jCode } from "./client.ts";
import { type Neo4jSinkSettings, neo4jSinkSettings, readNeo4jSinkSettings } from "./config.ts";
import { CypherStrategy, TEMPLATE_LINE_OFFSET } from "./cypher.ts";
import type { TopicStrategy } from "./strategy.ts";
import { USER_AGENT } from "./task.ts";

/** Resolves or rejects as `promise` does, or rejects as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** The first line of an error's message (Neo4j appends the statement with a caret). */
function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] as string;
}

/** The config key a connection failure is about. */
function connectionField(error: unknown): string {
  const code = neo4jCode(error) ?? "";
  if (code.startsWith("Neo.ClientError.Security.")) return "neo4j.authentication.type";
  if (code === "Neo.ClientError.Database.DatabaseNotFound") return "neo4j.database";
  return "neo4j.uri";
}

/** A compile error of a strategy's statement, with positions in a template counted from its own start. */
function compileProblem(strategy: TopicStrategy, error: unknown): string {
  let message = firstLine(error);
  if (strategy instanceof CypherStrategy) {
    message = message.replace(
      /\(line (\d+), column (\d+) \(offset: \d+\)\)/,
      (whole, line: string, column: string) =>
        Number(line) > TEMPLATE_LINE_OFFSET
          ? `(line ${Number(line) - TEMPLATE_LINE_OFFSET}, column ${column} of the template)`
          : whole,
    );
  }
  return `does not compile: ${message}`;
}

/**
 * Checks the settings against the server: it answers with these credentials, and every statement of
 * every strategy compiles (EXPLAIN, which writes nothing). Returns the problems, one per field.
 */
async function checkAgainstServer(
  driver: Driver,
  settings: Neo4jSinkSettings,
  signal: AbortSignal,
): Promise<FieldError[]> {
  const { database, uris } = settings.connection;
  try {
    await abortable(driver.getServerInfo({ database }), signal);
  } catch (error) {
    return [
      {
        field: connectionField(error),
        message: `cannot reach Neo4j at ${uris.join(", ")}: ${firstLine(error)}`,
      },
    ];
  }
  const explain = (statement: string) =>
    abortable(driver.executeQuery(`EXPLAIN ${statement}`, { events: [] }, { database }), signal);
  try {
    await explain("RETURN 1");
  } catch (error) {
    return [{ field: connectionField(error), message: `Neo4j refused a query: ${firstLine(error)}` }];
  }
  const problems: FieldError[] = [];
  for (const strategy of settings.strategies.values()) {
    for (const statement of strategy.statements()) {
      try {
        await explain(statement);
      } catch (error) {
        problems.push({ field: strategy.configKey, message: compileProblem(strategy, error) });
        break;
      }
    }
  }
  return problems;
}

/** Plans the Neo4j sink: every task runs every topic's strategy on the partitions it is assigned. */
export class Neo4jSinkConnector extends ReplicatedTasksConnector {
  protected checkConfig(config: ParsedConfig, _context: ConnectorContext): void {
    neo4jSinkSettings(config);
  }

  /** The config's own problems (patterns, strategies per topic), then reachability and compilation. */
  async validate(config: ParsedConfig, signal: AbortSignal): Promise<FieldError[]> {
    const { settings, errors } = readNeo4jSinkSettings(config);
    if (settings === undefined) return errors;
    const driver = createDriver(settings.connection, USER_AGENT);
    try {
      return await checkAgainstServer(driver, settings, signal);
    } finally {
      await driver.close();
    }
  }
}
