import type { FastifyInstance } from "fastify";
import { ErrorCode, SluiceError } from "../../api/index.ts";
import type {
  ConnectorConfig,
  ConnectorInfo,
  ConnectorOffset,
  ConnectorStateInfo,
  Herder,
  TargetState,
} from "../../herder.ts";
import { parseOffsetTarget } from "../offset-lookup.ts";
import {
  connectorConfig,
  connectorParams,
  createConnectorBody,
  listConnectorsQuery,
  offsetLookupQuery,
  offsetsBody,
  patchConfigBody,
  restartQuery,
  taskParams,
} from "../schemas.ts";

interface NameParams {
  name: string;
}
interface TaskParams extends NameParams {
  task: number;
}
interface OffsetsBody {
  offsets: Array<{ partition: Record<string, unknown>; offset?: Record<string, unknown> | null }>;
}

const tags = ["connectors"];

/** Kafka Connect's `initial_state` values and the target state each one asks for. */
const INITIAL_STATES: Readonly<Record<string, TargetState>> = {
  RUNNING: "STARTED",
  PAUSED: "PAUSED",
  STOPPED: "STOPPED",
};

function badRequest(message: string): SluiceError {
  return new SluiceError(ErrorCode.BAD_REQUEST, message);
}

function parseInitialState(text: string | undefined): TargetState | undefined {
  if (text === undefined) return undefined;
  const state = INITIAL_STATES[text.toUpperCase()];
  if (state === undefined) {
    throw badRequest(`body/initial_state must be one of ${Object.keys(INITIAL_STATES).join(", ")}`);
  }
  return state;
}

/** The config with `name` set to the connector's name; refuses a config that names another connector. */
function withConnectorName(name: string, config: ConnectorConfig): ConnectorConfig {
  const included = config.name;
  if (included !== undefined && included !== name) {
    throw badRequest(
      `Connector name configuration (${included}) doesn't match connector name in the URL (${name})`,
    );
  }
  return { ...config, name };
}

function connectorLocation(name: string): string {
  return `/connectors/${encodeURIComponent(name)}`;
}

