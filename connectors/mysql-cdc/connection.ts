import mysql from "mysql2/promise";
import type { MySqlCdcSettings } from "./config.ts";

/**
 * The connection options every connection of the connector uses — snapshot, checks and zongji's binlog
 * and control connections alike — so that rows read by SELECT and rows decoded from the binlog arrive
 * in the same raw forms: dates and times as text (exact to the microsecond), TIMESTAMP in UTC, BIGINT
 * and DECIMAL as exact text, JSON as text.
 */
export function connectionOptions(settings: MySqlCdcSettings): mysql.ConnectionOptions {
  return {
    host: settings.hostname,
    port: settings.port,
    user: settings.user,
    password: settings.password,
    connectTimeout: settings.connectTimeoutMs,
    charset: "utf8mb4",
    dateStrings: true,
    timezone: "Z",
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    jsonStrings: true,
  };
}

/** A connection whose session reads TIMESTAMP values in UTC. */
export async function openConnection(settings: MySqlCdcSettings): Promise<mysql.Connection> {
  const connection = await mysql.createConnection(connectionOptions(settings));
  try {
    await connection.query("SET time_zone = '+00:00'");
  } catch (error) {
    await connection.end().catch(() => {});
    throw error;
  }
  return connection;
}

/** `host:port`, for messages. */
export function serverAddress(settings: MySqlCdcSettings): string {
  return `${settings.hostname}:${settings.port}`;
}
