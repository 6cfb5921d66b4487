import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { TaskMetricFamilies } from "./task-metrics.ts";

/** The worker's Prometheus metrics, one registry per worker, labelled by connector and task. */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly recordsPolled = new Counter({
    name: "sluice_source_records_polled_total",
    help: "Records returned by source tasks' poll.",
    labelNames: ["connector", "task"],
    registers: [this.registry],
  });
  readonly recordsWritten = new Counter({
    name: "sluice_records_written_total",
    help: "Records written: produced to Kafka and acknowledged (sources), or put into the target (sinks).",
    labelNames: ["connector", "task"],
    registers: [this.registry],
  });
  readonly recordsFailed = new Counter({
    name: "sluice_records_failed_total",
    help: "Records that failed at some stage, tolerated or not.",
    labelNames: ["connector", "task", "stage"],
    registers: [this.registry],
  });
  readonly recordsDeadLettered = new Counter({
    name: "sluice_records_dead_lettered_total",
    help: "Records sent to the dead-letter topic.",
    labelNames: ["connector", "task"],
    registers: [this.registry],
  });
  readonly batchSeconds = new Histogram({
    name: "sluice_batch_duration_seconds",
    help: "Time to process one batch: poll to produce-ack for sources; conversion and put for sinks.",
    labelNames: ["connector", "task"],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly consumerLag = new Gauge({
    name: "sluice_sink_consumer_lag_records",
    help: "Records between a sink task's position and the end of each partition.",
    labelNames: ["connector", "task", "topic", "partition"],
    registers: [this.registry],
  });
  readonly lastOffsetCommit = new Gauge({
    name: "sluice_offset_commit_timestamp_seconds",
    help: "When a task last committed offsets (subtract from time() for the age).",
    labelNames: ["connector", "task"],
    registers: [this.registry],
  });
  readonly taskRestarts = new Counter({
    name: "sluice_task_restarts_total",
    help: "Automatic restarts of failed tasks by the supervisor.",
    labelNames: ["connector", "task"],
    registers: [this.registry],
  });

  /** The metrics tasks declare themselves (lag, rates, snapshot progress), by task. */
  readonly tasks = new TaskMetricFamilies(this.registry);

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** Drops every series of a connector, when it is deleted. */
  async forget(connector: string): Promise<void> {
    this.tasks.forget(connector);
    const metrics = [
      this.recordsPolled,
      this.recordsWritten,
      this.recordsFailed,
      this.recordsDeadLettered,
      this.batchSeconds,
      this.consumerLag,
      this.lastOffsetCommit,
      this.taskRestarts,
    ];
    for (const metric of metrics) {
      const { values } = await metric.get();
      for (const { labels } of values) {
        if (labels.connector !== connector) continue;
        // A histogram's bucket values carry `le`, which is not one of the series' labels.
        const { le: _bucket, ...series } = labels as Record<string, string | number>;
        (metric as Counter<string>).remove(series);
      }
    }
  }
}