/** `/connectors/**`: Kafka Connect's ConnectorsResource, plus `GET .../offsets/lookup`. */
export function registerConnectorRoutes(app: FastifyInstance, herder: Herder): void {
  app.get<{ Querystring: { expand?: string[] } }>(
    "/connectors",
    {
      schema: {
        tags,
        summary: "List connectors, optionally with their status and info",
        querystring: listConnectorsQuery,
      },
    },
    async (request) => {
      const names = await herder.connectors();
      const expand = request.query.expand;
      if (expand === undefined) return names;
      const expanded = await Promise.all(
        names.map(async (name) => {
          const entry: { status?: ConnectorStateInfo; info?: ConnectorInfo } = {};
          try {
            for (const expansion of expand) {
              if (expansion === "status") entry.status = await herder.connectorStatus(name);
              else if (expansion === "info") entry.info = await herder.connectorInfo(name);
            }
          } catch (error) {
            // Deleted while we looked it up: leave it out, as Kafka Connect does.
            if (error instanceof SluiceError && error.code === ErrorCode.CONNECTOR_NOT_FOUND)
              return undefined;
            throw error;
          }
          return [name, entry] as const;
        }),
      );
      return Object.fromEntries(expanded.filter((entry) => entry !== undefined));
    },
  );

  app.post<{ Body: { name: string; config: ConnectorConfig; initial_state?: string } }>(
    "/connectors",
    { schema: { tags, summary: "Create a connector", body: createConnectorBody } },
    async (request, reply) => {
      const name = request.body.name.trim();
      if (name === "") throw badRequest("body/name must not be blank");
      const config = withConnectorName(name, request.body.config);
      const initialState = parseInitialState(request.body.initial_state);
      const { info } = await herder.putConnectorConfig(name, config, { allowReplace: false, initialState });
      return reply.code(201).header("location", connectorLocation(name)).send(info);
    },
  );

  app.get<{ Params: NameParams }>(
    "/connectors/:name",
    { schema: { tags, summary: "Get a connector's config and tasks", params: connectorParams } },
    (request) => herder.connectorInfo(request.params.name),
  );

  app.delete<{ Params: NameParams }>(
    "/connectors/:name",
    { schema: { tags, summary: "Delete a connector", params: connectorParams } },
    async (request, reply) => {
      await herder.deleteConnector(request.params.name);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: NameParams }>(
    "/connectors/:name/config",
    { schema: { tags, summary: "Get a connector's config", params: connectorParams } },
    (request) => herder.connectorConfig(request.params.name),
  );

  app.put<{ Params: NameParams; Body: ConnectorConfig }>(
    "/connectors/:name/config",
    {
      schema: {
        tags,
        summary: "Create a connector or replace its config (201 when created, 200 when replaced)",
        params: connectorParams,
        body: connectorConfig,
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const config = withConnectorName(name, request.body);
      const { created, info } = await herder.putConnectorConfig(name, config, { allowReplace: true });
      if (created) reply.code(201).header("location", connectorLocation(name));
      return reply.send(info);
    },
  );

  app.patch<{ Params: NameParams; Body: Record<string, string | null> }>(
    "/connectors/:name/config",
    {
      schema: {
        tags,
        summary: "Change some keys of a connector's config",
        params: connectorParams,
        body: patchConfigBody,
      },
    },
    (request) => herder.patchConnectorConfig(request.params.name, request.body),
  );

  app.get<{ Params: NameParams }>(
    "/connectors/:name/status",
    { schema: { tags, summary: "Get the run state of a connector and its tasks", params: connectorParams } },
    (request) => herder.connectorStatus(request.params.name),
  );

  app.post<{ Params: NameParams; Querystring: { includeTasks: boolean; onlyFailed: boolean } }>(
    "/connectors/:name/restart",
    {
      schema: {
        tags,
        summary: "Restart a connector (204), or it and its (failed) tasks (202 with the status)",
        params: connectorParams,
        querystring: restartQuery,
      },
    },
    async (request, reply) => {
      const { includeTasks, onlyFailed } = request.query;
      const status = await herder.restartConnector(request.params.name, { includeTasks, onlyFailed });
      if (!includeTasks && !onlyFailed) return reply.code(204).send();
      return reply.code(202).send(status);
    },
  );

  const targetStateChanges = [
    { path: "pause", status: 202, summary: "Pause a connector and its tasks", change: herder.pauseConnector },
    {
      path: "resume",
      status: 202,
      summary: "Resume a paused or stopped connector",
      change: herder.resumeConnector,
    },
    {
      path: "stop",
      status: 204,
      summary: "Stop a connector and shut its tasks down",
      change: herder.stopConnector,
    },
  ] as const;
  for (const { path, status, summary, change } of targetStateChanges) {
    app.put<{ Params: NameParams }>(
      `/connectors/:name/${path}`,
      { schema: { tags, summary, params: connectorParams } },
      async (request, reply) => {
        await change.call(herder, request.params.name);
        return reply.code(status).send();
      },
    );
  }

  app.get<{ Params: NameParams }>(
    "/connectors/:name/tasks",
    { schema: { tags, summary: "List a connector's tasks and their configs", params: connectorParams } },
    (request) => herder.taskConfigs(request.params.name),
  );

  app.get<{ Params: TaskParams }>(
    "/connectors/:name/tasks/:task/status",
    { schema: { tags, summary: "Get the run state of one task", params: taskParams } },
    (request) => herder.taskStatus(request.params.name, request.params.task),
  );

  app.post<{ Params: TaskParams }>(
    "/connectors/:name/tasks/:task/restart",
    { schema: { tags, summary: "Restart one task", params: taskParams } },
    async (request, reply) => {
      await herder.restartTask(request.params.name, request.params.task);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: NameParams }>(
    "/connectors/:name/topics",
    { schema: { tags, summary: "List the topics a connector has used", params: connectorParams } },
    async (request) => {
      const { name } = request.params;
      return { [name]: { topics: await herder.connectorTopics(name) } };
    },
  );

  app.put<{ Params: NameParams }>(
    "/connectors/:name/topics/reset",
    { schema: { tags, summary: "Forget the topics a connector has used", params: connectorParams } },
    async (request, reply) => {
      await herder.resetConnectorTopics(request.params.name);
      return reply.code(202).send();
    },
  );

  app.get<{ Params: NameParams }>(
    "/connectors/:name/offsets",
    { schema: { tags, summary: "Get a connector's committed offsets", params: connectorParams } },
    async (request) => ({ offsets: await herder.connectorOffsets(request.params.name) }),
  );

  app.patch<{ Params: NameParams; Body: OffsetsBody }>(
    "/connectors/:name/offsets",
    {
      schema: {
        tags,
        summary: "Alter the offsets of a STOPPED connector",
        params: connectorParams,
        body: offsetsBody,
      },
    },
    async (request) => {
      const offsets: ConnectorOffset[] = request.body.offsets.map(({ partition, offset }) => ({
        partition,
        offset: offset ?? null,
      }));
      return { message: await herder.alterConnectorOffsets(request.params.name, offsets) };
    },
  );

  app.delete<{ Params: NameParams }>(
    "/connectors/:name/offsets",
    { schema: { tags, summary: "Reset the offsets of a STOPPED connector", params: connectorParams } },
    async (request) => ({ message: await herder.resetConnectorOffsets(request.params.name) }),
  );

  app.get<{ Params: NameParams; Querystring: { to: string } }>(
    "/connectors/:name/offsets/lookup",
    {
      schema: {
        tags,
        summary: "Sluice: the offsets a sink connector would have at the log start, the log end or a time",
        description: "Answers a body ready for PATCH /connectors/{name}/offsets.",
        params: connectorParams,
        querystring: offsetLookupQuery,
      },
    },
    async (request) => {
      const to = parseOffsetTarget(request.query.to);
      if (to === undefined) {
        throw badRequest("querystring/to must be earliest, latest or an ISO 8601 date-time with a zone");
      }
      return { offsets: await herder.connectorOffsetsAt(request.params.name, to) };
    },
  );

  app.post<{ Params: NameParams; Body: { path?: string | null } | undefined }>(
    "/connectors/:name/compactions",
    {
      schema: {
        tags,
        summary: "Sluice: run the connector's compaction now (HDFS sink), optionally for one directory",
        params: connectorParams,
        body: {
          type: ["object", "null"],
          properties: { path: { type: ["string", "null"], maxLength: 4096 } },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const { jobId } = await herder.triggerConnectorJob(request.params.name, {
        path: request.body?.path ?? null,
      });
      return reply.code(202).send({ id: jobId });
    },
  );

  app.get<{ Params: NameParams }>(
    "/connectors/:name/compactions",
    {
      schema: {
        tags,
        summary: "Sluice: the connector's recent compaction runs, newest first",
        params: connectorParams,
      },
    },
    async (request) => herder.connectorJobRuns(request.params.name),
  );
}
