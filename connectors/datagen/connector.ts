import {
  type ConnectorContext,
  ErrorCode,
  type OffsetsAlterable,
  type ParsedConfig,
  ReplicatedTasksConnector,
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
export class DatagenConnector extends ReplicatedTasksConnector implements OffsetsAlterable {
  protected checkConfig(config: ParsedConfig, context: ConnectorContext): void {
    datagenSettings(config, context.name);
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
