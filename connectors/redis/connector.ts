import {
  type ConnectorContext,
  type ParsedConfig,
  ReplicatedTasksConnector,
} from "../../runtime/api/index.ts";
import { probeServer } from "./client.ts";
import { redisSettings } from "./config.ts";

/** Plans the sink: tasks.max identical tasks; Kafka's consumer group shares the partitions among them. */
export class RedisSinkConnector extends ReplicatedTasksConnector {
  protected checkConfig(config: ParsedConfig, _context: ConnectorContext): void {
    redisSettings(config);
  }

  /** Checks that the server at redis.uri answers (and has RedisJSON when redis.type=JSON). */
  async validate(
    config: ParsedConfig,
    signal: AbortSignal,
  ): Promise<Array<{ field: string; message: string }>> {
    const settings = redisSettings(config);
    return probeServer(settings.uri, settings.type === "JSON", signal);
  }
}
