import type { FieldError } from "../../runtime/api/index.ts";
import { type MySqlCdcSettings, snapshotsData } from "./config.ts";
import { openConnection, serverAddress } from "./connection.ts";
import type { Queryable } from "./table-schema.ts";

/**
 * The start-up checks: everything the server must provide for change data capture, checked before a
 * single event is read, each failure saying what to change.
 */

/** What the checks need to know about a server. */
export interface ServerFacts {
  readonly version: string;
  readonly isMariaDb: boolean;
  readonly logBin: boolean;
  readonly serverId: number;
  /** Global variables by lower-case name; absent when the server does not have the variable. */
  readonly variables: ReadonlyMap<string, string>;
  /** The lines of SHOW GRANTS FOR CURRENT_USER(). */
  readonly grants: readonly string[];
}

const VARIABLES = [
  "binlog_format",
  "binlog_row_image",
  "binlog_row_metadata",
  "binlog_transaction_compression",
  "binlog_row_value_options",
  "gtid_mode",
];

export async function readServerFacts(db: Queryable): Promise<ServerFacts> {
  const [[row]] = (await db.query(
    "SELECT VERSION() AS version, @@GLOBAL.log_bin AS logBin, @@GLOBAL.server_id AS serverId",
  )) as [Array<{ version: string; logBin: number | string; serverId: number | string }>, unknown];
  const [variableRows] = (await db.query(
    `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${VARIABLES.map(() => "?").join(",")})`,
    VARIABLES,
  )) as [Array<{ Variable_name: string; Value: string }>, unknown];
  const [grantRows] = (await db.query("SHOW GRANTS FOR CURRENT_USER()")) as [
    Array<Record<string, string>>,
    unknown,
  ];
  return {
    version: row?.version ?? "",
    isMariaDb: /mariadb/i.test(row?.version ?? ""),
    logBin: String(row?.logBin) === "1" || String(row?.logBin).toUpperCase() === "ON",
    serverId: Number(row?.serverId ?? 0),
    variables: new Map(variableRows.map((r) => [r.Variable_name.toLowerCase(), r.Value])),
    grants: grantRows.map((r) => String(Object.values(r)[0] ?? "")),
  };
}

/** The privileges a grant line gives on `*.*`, upper case; ALL PRIVILEGES stands for every one. */
function globalPrivileges(grants: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const line of grants) {
    const match = /^GRANT\s+(.+?)\s+ON\s+\*\.\*\s+TO\s/i.exec(line);
    if (!match?.[1]) continue;
    for (const privilege of match[1].split(",")) out.add(privilege.trim().toUpperCase());
  }
  return out;
}

