import {
  type Connector,
  type ConnectorContext,
  ErrorCode,
  type OffsetsAlterable,
  type ParsedConfig,
  SluiceError,
  type SourceOffset,
  type SourcePartition,
  type TopicPartition,
} from "../../runtime/api/index.ts";
import { datagenSettings } from "./config.ts";
import { iterationOfOffset, taskOfPartition } from "./offsets.ts";

/**
 * Plans datagen: `tasks.max` tasks, each generating its own stream (`{task: id}`) from the same config.
 * Its position lives in Sluice's offset store, so altered offsets need only be checked here.
 */
export class DatagenConnector implements Connector, OffsetsAlterable {
  #config: ParsedConfig | null = null;

  async start(config: ParsedConfig, context: ConnectorContext): Promise<void> {
    datagenSettings(config, context.name);
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

  /** Accepts `{task: <id>}` partitions with `{iteration: <n>}` offsets or null; Sluice stores them. */
  async alterOffsets(
    _config: ParsedConfig,
    offsets: ReadonlyArray<{
      partition: SourcePartition | TopicPartition;
      offset: SourceOffset | bigint | null;
    }>,
  ): Promise<boolean> {
    for (const { partition, offset } of offsets) {
      if (taskOfPartition(partition) === undefined) {
        throw new SluiceError(
          ErrorCode.BAD_REQUEST,
          `datagen partitions are {"task": <id>}; got ${JSON.stringify(partition)}`,
        );
      }
      if (offset !== null && (typeof offset === "bigint" || iterationOfOffset(offset) === undefined)) {
        throw new SluiceError(
          ErrorCode.BAD_REQUEST,
          `datagen offsets are {"iteration": <n>} with n a whole number from 0; got ${JSON.stringify(offset, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`,
        );
      }
    }
    return false;
  }
}
