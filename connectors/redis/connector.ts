import {
  type Connector,
  type ConnectorContext,
  ErrorCode,
  type ParsedConfig,
  SluiceError,
} from "../../runtime/api/index.ts";
import { probeServer } from "./client.ts";
import { redisSettings } from "./config.ts";

/** Plans the sink: tasks.max identical tasks; Kafka's consumer group shares the partitions among them. */
export class RedisSinkConnector implements Connector {
  #config: ParsedConfig | null = null;

  async start(config: ParsedConfig, _context: ConnectorContext): Promise<void> {
    redisSettings(config);
    this.#config = config;
  }

  taskConfigs(maxTasks: number): Array<Record<string, string>> {
    const config = this.#config;
    if (config === null) throw new SluiceError(ErrorCode.INTERNAL, "taskConfigs was called before start");
    return Array.from({ length: maxTasks }, () => ({ ...config.originals }));
  }

  async stop(): Promise<void> {
    this.#config = null;
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
