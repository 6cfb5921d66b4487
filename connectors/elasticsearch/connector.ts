import {
  type ConnectorContext,
  type ParsedConfig,
  ReplicatedTasksConnector,
} from "../../runtime/api/index.ts";
import { probeServer } from "./client.ts";
import { elasticsearchSettings } from "./config.ts";
import { indexProblemForTopic } from "./index-name.ts";

/** Plans the sink: tasks.max identical tasks; Kafka's consumer group shares the partitions among them. */
export class ElasticsearchSinkConnector extends ReplicatedTasksConnector {
  protected checkConfig(config: ParsedConfig, _context: ConnectorContext): void {
    elasticsearchSettings(config);
  }

  /**
   * Checks that the cluster answers at connection.url (within connection.timeout.ms + read.timeout.ms),
   * accepts the credentials and is the configured flavor, and that index.name.template yields a valid
   * index name for each topic in `topics`.
   */
  async validate(
    config: ParsedConfig,
    signal: AbortSignal,
  ): Promise<Array<{ field: string; message: string }>> {
    const settings = elasticsearchSettings(config);
    const problems: Array<{ field: string; message: string }> = [];
    const topics = (config.originals["topics"] ?? "")
      .split(",")
      .map((topic) => topic.trim())
      .filter((topic) => topic !== "");
    for (const topic of topics) {
      const problem = indexProblemForTopic(settings.indexTemplate, topic);
      if (problem !== undefined) problems.push({ field: "index.name.template", message: problem });
    }
    const deadline = AbortSignal.any([
      signal,
      AbortSignal.timeout(settings.connectionTimeoutMs + settings.readTimeoutMs),
    ]);
    const probe = await probeServer(settings, deadline);
    if ("field" in probe) problems.push(probe);
    return problems;
  }
}
