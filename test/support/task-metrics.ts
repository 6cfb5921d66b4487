import type { TaskMetrics } from "../../runtime/api/index.ts";
import { WorkerMetrics } from "../../runtime/worker/metrics.ts";
import type { TaskFigures } from "../../runtime/worker/task-metrics.ts";

/**
 * The worker's own task metrics for a task that a test harness drives without a worker: declarations
 * are checked as the worker checks them, and the figures can be read as the status shows them.
 */
export function testTaskMetrics(kind: "source" | "sink" = "source"): {
  metrics: TaskMetrics;
  figures(): TaskFigures;
} {
  const worker = new WorkerMetrics();
  const metrics = worker.tasks.forTask({ connector: "test", task: 0, kind, isLive: () => true });
  return { metrics, figures: () => worker.tasks.figures("test", 0) ?? {} };
}