/** True when some grant line gives SELECT (or ALL) on a whole database. */
function hasDatabaseSelect(grants: readonly string[]): boolean {
  return grants.some((line) => {
    const match = /^GRANT\s+(.+?)\s+ON\s+`?[^`]+`?\.\*\s+TO\s/i.exec(line);
    return match?.[1] !== undefined && /\b(SELECT|ALL PRIVILEGES|ALL)\b/i.test(match[1]);
  });
}

/** What is wrong with the server for this connector, one problem per entry, each saying what to do. */
export function serverProblems(facts: ServerFacts, settings: MySqlCdcSettings): FieldError[] {
  const where = serverAddress(settings);
  const problems: FieldError[] = [];
  const server = (message: string) =>
    problems.push({ field: "database.hostname", message: `${where}: ${message}` });
  const variable = (name: string) => facts.variables.get(name);
  const persist = "and add it to the server's configuration file so that it survives a restart";

  if (!facts.logBin) {
    server(
      "binary logging is off; start the server with log_bin (e.g. log_bin=binlog in my.cnf) and restart it",
    );
  }
  const format = variable("binlog_format");
  if (format !== undefined && format.toUpperCase() !== "ROW") {
    server(
      `binlog_format is ${format}, but change data capture needs ROW; run SET GLOBAL binlog_format=ROW ${persist}`,
    );
  }
  const image = variable("binlog_row_image");
  if (image !== undefined && image.toUpperCase() !== "FULL") {
    server(
      `binlog_row_image is ${image}, but change events need every column; run SET GLOBAL binlog_row_image=FULL ${persist}`,
    );
  }
  const metadata = variable("binlog_row_metadata");
  if (metadata === undefined) {
    server(
      `${facts.version} has no binlog_row_metadata; Sluice needs binlog events that name their columns (MySQL 8.0.1+ or MariaDB 10.5+ with binlog_row_metadata=FULL)`,
    );
  } else if (metadata.toUpperCase() !== "FULL") {
    server(
      `binlog_row_metadata is ${metadata}, but Sluice decodes each row with the columns its binlog event names, so that a schema change never mis-maps a value; run SET GLOBAL binlog_row_metadata=FULL ${persist}`,
    );
  }
  const compression = variable("binlog_transaction_compression");
  if (compression !== undefined && compression.toUpperCase() === "ON") {
    server(
      `binlog_transaction_compression is ON, and compressed transactions cannot be decoded; run SET GLOBAL binlog_transaction_compression=OFF ${persist}`,
    );
  }
  const valueOptions = variable("binlog_row_value_options");
  if (valueOptions?.toUpperCase().includes("PARTIAL_JSON")) {
    server(
      `binlog_row_value_options is ${valueOptions}, and partial JSON updates cannot be decoded; run SET GLOBAL binlog_row_value_options='' ${persist}`,
    );
  }
  if (facts.serverId === settings.serverId) {
    problems.push({
      field: "database.server.id",
      message: `is ${settings.serverId}, the server_id of ${where} itself; choose an id no server or replica in the topology uses`,
    });
  }

  const privileges = globalPrivileges(facts.grants);
  if (!privileges.has("ALL PRIVILEGES") && !privileges.has("ALL")) {
    const missing: string[] = [];
    if (!privileges.has("REPLICATION SLAVE")) missing.push("REPLICATION SLAVE");
    if (
      !privileges.has("REPLICATION CLIENT") &&
      !privileges.has("BINLOG MONITOR") &&
      !privileges.has("SUPER")
    ) {
      missing.push(facts.isMariaDb ? "BINLOG MONITOR" : "REPLICATION CLIENT");
    }
    if (!privileges.has("SELECT") && !hasDatabaseSelect(facts.grants)) missing.push("SELECT");
    if (
      snapshotsData(settings.snapshotMode) &&
      settings.snapshotLocking === "minimal" &&
      !privileges.has("RELOAD")
    ) {
      missing.push("RELOAD");
    }
    if (missing.length > 0) {
      problems.push({
        field: "database.user",
        message: `${settings.user} lacks ${missing.join(", ")} on ${where}; run GRANT ${missing.join(", ")} ON *.* TO '${settings.user}'@'<host>'${
          missing.includes("RELOAD")
            ? " (RELOAD is for the snapshot's global read lock; or set snapshot.locking.mode=none)"
            : ""
        }`,
      });
    }
  }
  return problems;
}

/** Connects and checks the server; a connection failure is itself a problem, named for the key to fix. */
export async function checkServer(
  settings: MySqlCdcSettings,
): Promise<{ problems: FieldError[]; facts: ServerFacts | null }> {
  let connection: Awaited<ReturnType<typeof openConnection>>;
  try {
    connection = await openConnection(settings);
  } catch (error) {
    return { problems: [connectionProblem(settings, error)], facts: null };
  }
  try {
    const facts = await readServerFacts(connection);
    return { problems: serverProblems(facts, settings), facts };
  } finally {
    await connection.end().catch(() => {});
  }
}

function connectionProblem(settings: MySqlCdcSettings, error: unknown): FieldError {
  const errno = (error as { errno?: number }).errno;
  const code = (error as { code?: string }).code;
  const message = (error as Error).message;
  if (errno === 1045) {
    return {
      field: "database.password",
      message: `${settings.user} cannot log in to ${serverAddress(settings)}: ${message}`,
    };
  }
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "ETIMEDOUT" || code === "EHOSTUNREACH") {
    return {
      field: "database.hostname",
      message: `cannot connect to ${serverAddress(settings)} (${code}); check database.hostname and database.port and that the server runs`,
    };
  }
  return { field: "database.hostname", message: `cannot connect to ${serverAddress(settings)}: ${message}` };
}
