import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import mysql from "mysql2/promise";
import type { StackEnv } from "../env.ts";
import { ensureDebianPackage, run, spawnDetached } from "../process.ts";
import type { ServiceDirs, StackService } from "../service.ts";

/** MariaDB from Debian's package as a private instance with a row-based, GTID binlog for CDC. */
export const mariadb: StackService = {
  name: "mariadb",
  startTimeoutMs: 60_000,

  address: (env) => `${env.mariadb.host}:${env.mariadb.port} (user ${env.mariadb.user})`,

  async probe(env) {
    const conn = await mysql.createConnection({ ...env.mariadb, connectTimeout: 2_000 });
    try {
      const [rows] = await conn.query("SELECT @@binlog_format AS format, @@log_bin AS logBin");
      const row = (rows as Array<{ format: string; logBin: number }>)[0];
      if (row?.format !== "ROW" || Number(row.logBin) !== 1) {
        throw new Error(`the server at ${env.mariadb.host}:${env.mariadb.port} has no row binlog`);
      }
    } finally {
      await conn.end();
    }
  },

  async prepare(env, dirs) {
    await ensureDebianPackage("mariadbd", ["mariadb-server"]);
    writeFileSync(join(dirs.root, "my.cnf"), myCnf(env, dirs));
    if (!existsSync(join(dirs.data, "mysql"))) {
      mkdirSync(dirs.data, { recursive: true });
      await run("mariadb-install-db", [
        `--defaults-file=${join(dirs.root, "my.cnf")}`,
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
      ]);
    }
  },

  async start(_env, dirs) {
    spawnDetached(dirs, "mariadbd", [`--defaults-file=${join(dirs.root, "my.cnf")}`]);
  },
};

function myCnf(env: StackEnv, dirs: ServiceDirs): string {
  return `[mariadbd]
user=root
datadir=${dirs.data}
socket=${join(dirs.root, "mariadb.sock")}
pid-file=${join(dirs.root, "mariadbd.pid")}
bind-address=${env.mariadb.host}
port=${env.mariadb.port}
log-error=${dirs.logFile}
server_id=1
log_bin=${join(dirs.data, "binlog")}
binlog_format=ROW
binlog_row_image=FULL
binlog_row_metadata=FULL
gtid_domain_id=0
gtid_strict_mode=ON
expire_logs_days=2
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
default_time_zone=+00:00
innodb_buffer_pool_size=256M
innodb_log_file_size=128M
max_connections=200
skip-name-resolve
[client]
socket=${join(dirs.root, "mariadb.sock")}
`;
}
