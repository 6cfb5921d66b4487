import { Counter, Gauge, type Registry } from "prom-client";
import {
  ErrorCode,
  type MetricReading,
  type MetricSample,
  type MetricSpec,
  SluiceError,
  type TaskMetrics,
} from "../api/index.ts";

/**
 * The metrics tasks declare through their context (see runtime/api/metrics.ts), published in the
 * worker's Prometheus registry as `sluice_source_<name>` / `sluice_sink_<name>` with the labels
 * `connector` and `task`, and as figures in each task's status. A figure is read from the task when it
 * is asked for, and only while the task runs: a stopped or failed task's figures disappear.
 */

/** A task's figures by the names it declared: a number, or one `{...labels, value}` per sample. */
export type TaskFigures = Record<string, number | Array<Record<string, string | number>>>;

type MetricType = "gauge" | "counter";

interface Declared {
  readonly spec: MetricSpec;
  readonly read: () => MetricReading;
}

interface Family {
  readonly type: MetricType;
  readonly labelNames: readonly string[];
}

const NAME = /^[a-z][a-z0-9_]*$/;
const ENGINE_LABELS = new Set(["connector", "task"]);

/** One created task's metrics; `isLive` tells whether the task runs now. */
class TaskScope implements TaskMetrics {
  /** By full metric name, in the order declared. */
  readonly declared = new Map<string, Declared>();
  readonly connector: string;
  readonly task: number;
  readonly isLive: () => boolean;
  readonly #prefix: string;
  readonly #family: (type: MetricType, fullName: string, spec: MetricSpec) => void;

  constructor(options: {
    connector: string;
    task: number;
    prefix: string;
    isLive: () => boolean;
    family: (type: MetricType, fullName: string, spec: MetricSpec) => void;
  }) {
    this.connector = options.connector;
    this.task = options.task;
    this.isLive = options.isLive;
    this.#prefix = options.prefix;
    this.#family = options.family;
  }

  gauge(spec: MetricSpec, read: () => MetricReading): void {
    this.#declare("gauge", spec, read);
  }

  counter(spec: MetricSpec, read: () => MetricReading): void {
    this.#declare("counter", spec, read);
  }

  #declare(type: MetricType, spec: MetricSpec, read: () => MetricReading): void {
    if (!NAME.test(spec.name)) {
      throw invalid(`the task metric name "${spec.name}" must be snake_case, e.g. events_per_second`);
    }
    if (spec.help.trim() === "") throw invalid(`the task metric "${spec.name}" needs a help text`);
    for (const label of spec.labelNames ?? []) {
      if (!NAME.test(label) || ENGINE_LABELS.has(label)) {
        throw invalid(
          `the label "${label}" of task metric "${spec.name}" must be snake_case and not connector or task (the engine adds those)`,
        );
      }
    }
    const fullName = this.#prefix + spec.name;
    if (this.declared.has(fullName)) throw invalid(`the task metric "${spec.name}" is declared twice`);
    this.#family(type, fullName, spec);
    this.declared.set(fullName, { spec, read });
  }

  /** The samples of one declared metric now; empty when it does not apply or its read threw. */
  samples(fullName: string): MetricSample[] {
    const declared = this.declared.get(fullName);
    if (declared === undefined) return [];
    let reading: MetricReading;
    try {
      reading = declared.read();
    } catch {
      return [];
    }
    if (reading === null) return [];
    if (typeof reading === "number") return [{ labels: {}, value: reading }];
    return [...reading];
  }
}

export class TaskMetricFamilies {
  readonly #registry: Registry;
  readonly #families = new Map<string, Family>();
  /** The latest created task of each connector and task id. */
  readonly #scopes = new Map<string, TaskScope>();

  constructor(registry: Registry) {
    this.#registry = registry;
  }

  /**
   * The metrics handle of a task being created; it replaces that of the previous task with the same
   * connector and id. `isLive` tells whether the task runs (its figures are published only then).
   */
  forTask(options: {
    connector: string;
    task: number;
    kind: "source" | "sink";
    isLive: () => boolean;
  }): TaskMetrics {
    const scope = new TaskScope({
      connector: options.connector,
      task: options.task,
      prefix: `sluice_${options.kind}_`,
      isLive: options.isLive,
      family: (type, fullName, spec) => this.#family(type, fullName, spec),
    });
    this.#scopes.set(scopeKey(options.connector, options.task), scope);
    return scope;
  }

  /** A running task's figures, for its status; null when it runs not here or publishes none. */
  figures(connector: string, task: number): TaskFigures | null {
    const scope = this.#scopes.get(scopeKey(connector, task));
    if (scope === undefined || !scope.isLive() || scope.declared.size === 0) return null;
    const figures: TaskFigures = {};
    for (const [fullName, { spec }] of scope.declared) {
      const samples = scope.samples(fullName).filter((s) => Number.isFinite(s.value));
      if (samples.length === 0) continue;
      figures[spec.name] =
        (spec.labelNames ?? []).length === 0
          ? (samples[0] as MetricSample).value
          : samples.map((s) => ({ ...s.labels, value: s.value }));
    }
    return figures;
  }

  /** Drops the tasks of a deleted connector. */
  forget(connector: string): void {
    for (const [key, scope] of this.#scopes) if (scope.connector === connector) this.#scopes.delete(key);
  }

  /** Registers the Prometheus metric behind a task metric on its first declaration by any task. */
  #family(type: MetricType, fullName: string, spec: MetricSpec): void {
    const labelNames = ["connector", "task", ...(spec.labelNames ?? [])];
    const known = this.#families.get(fullName);
    if (known !== undefined) {
      if (known.type !== type || known.labelNames.join() !== labelNames.join()) {
        throw invalid(
          `the task metric "${spec.name}" is declared as a ${type} with labels [${labelNames.join(", ")}], but another task declared it as a ${known.type} with labels [${known.labelNames.join(", ")}]`,
        );
      }
      return;
    }
    if (this.#registry.getSingleMetric(fullName) !== undefined) {
      throw invalid(`the task metric "${spec.name}" would be ${fullName}, which the engine publishes itself`);
    }
    const fill = (metric: Gauge | Counter) => {
      metric.reset();
      for (const scope of this.#scopes.values()) {
        if (!scope.declared.has(fullName) || !scope.isLive()) continue;
        const engineLabels = { connector: scope.connector, task: String(scope.task) };
        for (const { labels, value } of scope.samples(fullName)) {
          try {
            if (metric instanceof Gauge) metric.set({ ...labels, ...engineLabels }, value);
            else metric.inc({ ...labels, ...engineLabels }, value);
          } catch {
            // A sample with labels other than those declared, or a negative count: skipped.
          }
        }
      }
    };
    const options = {
      name: fullName,
      help: spec.help,
      labelNames,
      registers: [this.#registry],
      collect: () => fill(metric),
    };
    const metric: Gauge | Counter = type === "gauge" ? new Gauge(options) : new Counter(options);
    this.#families.set(fullName, { type, labelNames });
  }
}

function scopeKey(connector: string, task: number): string {
  return `${connector}\u0000${task}`;
}

function invalid(message: string): SluiceError {
  return new SluiceError(ErrorCode.INTERNAL, message);
}
