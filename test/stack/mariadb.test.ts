// Invariant: the stack's MariaDB writes a row binlog that the CDC library reads: an INSERT shows up
// as a row event carrying the inserted values.
import ZongJi from "@vlasky/zongji";
import mysql from "mysql2/promise";
import { afterAll, expect, test } from "vitest";
import { loadStackEnv } from "../../stack/env.ts";

const { mariadb } = loadStackEnv();
const db = await mysql.createConnection({ ...mariadb, multipleStatements: true });
afterAll(() => db.end());

test("an inserted row arrives as a binlog writerows event with its values", async () => {
  const table = `smoke_${Date.now()}`;
  await db.query(
    `CREATE DATABASE IF NOT EXISTS stack_smoke; CREATE TABLE stack_smoke.${table} (id INT PRIMARY KEY, name VARCHAR(50))`,
  );

  const zongji = new ZongJi({ ...mariadb });
  const seen = new Promise<Record<string, unknown>>((resolve, reject) => {
    zongji.on("error", reject);
    zongji.on("binlog", (...args: unknown[]) => {
      const event = args[0] as { getTypeName(): string; rows?: Array<Record<string, unknown>> };
      if (event.getTypeName() !== "WriteRows") return;
      const row = event.rows?.[0];
      if (row && row.id === 7) resolve(row);
    });
  });
  const ready = new Promise((resolve) => zongji.on("ready", resolve));
  zongji.start({
    startAtEnd: true,
    serverId: 4242,
    includeEvents: ["tablemap", "writerows"],
    includeSchema: { stack_smoke: [table] },
  });
  await ready;

  await db.query(`INSERT INTO stack_smoke.${table} VALUES (7, 'grace 👩‍💻')`);
  const row = await seen;
  zongji.stop();
  expect(row).toEqual({ id: 7, name: "grace 👩‍💻" });
  await db.query(`DROP TABLE stack_smoke.${table}`);
});
