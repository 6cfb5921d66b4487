import { Client, Transport } from "@elastic/elasticsearch";
import { Redis } from "ioredis";
import mysql from "mysql2/promise";
import { type BenchEntry, toEntry } from "../report.ts";
import type { Scenario, ScenarioContext } from "../scenario.ts";
import { type ConnectProcess, startSluiceWorker } from "../support/connect-process.ts";
import { sleep, waitFor } from "../support/process-stats.ts";

/**
 * End-to-end latency: rows are inserted into MariaDB at a fixed rate (one INSERT, one transaction, every
 * 10 ms), each carrying its commit time; Sluice's mysql-cdc streams them into Kafka, and two sinks in the
 * same worker deliver them: Redis (HASH, the raw change events) and OpenSearch (rows unwrapped by
 * ExtractNewRecordState). A row's latency is from the moment its INSERT returned to the moment it is
 * visible. Every SAMPLE_EVERY-th row (ids divisible by it) is watched, so that watching does not load the
 * servers it measures (a realtime get of a document not yet refreshed makes OpenSearch refresh):
 *  - Redis: the keyspace notification of its HSET (subscribed by a pattern that matches only those keys);
 *  - OpenSearch, by id: the first realtime multi-get (every 25 ms) that finds its document — what a
 *    reader by key sees as soon as the sink's bulk request is done;
 *  - OpenSearch, searchable: the first search (every 100 ms) whose max(id) covers it, so this figure
 *    also holds the index's refresh interval (OpenSearch's default: 1 s), which is the index's setting,
 *    not the sink's.
 * Reported per rate (1k and 5k rows/s): p50, p99 and p99.9 in ms; p99 against the 200 ms target. Then
 * the rate is raised step by step to find the highest at which lag does not grow (see `SUSTAINED`).
 */

const DATABASE = "sluice_bench_latency";
const TICK_MS = 10;
const P99_TARGET_MS = 200;
const REDIS_DB = 9;
/** Rows whose id is divisible by this are watched (see the file's comment). */
const SAMPLE_EVERY = 10;

/**
 * The search for the highest rate at which lag does not grow: each rate runs as long as a fixed rate
 * does; it is sustained when the writer reached it, every row became visible, and the median latency of
 * the rate's last fifth of rows exceeds that of its first fifth by at most `growthMs` (a rate beyond
 * what the pipeline can take makes lag grow for as long as it lasts, by seconds over a run). The first
 * rate that is not sustained ends the search.
 */
const SUSTAINED = { rates: [10_000, 15_000, 20_000, 30_000, 40_000], growthMs: 250 };

/** Where a row becomes visible; see the file's comment. */
const VIEWS = ["redis", "opensearch by id", "opensearch searchable"] as const;
type View = (typeof VIEWS)[number];

