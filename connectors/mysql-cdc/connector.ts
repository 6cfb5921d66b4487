import {
  ConfigError,
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
import { mysqlCdcSettings } from "./config.ts";
import { offsetProblem, sourcePartition } from "./offset-context.ts";
import { checkServer } from "./server-checks.ts";

/**
 * Plans mysql-cdc: always one task, since a binlog is one ordered stream. Its position lives in Sluice's
 * offset store, so altering offsets only needs them checked: a binlog position (file, pos, optionally
 * gtids) to resume from, or a reset, after which the next start snapshots according to snapshot.mode.
 */
export class MySqlCdcConnector implements Connector, OffsetsAlterable {
  #config: ParsedConfig | null = null;

  async start(config: ParsedConfig, _context: ConnectorContext): Promise<void> {
    mysqlCdcSettings(config);
    this.#config = config;
  }

  taskConfigs(_maxTasks: number): Array<Record<string, string>> {
    const config = this.#config;
    if (config === null) throw new SluiceError(ErrorCode.INTERNAL, "taskConfigs was called before start");
    return [{ ...config.originals }];
  }

  async stop(): Promise<void> {
    this.#config = null;
  }

  /** Checks the server as the task will at start: binlog settings, privileges, the connection itself. */
  async validate(
    config: ParsedConfig,
    signal: AbortSignal,
  ): Promise<Array<{ field: string; message: string }>> {
    let settings: ReturnType<typeof mysqlCdcSettings>;
    try {
      settings = mysqlCdcSettings(config);
    } catch (error) {
      if (error instanceof ConfigError) return [...error.fieldErrors];
      throw error;
    }
    if (signal.aborted) return [];
    return (await checkServer(settings)).problems;
  }

  async alterOffsets(
    config: ParsedConfig,
    offsets: ReadonlyArray<{
      partition: SourcePartition | TopicPartition;
      offset: SourceOffset | bigint | null;
    }>,
  ): Promise<boolean> {
    const expected = sourcePartition(config.string("topic.prefix"));
    for (const { partition, offset } of offsets) {
      if (JSON.stringify(partition) !== JSON.stringify(expected)) {
        throw new SluiceError(
          ErrorCode.BAD_REQUEST,
          `mysql-cdc has one partition, ${JSON.stringify(expected)}; got ${JSON.stringify(partition)}`,
        );
      }
      if (offset === null) continue;
      const problem = typeof offset === "bigint" ? "it must be an object" : offsetProblem(offset);
      if (problem !== undefined) {
        throw new SluiceError(
          ErrorCode.BAD_REQUEST,
          `mysql-cdc offsets are {"file": "<binlog file>", "pos": <position>, "gtids": "<GTID set>" | null}; ${problem}`,
        );
      }
    }
    return false;
  }
}
