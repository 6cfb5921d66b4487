import type { StackService } from "../service.ts";
import { kafka } from "./kafka.ts";
import { mariadb } from "./mariadb.ts";
import { redis } from "./redis.ts";

/** Every service of the local stack, in start order. */
export const SERVICES: readonly StackService[] = [mariadb, redis, kafka];
