import type { FastifyInstance } from "fastify";
import type { ConnectorConfig, Herder } from "../../herder.ts";
import { connectorConfig, pluginParams, pluginsQuery } from "../schemas.ts";

interface PluginParams {
  plugin: string;
}

const tags = ["connector-plugins"];

/** `/connector-plugins/**`: Kafka Connect's ConnectorPluginsResource. */
export function registerPluginRoutes(app: FastifyInstance, herder: Herder): void {
  app.get<{ Querystring: { connectorsOnly: boolean } }>(
    "/connector-plugins",
    { schema: { tags, summary: "List the installed plugins", querystring: pluginsQuery } },
    (request) => herder.plugins({ connectorsOnly: request.query.connectorsOnly }),
  );

  app.get<{ Params: PluginParams }>(
    "/connector-plugins/:plugin/config",
    { schema: { tags, summary: "Describe every config key of a plugin", params: pluginParams } },
    (request) => herder.pluginConfig(request.params.plugin),
  );

  app.put<{ Params: PluginParams; Body: ConnectorConfig }>(
    "/connector-plugins/:plugin/config/validate",
    {
      schema: {
        tags,
        summary: "Validate a connector config against a plugin's spec",
        params: pluginParams,
        body: connectorConfig,
      },
    },
    (request) => herder.validateConfig(request.params.plugin, request.body),
  );
}
