// Invariant: the stack's Redis is a real server that stores and returns what it is given.
import { Redis } from "ioredis";
import { afterAll, expect, test } from "vitest";
import { loadStackEnv } from "../../stack/env.ts";

const redis = new Redis(loadStackEnv().redisUrl);
afterAll(() => redis.quit());

test("a hash written to redis reads back field for field", async () => {
  const key = `test:stack:${Date.now()}`;
  await redis.hset(key, { name: "ada", lang: "en" });
  expect(await redis.hgetall(key)).toEqual({ name: "ada", lang: "en" });
  await redis.del(key);
});
