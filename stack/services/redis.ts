import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { hostPort } from "../env.ts";
import { ensureDebianPackage, spawnDetached } from "../process.ts";
import type { StackService } from "../service.ts";

/** Redis from Debian's package as a private instance with its own port and data dir. */
export const redis: StackService = {
  name: "redis",
  startTimeoutMs: 20_000,

  address: (env) => env.redisUrl,

  async probe(env) {
    const client = new Redis(env.redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
    });
    client.on("error", () => {});
    try {
      await client.connect();
      const key = `sluice:stack:probe:${process.pid}`;
      await client.set(key, "ok", "EX", 10);
      if ((await client.get(key)) !== "ok") throw new Error("redis did not return what was written");
    } finally {
      client.disconnect();
    }
  },

  async prepare(env, dirs) {
    await ensureDebianPackage("redis-server", ["redis-server"]);
    const { host, port } = hostPort(env.redisUrl);
    writeFileSync(
      join(dirs.root, "redis.conf"),
      [
        `bind ${host}`,
        `port ${port}`,
        `dir ${dirs.data}`,
        `logfile ${dirs.logFile}`,
        "daemonize no",
        "appendonly yes",
        "appendfsync everysec",
        "save 60 1000",
        // BullMQ needs keys it stores to stay until it removes them.
        "maxmemory-policy noeviction",
      ].join("\n"),
    );
  },

  async start(_env, dirs) {
    spawnDetached(dirs, "redis-server", [join(dirs.root, "redis.conf")]);
  },
};
