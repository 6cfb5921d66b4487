import type { FastifyInstance } from "fastify";
import packageJson from "../../../package.json" with { type: "json" };
import type { Herder } from "../../herder.ts";
import { httpError } from "../errors.ts";
import { type LoggerLevels, parseLogLevel } from "../loggers.ts";
import { loggerLevelBody, loggerParams, loggerScopeQuery } from "../schemas.ts";

export interface ServerInfoSource {
  /** The build's commit, shown by `GET /`. */
  commit?: string;
  /** The id of the Kafka cluster the worker uses; null until it is known. */
  kafkaClusterId?: () => Promise<string | null>;
}

export interface MetricsSource {
  contentType: string;
  render(): Promise<string>;
}

/** `GET /`, `/health`, `/metrics` and `/admin/loggers/**`. */
export function registerAdminRoutes(
  app: FastifyInstance,
  options: { herder: Herder; loggers: LoggerLevels; metrics: MetricsSource; serverInfo: ServerInfoSource },
): void {
  const { herder, loggers, metrics, serverInfo } = options;

  app.get(
    "/",
    { schema: { tags: ["worker"], summary: "The worker's version and Kafka cluster id" } },
    async () => ({
      version: packageJson.version,
      commit: serverInfo.commit ?? "unknown",
      kafka_cluster_id: (await serverInfo.kafkaClusterId?.()) ?? null,
    }),
  );

  app.get(
    "/health",
    { schema: { tags: ["worker"], summary: "200 once the worker can serve, 503 while it starts; no auth" } },
    async (_request, reply) => {
      try {
        const { ready, message } = await herder.ready();
        return reply.code(ready ? 200 : 503).send({ status: ready ? "healthy" : "starting", message });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return reply.code(500).send({ status: "unhealthy", message });
      }
    },
  );

  app.get(
    "/metrics",
    { schema: { tags: ["worker"], summary: "Metrics in the Prometheus text format" } },
    async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()),
  );

  const tags = ["admin"];

  app.get(
    "/admin/loggers",
    { schema: { tags, summary: "Loggers whose level was set, and their levels" } },
    () => loggers.list(),
  );

  app.get<{ Params: { logger: string } }>(
    "/admin/loggers/:logger",
    { schema: { tags, summary: "The level of one logger", params: loggerParams } },
    (request) => {
      const level = loggers.get(request.params.logger);
      if (level === undefined) {
        throw httpError(404, `Logger ${request.params.logger} not found.`);
      }
      return level;
    },
  );

  app.put<{ Params: { logger: string }; Body: { level: string }; Querystring: { scope: string } }>(
    "/admin/loggers/:logger",
    {
      schema: {
        tags,
        summary: "Set the level of a logger and the loggers below it; answers the names changed",
        params: loggerParams,
        body: loggerLevelBody,
        querystring: loggerScopeQuery,
      },
    },
    async (request, reply) => {
      const level = parseLogLevel(request.body.level);
      // Kafka Connect answers 404 for a level it does not know.
      if (level === undefined) {
        throw httpError(404, `invalid log level '${request.body.level}'.`);
      }
      const changed = loggers.set(request.params.logger, level);
      // One worker is the whole cluster; Kafka Connect answers a cluster-scoped change with 204.
      if (request.query.scope.toLowerCase() === "cluster") return reply.code(204).send();
      return changed;
    },
  );
}
