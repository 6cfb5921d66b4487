import type { ConnectorPlugin } from "../../runtime/api/index.ts";
import { datagenConfig } from "./config.ts";
import { DatagenConnector } from "./connector.ts";
import { DatagenTask } from "./task.ts";

/** Mock data for demos, tests and benchmarks; answers to Confluent's class name as well. */
export const datagenPlugin: ConnectorPlugin = {
  name: "datagen",
  aliases: ["io.confluent.kafka.connect.datagen.DatagenConnector"],
  type: "source",
  version: "0.1.0",
  description:
    "Generates mock records (quickstarts users, pageviews, orders), reproducibly: record n of task t depends only on the seed, t and n.",
  config: datagenConfig,
  createConnector: () => new DatagenConnector(),
  createTask: () => new DatagenTask(),
};
