import type { SourceOffset, SourcePartition } from "../../runtime/api/index.ts";

/** Each task generates its own stream: `{task: id}`. */
export function datagenPartition(taskId: number): SourcePartition {
  return { task: taskId };
}

/** `{iteration: n}`: record n of the task's stream (counting from 0) is in Kafka, and every one before it. */
export function datagenOffset(iteration: number): SourceOffset {
  return { iteration };
}

/** The map's one value, when `key` is its only key and the value a whole number from 0. */
function onlyCount(map: object, key: string): number | undefined {
  const entries = Object.entries(map);
  const [only] = entries;
  if (entries.length !== 1 || only === undefined || only[0] !== key) return undefined;
  const value: unknown = only[1];
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/** The task id of a datagen partition, or undefined when the map is not one. */
export function taskOfPartition(partition: object): number | undefined {
  return onlyCount(partition, "task");
}

/** The iteration of a datagen offset, or undefined when the map is not one. */
export function iterationOfOffset(offset: object): number | undefined {
  return onlyCount(offset, "iteration");
}