class OpenSearchTransport extends Transport {
  constructor(options: ConstructorParameters<typeof Transport>[0]) {
    super({ ...options, productCheck: undefined, vendoredHeaders: undefined });
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Observed {
  committedAt: Map<number, number>;
  /** Per view, when each row id was first seen there. */
  visible: Record<View, Map<number, number>>;
  /** One past the highest id inserted so far. */
  nextId: number;
}

/** Inserts `rate` rows/s for `seconds`, ids from `observed.nextId`; records when each INSERT returned. */
async function insertAtRate(
  db: mysql.Connection,
  table: string,
  rate: number,
  seconds: number,
  observed: Observed,
): Promise<void> {
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  const ticks = Math.round((seconds * 1000) / TICK_MS);
  const began = performance.now();
  for (let tick = 0; tick < ticks; tick++) {
    const due = began + tick * TICK_MS;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const first = observed.nextId;
    const values: string[] = [];
    for (let id = first; id < first + perTick; id++) values.push(`(${id},${Date.now()},'row ${id}')`);
    await db.query(`INSERT INTO \`${DATABASE}\`.\`${table}\` VALUES ${values.join(",")}`);
    const committed = performance.now();
    for (let id = first; id < first + perTick; id++) observed.committedAt.set(id, committed);
    observed.nextId = first + perTick;
  }
}

/** The watched ids `from` ≤ id < `to`. */
function* watchedIds(from: number, to: number): Generator<number> {
  for (let id = Math.ceil(from / SAMPLE_EVERY) * SAMPLE_EVERY; id < to; id += SAMPLE_EVERY) yield id;
}

/** How many ids `from` ≤ id < `to` are watched. */
function watchedCount(from: number, to: number): number {
  return Math.max(0, Math.ceil(to / SAMPLE_EVERY) - Math.ceil(from / SAMPLE_EVERY));
}

/** Latencies in ms, sorted, of the watched rows `from` ≤ id < `to` seen in `view`. */
function latencies(observed: Observed, view: View, from: number, to: number): number[] {
  const out: number[] = [];
  const visible = observed.visible[view];
  for (const id of watchedIds(from, to)) {
    const committed = observed.committedAt.get(id);
    const seen = visible.get(id);
    if (committed !== undefined && seen !== undefined) out.push(Math.max(0, seen - committed));
  }
  return out.sort((a, b) => a - b);
}

/**
 * Watches OpenSearch until `stop()`: a realtime multi-get every 25 ms of the lowest watched ids not
 * found yet (up to 100 at a time) for the "by id" view, and a max(id) search every 100 ms for the
 * searchable one.
 */
function watchOpenSearch(search: Client, index: string, observed: Observed): () => Promise<void> {
  let watching = true;
  const byId = (async () => {
    const found = observed.visible["opensearch by id"];
    let lowest = 0;
    while (watching) {
      while (found.has(lowest)) lowest += SAMPLE_EVERY;
      const ids = [...watchedIds(lowest, Math.min(lowest + 100 * SAMPLE_EVERY, observed.nextId))].map(String);
      if (ids.length > 0) {
        const answer = await search.mget({ index, ids, _source: false }).catch(() => null);
        const now = performance.now();
        for (const doc of answer?.docs ?? []) {
          if ("found" in doc && doc.found && !found.has(Number(doc._id))) found.set(Number(doc._id), now);
        }
      }
      await sleep(25);
    }
  })();
  const searchable = (async () => {
    const seen = observed.visible["opensearch searchable"];
    let seenMax = -1;
    while (watching) {
      const answer = await search
        .search({ index, size: 0, aggs: { top: { max: { field: "id" } } } })
        .catch(() => null);
      const now = performance.now();
      const top = (answer?.aggregations?.top as { value: number | null } | undefined)?.value ?? -1;
      for (let id = Math.max(seenMax + 1, 0); id <= top; id++) seen.set(id, now);
      seenMax = Math.max(seenMax, top);
      await sleep(100);
    }
  })();
  return async () => {
    watching = false;
    await Promise.all([byId, searchable]);
  };
}

async function createConnectors(
  context: ScenarioContext,
  worker: ConnectProcess,
  table: string,
  prefix: string,
  redisUri: string,
): Promise<{ topic: string; index: string; names: string[] }> {
  const { env } = context;
  const topic = `${prefix}.${DATABASE}.${table}`;
  const source = `${prefix}-source`;
  await worker.rest("PUT", `/connectors/${source}/config`, {
    "connector.class": "mysql-cdc",
    "database.hostname": env.mariadb.host,
    "database.port": String(env.mariadb.port),
    "database.user": env.mariadb.user,
    "database.password": env.mariadb.password,
    "database.server.id": String(40_000 + Math.floor(Math.random() * 1_000_000)),
    "topic.prefix": prefix,
    "database.include.list": DATABASE,
    "table.include.list": `${DATABASE}.${table}`,
    "snapshot.mode": "no_data",
    "include.schema.changes": "false",
  });
  await worker.rest("PUT", `/connectors/${prefix}-redis/config`, {
    "connector.class": "redis",
    topics: topic,
    "redis.uri": redisUri,
    "redis.type": "HASH",
  });
  await worker.rest("PUT", `/connectors/${prefix}-opensearch/config`, {
    "connector.class": "elasticsearch",
    topics: topic,
    "connection.url": env.opensearchUrl,
    flavor: "opensearch",
    transforms: "unwrap",
    "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
  });
  return { topic, index: topic.toLowerCase(), names: [source, `${prefix}-redis`, `${prefix}-opensearch`] };
}

/** Whether every row `from` ≤ id < `to` is visible in `view`, and by how much its lag grew (see `SUSTAINED`). */
function lagGrowth(observed: Observed, view: View, from: number, to: number): number | null {
  const all = latencies(observed, view, from, to);
  if (all.length < watchedCount(from, to)) return null;
  const fifth = Math.max(SAMPLE_EVERY, Math.floor((to - from) / 5));
  const first = latencies(observed, view, from, from + fifth);
  const last = latencies(observed, view, to - fifth, to);
  return percentile(last, 50) - percentile(first, 50);
}

export const latencyScenario: Scenario = {
  name: "latency",
  async run(context: ScenarioContext) {
    const rates = [1_000, 5_000];
    const seconds = context.quick ? 10 : 30;
    const { env } = context;
    const redisUri = `${env.redisUrl.replace(/\/\d*$/, "")}/${REDIS_DB}`;
    const db = await mysql.createConnection({ ...env.mariadb, multipleStatements: true });
    const redis = new Redis(redisUri);
    const subscriber = new Redis(redisUri);
    const search = new Client({ node: env.opensearchUrl, Transport: OpenSearchTransport });
    const [, previousEvents] = (await redis.config("GET", "notify-keyspace-events")) as [string, string];
    const samples = new Map<string, number[]>();
    const add = (key: string, value: number) => samples.set(key, [...(samples.get(key) ?? []), value]);
    try {
      await redis.config("SET", "notify-keyspace-events", "Kh");
      await db.query(`CREATE DATABASE IF NOT EXISTS \`${DATABASE}\``);
      for (let run = 1; run <= context.runs; run++) {
        const stamp = `${Date.now().toString(36)}${run}`;
        const table = `lat_${stamp}`;
        const prefix = `bench-lat-${stamp}`;
        await redis.flushdb();
        await db.query(
          `CREATE TABLE \`${DATABASE}\`.\`${table}\` (id INT PRIMARY KEY, committed_at BIGINT NOT NULL, note VARCHAR(32) NOT NULL)`,
        );
        const worker = await startSluiceWorker(env.kafkaBootstrap, {}, context.workerNodeOptions);
        const observed: Observed = {
          committedAt: new Map(),
          visible: { redis: new Map(), "opensearch by id": new Map(), "opensearch searchable": new Map() },
          nextId: 0,
        };
        let stopWatching: (() => Promise<void>) | null = null;
        let created: { topic: string; index: string; names: string[] } | null = null;
        try {
          created = await createConnectors(context, worker, table, prefix, redisUri);
          const { topic, index } = created;
          // Keys are `<topic>:<id>`: the watched ids end in 0 (SAMPLE_EVERY is 10), the markers with "-".
          const channel = `__keyspace@${REDIS_DB}__:${topic}:`;
          await subscriber.psubscribe(`${channel}*0`, `${channel}-*`);
          subscriber.on("pmessage", (_pattern: string, name: string, event: string) => {
            if (event !== "hset") return;
            const id = Number(name.slice(channel.length));
            if (!observed.visible.redis.has(id)) observed.visible.redis.set(id, performance.now());
          });
          // Markers (negative ids) until one reaches Redis and OpenSearch: every connector is streaming.
          let marker = 0;
          await waitFor(
            "the pipeline to deliver a marker row",
            async () => {
              for (const name of created?.names ?? []) await worker.assertNotFailed(name);
              const inIndex = await search
                .count({ index })
                .then((answer) => answer.count)
                .catch(() => 0);
              if (observed.visible.redis.size > 0 && inIndex > 0) return true;
              marker -= 1;
              await db.query(`INSERT INTO \`${DATABASE}\`.\`${table}\` VALUES (${marker},0,'marker')`);
              return undefined;
            },
            180_000,
            1_000,
          );
          stopWatching = watchOpenSearch(search, index, observed);
          /** Inserts at `rate`, then waits for every row in every view; false when some never showed. */
          const step = async (rate: number): Promise<{ from: number; to: number; reached: boolean }> => {
            const from = observed.nextId;
            const began = performance.now();
            const cpuBefore = worker.cpuMicros();
            await insertAtRate(db, table, rate, seconds, observed);
            const wallMs = performance.now() - began;
            const to = observed.nextId;
            const achieved = ((to - from) * 1000) / wallMs;
            // Above about 1.0 the worker's one JavaScript thread is saturated (GC threads add a little).
            const cores = (worker.cpuMicros() - cpuBefore) / 1000 / wallMs;
            await waitFor(
              "the last rows to become visible",
              () => {
                const last = Math.ceil(to / SAMPLE_EVERY) * SAMPLE_EVERY - SAMPLE_EVERY;
                return VIEWS.every((view) => observed.visible[view].has(last)) ? true : undefined;
              },
              60_000,
              200,
            ).catch(() => context.note(`latency run ${run}: not every row became visible within 60 s.`));
            const summary = VIEWS.map((view) => {
              const sorted = latencies(observed, view, from, to);
              return `${view} p50 ${percentile(sorted, 50).toFixed(0)} ms p99 ${percentile(sorted, 99).toFixed(0)} ms`;
            });
            context.log(
              `latency run ${run} at ${rate} rows/s (${achieved.toFixed(0)} written): ${summary.join("; ")}; worker CPU ${cores.toFixed(2)} cores`,
            );
            return { from, to, reached: achieved >= rate * 0.95 };
          };
          /** The highest rate sustained so far per view; a view drops out at its first rate that is not. */
          const sustained = { redis: 0, "opensearch by id": 0 };
          const growing = new Set<keyof typeof sustained>();
          const judge = (rate: number, from: number, to: number) => {
            for (const view of ["redis", "opensearch by id"] as const) {
              if (growing.has(view)) continue;
              const growth = lagGrowth(observed, view, from, to);
              if (growth !== null && growth <= SUSTAINED.growthMs) sustained[view] = rate;
              else growing.add(view);
            }
          };
          for (const rate of rates) {
            const { from, to, reached } = await step(rate);
            if (reached) judge(rate, from, to);
            if (!reached) context.note(`latency run ${run}: the writer did not reach ${rate} rows/s.`);
            for (const view of VIEWS) {
              const sorted = latencies(observed, view, from, to);
              if (sorted.length < watchedCount(from, to)) {
                context.note(
                  `latency run ${run}: ${view} showed ${sorted.length} of ${watchedCount(from, to)} watched rows at ${rate} rows/s.`,
                );
              }
              for (const p of [50, 99, 99.9]) add(`${rate}\n${view}\n${p}`, percentile(sorted, p));
            }
          }
          for (const rate of growing.size === 2 ? [] : SUSTAINED.rates) {
            const { from, to, reached } = await step(rate);
            if (!reached) {
              context.note(
                `latency run ${run}: the writer reached no more than ${rate} rows/s; the search stopped there.`,
              );
              break;
            }
            judge(rate, from, to);
            if (growing.size === 2) break;
          }
          for (const view of ["redis", "opensearch by id"] as const)
            add(`sustained\n${view}`, sustained[view]);
        } finally {
          await stopWatching?.();
          await subscriber.punsubscribe().catch(() => {});
          subscriber.removeAllListeners("pmessage");
          for (const name of created?.names ?? []) await worker.deleteConnector(name);
          await worker.stop();
          await search.indices.delete({ index: created?.index ?? "-" }, { ignore: [404] }).catch(() => {});
          if (created !== null) await context.kafka.deleteTopics(created.topic);
          await db.query(`DROP TABLE IF EXISTS \`${DATABASE}\`.\`${table}\``);
        }
      }
    } finally {
      await redis.config("SET", "notify-keyspace-events", previousEvents ?? "").catch(() => {});
      await redis.flushdb().catch(() => {});
      await db.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``).catch(() => {});
      await Promise.allSettled([db.end(), redis.quit(), subscriber.quit(), search.close()]);
    }
    const entries: BenchEntry[] = [];
    for (const [key, values] of samples) {
      const [rate, view, p] = key.split("\n") as [string, string, string | undefined];
      if (rate === "sustained") {
        entries.push(
          toEntry(
            {
              scenario: "latency, highest rate without growing lag",
              system: `sluice mysql-cdc → ${view}`,
              metric: "sustained rate",
              unit: "rows/s",
              samples: values,
            },
            null,
          ),
        );
        continue;
      }
      const entry = toEntry(
        {
          scenario: `latency ${Number(rate) / 1000}k rows/s`,
          system: `sluice mysql-cdc → ${view}`,
          metric: `p${p} commit→visible`,
          unit: "ms",
          samples: values,
        },
        p === "99" ? P99_TARGET_MS : null,
      );
      entries.push(entry);
      if (p === "99" && rate === "5000") {
        context.note(
          `latency: ${view} p99 at 5k rows/s is ${entry.median.toFixed(0)} ms (target ≤ ${P99_TARGET_MS} ms: ${entry.median <= P99_TARGET_MS ? "met" : "missed"}).`,
        );
      }
    }
    context.note(
      `latency: ${seconds} s at each rate per run. "opensearch by id" is a realtime multi-get; "opensearch searchable" also waits for the index's refresh (default 1 s), an index setting no sink controls. The highest rate without growing lag is searched over ${SUSTAINED.rates.map((r) => `${r / 1000}k`).join(", ")} rows/s after 1k and 5k (lag grows when the last fifth of a rate's rows waits over ${SUSTAINED.growthMs} ms longer than its first fifth; 0 when even 1k makes it grow).`,
    );
    return entries;
  },
};
