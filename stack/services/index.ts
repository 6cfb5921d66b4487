import type { StackService } from "../service.ts";
import { hdfs } from "./hdfs.ts";
import { kafka } from "./kafka.ts";
import { mariadb } from "./mariadb.ts";
import { neo4j } from "./neo4j.ts";
import { opensearch } from "./opensearch.ts";
import { redis } from "./redis.ts";

/** Every service of the local stack, in start order. */
export const SERVICES: readonly StackService[] = [mariadb, redis, kafka, hdfs, neo4j, opensearch];
