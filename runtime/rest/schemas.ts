/**
 * JSON Schemas of the REST API's bodies, params and query strings. Fastify validates every request
 * against them before a handler runs (coercing query strings and config values to the declared types,
 * as Kafka Connect's JSON mapper turns `"tasks.max": 1` into `"1"`).
 */

/**
 * Connector names: Kafka Connect refuses empty names and ISO control characters. Sluice also refuses
 * '/' (a name is a path segment, a file name and part of the consumer group id) and caps the length at
 * Kafka's topic-name limit, since topics and groups are named after connectors.
 */
export const CONNECTOR_NAME_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f/]*$";
export const CONNECTOR_NAME_MAX_LENGTH = 249;

export const connectorName = {
  type: "string",
  minLength: 1,
  maxLength: CONNECTOR_NAME_MAX_LENGTH,
  pattern: CONNECTOR_NAME_PATTERN,
  description: "The connector's name.",
} as const;

/** A connector config as Kafka Connect carries it: every value a string. */
export const connectorConfig = {
  type: "object",
  additionalProperties: { type: "string" },
  description: "Config keys and their values, as strings.",
} as const;

export const connectorParams = {
  type: "object",
  required: ["name"],
  properties: { name: connectorName },
} as const;

export const taskParams = {
  type: "object",
  required: ["name", "task"],
  properties: { name: connectorName, task: { type: "integer", minimum: 0, description: "The task's id." } },
} as const;

export const pluginParams = {
  type: "object",
  required: ["plugin"],
  properties: {
    plugin: {
      type: "string",
      minLength: 1,
      pattern: CONNECTOR_NAME_PATTERN,
      description: "A plugin's name, alias or class.",
    },
  },
} as const;

export const loggerParams = {
  type: "object",
  required: ["logger"],
  properties: { logger: { type: "string", minLength: 1, description: "A logger's dotted name." } },
} as const;

export const createConnectorBody = {
  type: "object",
  required: ["name", "config"],
  properties: {
    name: connectorName,
    config: connectorConfig,
    initial_state: {
      type: "string",
      description: "RUNNING (the default), PAUSED or STOPPED; any case.",
    },
  },
} as const;

export const patchConfigBody = {
  type: "object",
  additionalProperties: { type: ["string", "null"] },
  description: "Keys to set; a null value removes the key.",
} as const;

export const offsetsBody = {
  type: "object",
  required: ["offsets"],
  properties: {
    offsets: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        required: ["partition"],
        properties: {
          partition: {
            type: "object",
            description: "A source partition, or {kafka_topic, kafka_partition}.",
          },
          offset: {
            type: ["object", "null"],
            description: "A source offset, or {kafka_offset}; null (or absent) resets the partition.",
          },
        },
      },
    },
  },
} as const;

export const loggerLevelBody = {
  type: "object",
  required: ["level"],
  properties: { level: { type: "string", description: "TRACE, DEBUG, INFO, WARN, ERROR, FATAL or OFF." } },
} as const;

export const listConnectorsQuery = {
  type: "object",
  properties: {
    expand: {
      type: "array",
      items: { type: "string" },
      description: "status and/or info; repeatable. Unknown expansions are ignored, as by Kafka Connect.",
    },
  },
} as const;

export const restartQuery = {
  type: "object",
  properties: {
    includeTasks: { type: "boolean", default: false },
    onlyFailed: { type: "boolean", default: false },
  },
} as const;

export const pluginsQuery = {
  type: "object",
  properties: { connectorsOnly: { type: "boolean", default: true } },
} as const;

export const loggerScopeQuery = {
  type: "object",
  properties: { scope: { type: "string", default: "worker", description: "worker or cluster." } },
} as const;

export const offsetLookupQuery = {
  type: "object",
  required: ["to"],
  properties: {
    to: { type: "string", description: "earliest, latest, or an ISO 8601 date-time with a zone offset." },
  },
} as const;
