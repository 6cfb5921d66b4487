import swagger from "@fastify/swagger";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import packageJson from "../../package.json" with { type: "json" };
import type { Herder } from "../herder.ts";
import { authHook, type RestAuth } from "./auth.ts";
import { formatValidationError, httpError, sendError, toHttpError } from "./errors.ts";
import type { LoggerLevels } from "./loggers.ts";
import { type MetricsSource, registerAdminRoutes, type ServerInfoSource } from "./routes/admin.ts";
import { registerConnectorRoutes } from "./routes/connectors.ts";
import { registerPluginRoutes } from "./routes/plugins.ts";

export interface RestServerOptions {
  /** The facade every route calls. */
  herder: Herder;
  metrics: MetricsSource;
  loggers: LoggerLevels;
  /** Applies to every route but `GET /health`. */
  auth: RestAuth;
  /** Larger request bodies are refused with 413. */
  bodyLimitBytes: number;
  /** A pino-compatible logger for requests and failures; absent or false: silent. */
  logger?: FastifyBaseLogger | false;
  /** What `GET /` tells besides Sluice's version. */
  serverInfo?: ServerInfoSource;
}

/** Longest URL path segment accepted: a connector name of 249 characters, percent-encoded. */
const MAX_PARAM_LENGTH = 249 * 12;

/**
 * Builds the REST API: Kafka Connect's, path for path and field for field, plus Sluice's additions
 * (`/health`, `/metrics`, `/openapi.json`, `.../offsets/lookup`). Errors answer Kafka Connect's
 * `{error_code, message}`. The caller listens (Kafka Connect's default port is 8083; bind 127.0.0.1
 * unless told otherwise) and closes.
 */
export function createRestServer(options: RestServerOptions): FastifyInstance {
  const app = Fastify({
    bodyLimit: options.bodyLimitBytes,
    loggerInstance: options.logger || undefined,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    ajv: { customOptions: { removeAdditional: false } },
    schemaErrorFormatter: formatValidationError,
  });

  // Kafka Connect takes `curl -X PUT -H 'Content-Type: application/json' .../pause` with no body.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    if (body === "") done(null, undefined);
    else parseJson(request, body.toString(), done);
  });

  app.setErrorHandler((error, request, reply) => {
    if (toHttpError(error).error_code >= 500) request.log.error({ err: error }, "request failed");
    return sendError(reply, error);
  });
  app.setNotFoundHandler((_request, reply) => sendError(reply, httpError(404, "HTTP 404 Not Found")));
  app.addHook("onRequest", authHook(options.auth));

  app.register(swagger, {
    openapi: {
      info: {
        title: "Sluice REST API",
        description: "Kafka Connect's REST API, plus Sluice's health, metrics and offset lookup.",
        version: packageJson.version,
      },
      ...openApiSecurity(options.auth),
    },
  });
  app.register(async (routes) => {
    registerAdminRoutes(routes, {
      herder: options.herder,
      loggers: options.loggers,
      metrics: options.metrics,
      serverInfo: options.serverInfo ?? {},
    });
    registerConnectorRoutes(routes, options.herder);
    registerPluginRoutes(routes, options.herder);
    routes.get("/openapi.json", { schema: { hide: true } }, () => app.swagger());
  });
  return app;
}

function openApiSecurity(auth: RestAuth) {
  if (auth.type === "none") return {};
  return {
    components: { securitySchemes: { [auth.type]: { type: "http" as const, scheme: auth.type } } },
    security: [{ [auth.type]: [] }],
  };
}
