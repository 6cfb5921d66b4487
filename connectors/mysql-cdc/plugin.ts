import type { ConnectorPlugin } from "../../runtime/api/index.ts";
import { mysqlCdcConfig } from "./config.ts";
import { MySqlCdcConnector } from "./connector.ts";
import { CONNECTOR_VERSION } from "./envelope.ts";
import { MySqlCdcTask } from "./task.ts";

/** Change data capture from a MySQL 8 or MariaDB 10.5+ binlog, event for event as Debezium writes it. */
export const mysqlCdcPlugin: ConnectorPlugin = {
  name: "mysql-cdc",
  aliases: ["io.debezium.connector.mysql.MySqlConnector"],
  type: "source",
  version: CONNECTOR_VERSION,
  description:
    "Captures every committed row change of MySQL or MariaDB from the binlog (after an optional consistent snapshot) as Debezium change events.",
  config: mysqlCdcConfig,
  createConnector: () => new MySqlCdcConnector(),
  createTask: () => new MySqlCdcTask(),
};
