import {
  type ClusterMetadata,
  ConnectionPool,
  FetchIsolationLevels,
  type GroupAssignment,
  heartbeatV4,
  IS_CONTROL,
  Admin as LibraryAdmin,
  Consumer as LibraryConsumer,
  ListOffsetTimestamps,
  type RecordsBatch,
} from "@platformatic/kafka";
import { ConfigError, ErrorCode, RetriableError, SluiceError } from "../api/errors.ts";
import type { Logger } from "../api/logger.ts";
import { type TopicPartition, topicPartitionKey } from "../api/records.ts";
import { toSluiceError } from "./errors.ts";
import {
  ClientSettings,
  type CommonClientOptions,
  integer,
  nonBlank,
  oneOf,
  readCommonOptions,
  SettingsReader,
} from "./settings.ts";
import type { PartitionOffset, RawHeader, RawRecord } from "./types.ts";

/** Called from within `poll` around group rebalances; see KafkaSinkConsumerOptions.listener. */
export interface RebalanceListener {
  /**
   * After this member received partitions and before any record of them is returned. Each partition
   * starts at the group's committed offset (or per auto.offset.reset) unless the callback calls `seek`
   * for it. A throw makes that `poll` reject; the partitions stay assigned.
   */
  onAssigned?(partitions: readonly TopicPartition[]): Promise<void> | void;
  /**
   * When partitions are about to move to another member, before this member rejoins the group: no
   * other member gets them until the returned promise settles, so this is where the caller flushes and
   * commits. No record of these partitions is returned after the call starts. The member stays in the
   * group meanwhile (it keeps heartbeating) for up to max.poll.interval.ms, counted from the rebalance's
   * start, so the caller must poll that often; past it the group moves on without this member and its
   * later commits fail. A throw makes that `poll` reject; the partitions are revoked regardless.
   */
  onRevoked?(partitions: readonly TopicPartition[]): Promise<void> | void;
}

export interface KafkaSinkConsumerOptions {
  bootstrapServers: readonly string[];
  /** The group is `connect-<connectorName>` unless `consumer.override.group.id` says otherwise. */
  connectorName: string;
  /** The connector's `topics`; exactly one of `topics` and `topicsRegex` must be given. */
  topics?: readonly string[];
  /** The connector's `topics.regex` (Java syntax that JavaScript shares: a full match of the topic name). */
  topicsRegex?: string | null;
  /** `consumer.*` worker keys and `consumer.override.*` connector keys (see ClientSettings.fromConfigs). */
  settings?: ClientSettings;
  /** The client id when the settings name none, e.g. `connector-consumer-<connector>-<task>`. */
  clientId?: string;
  logger?: Logger;
  listener?: RebalanceListener;
}

type OffsetReset = "earliest" | "latest" | "none";

/** The consumer settings Sluice maps, with Kafka Connect's defaults for sink consumers. */
interface ConsumerTuning {
  groupId: string;
  maxPollRecords: number;
  fetchMaxBytes: number;
  maxPartitionFetchBytes: number;
  fetchMinBytes: number;
  fetchMaxWaitMs: number;
  autoOffsetReset: OffsetReset;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  isolationLevel: number;
}

/** One assigned partition: where fetching stands and what was fetched but not yet returned. */
interface PartitionState {
  readonly tp: TopicPartition;
  /** The next offset to fetch; null until resolved from the committed offset or auto.offset.reset. */
  fetchOffset: bigint | null;
  /** Resolve the position from auto.offset.reset, ignoring the committed offset (after OFFSET_OUT_OF_RANGE). */
  resetNeeded: boolean;
  paused: boolean;
  buffer: RawRecord[];
  bufferHead: number;
  bufferedBytes: number;
  /** Bumped by seek, pause and resume; a fetch answered for an older epoch is dropped. */
  epoch: number;
  /** The fetch request this partition is part of, if one is under way. */
  fetching: number | null;
  /** No fetch before this time (ms, performance.now()) after a partition error. */
  retryAt: number;
  /** The partition's log end as the last fetch reported it; null before the first fetch. */
  highWatermark: bigint | null;
}

interface PendingRevoke {
  partitions: TopicPartition[];
  done: PromiseWithResolvers<void>;
}

type FetchResponse = Awaited<ReturnType<LibraryConsumer["fetch"]>>;

const EMPTY = Buffer.alloc(0);

/** Exactly one of `topics` and `topics.regex`, as Kafka Connect requires of a sink connector. */
function subscriptionOf(
  topics: readonly string[],
  regex: string | null,
): { topics: readonly string[] } | { regex: RegExp } {
  const listed = topics.filter((topic) => topic.trim() !== "");
  const hasRegex = regex !== null && regex.trim() !== "";
  if (listed.length > 0 && hasRegex) {
    throw new ConfigError([
      { field: "topics.regex", message: "give either topics or topics.regex, not both" },
    ]);
  }
  if (hasRegex) {
    try {
      return { regex: new RegExp(`^(?:${regex})$`) };
    } catch (error) {
      throw new ConfigError([
        { field: "topics.regex", message: `is not a valid regular expression: ${String(error)}` },
      ]);
    }
  }
  if (listed.length === 0) {
    throw new ConfigError([{ field: "topics", message: "a sink connector needs topics or topics.regex" }]);
  }
  return { topics: [...new Set(listed)] };
}

const TIMESTAMP_TYPE_LOG_APPEND = 0b1000;

/** Resolves when `promise` settles or `ms` passed, whichever comes first. */
async function settledOrTimedOut(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function recordBytes(record: RawRecord): number {
  let bytes = 64 + (record.key?.byteLength ?? 0) + (record.value?.byteLength ?? 0);
  for (const header of record.headers) bytes += header.key.length + (header.value?.byteLength ?? 0);
  return bytes;
}

function responseOf(error: unknown): FetchResponse | undefined {
  const candidate = error as { response?: unknown; errors?: unknown[] } | null;
  if (candidate?.response && typeof candidate.response === "object" && "responses" in candidate.response) {
    return candidate.response as FetchResponse;
  }
  for (const inner of candidate?.errors ?? []) {
    const found = responseOf(inner);
    if (found) return found;
  }
  return undefined;
}

/**
 * The consumer of one sink task: a member of the connector's group (`connect-<connector>`), pull-style.
 * The engine's loop calls `poll` repeatedly; rebalance callbacks run only inside `poll`, so they never
 * overlap the caller's handling of an earlier batch. Offsets are committed only by `commit` (never
 * automatically), with Kafka's meaning: the offset is the next one to read.
 *
 * Fetching is demand-driven and per partition: a partition is fetched only when it is assigned, not
 * paused, and has at most half of max.partition.fetch.bytes of fetched records left (so the next fetch
 * reads ahead while the rest is polled), and no fetch starts while fetch.max.bytes of records are
 * buffered. Pausing drops what was buffered for the partition (it is fetched again on resume), so
 * memory stays near fetch.max.bytes (plus one in-flight response per broker) whatever the lag.
 *
 * The group uses Kafka's classic protocol with the eager round-robin assignor: every rebalance revokes
 * every partition of every member (onRevoked), then assigns anew (onAssigned). One exception to
 * "onRevoked settles before the partitions move": when a `commit` itself runs into a rebalance, the
 * library rejoins from inside that commit, so the partitions go at once and onRevoked runs in the next
 * poll, after the fact (the records are delivered again elsewhere: at-least-once).
 *
 * Settings (`consumer.*` / `consumer.override.*`): group.id, group.instance.id, max.poll.records (500),
 * fetch.max.bytes (52428800), max.partition.fetch.bytes (1048576), fetch.min.bytes (1),
 * fetch.max.wait.ms (500), auto.offset.reset (earliest|latest|none; default earliest as Kafka Connect),
 * session.timeout.ms (45000), heartbeat.interval.ms (3000), max.poll.interval.ms (300000; the rebalance
 * timeout), isolation.level (read_committed by default, unlike Kafka's Java consumer, so that records of
 * aborted transactions — e.g. of an exactly-once source that crashed — never reach a sink;
 * read_uncommitted), metadata.max.age.ms (also how often
 * topics.regex is matched again), request.timeout.ms, retry.backoff.ms, client.id, client.rack.
 * enable.auto.commit is accepted only as false. Java-only keys are ignored with a warning; unknown keys
 * are a ConfigError.
 */
export class KafkaSinkConsumer {
  readonly groupId: string;
  readonly #client: LibraryConsumer;
  readonly #fetchPool: ConnectionPool;
  readonly #common: CommonClientOptions;
  readonly #tuning: ConsumerTuning;
  readonly #subscription: { topics: readonly string[] } | { regex: RegExp };
  readonly #logger: Logger | undefined;
  readonly #listener: RebalanceListener;

  readonly #partitions = new Map<string, PartitionState>();
  #drainCursor = 0;
  #bufferedBytes = 0;
  #fetchRequests = 0;
  readonly #fetchingNodes = new Set<number>();

  #topics: string[] = [];
  #topicsCheckedAt = Number.NEGATIVE_INFINITY;
  #admin: LibraryAdmin | null = null;
  #joining: Promise<void> | null = null;
  /** The topic set changed while a join was under way: join again when it ends. */
  #rejoinWanted = false;
  #joined = false;

  readonly #pendingRevokes: PendingRevoke[] = [];
  #pendingAssignment: TopicPartition[] | null = null;
  #pendingError: SluiceError | null = null;
  #commitsInFlight = 0;
  #polling = false;
  #wakeUp: (() => void) | null = null;
  #closed = false;
  #closing: Promise<void> | null = null;

  /** Validates the settings (ConfigError names every bad key); joins the group on the first poll. */
  constructor(options: KafkaSinkConsumerOptions) {
    const reader = new SettingsReader("consumer", options.settings ?? new ClientSettings());
    this.#common = readCommonOptions(reader, options.bootstrapServers, options.clientId ?? "sluice-consumer");
    this.#tuning = {
      groupId: reader.read("group.id", nonBlank, `connect-${options.connectorName}`),
      maxPollRecords: reader.read("max.poll.records", integer(1), 500),
      fetchMaxBytes: reader.read("fetch.max.bytes", integer(1), 52_428_800),
      maxPartitionFetchBytes: reader.read("max.partition.fetch.bytes", integer(1), 1_048_576),
      fetchMinBytes: reader.read("fetch.min.bytes", integer(0), 1),
      fetchMaxWaitMs: reader.read("fetch.max.wait.ms", integer(0), 500),
      autoOffsetReset: reader.read(
        "auto.offset.reset",
        oneOf(["earliest", "latest", "none"] as const),
        "earliest",
      ),
      sessionTimeoutMs: reader.read("session.timeout.ms", integer(1), 45_000),
      heartbeatIntervalMs: reader.read("heartbeat.interval.ms", integer(1), 3_000),
      rebalanceTimeoutMs: reader.read("max.poll.interval.ms", integer(1), 300_000),
      isolationLevel:
        reader.read(
          "isolation.level",
          oneOf(["read_uncommitted", "read_committed"] as const),
          "read_committed",
        ) === "read_committed"
          ? FetchIsolationLevels.READ_COMMITTED
          : FetchIsolationLevels.READ_UNCOMMITTED,
    };
    const groupInstanceId = reader.read("group.instance.id", nonBlank, "");
    const clientRack = reader.read("client.rack", nonBlank, "");
    reader.read(
      "enable.auto.commit",
      (text) =>
        text.toLowerCase() === "false" ? { value: false } : { error: "Sluice commits sink offsets itself" },
      false,
    );
    reader.read("group.protocol", oneOf(["classic"] as const), "classic");
    const { sessionTimeoutMs, heartbeatIntervalMs, rebalanceTimeoutMs } = this.#tuning;
    if (heartbeatIntervalMs >= sessionTimeoutMs) {
      reader.refuse("heartbeat.interval.ms", `must be less than session.timeout.ms (${sessionTimeoutMs})`);
    }
    if (rebalanceTimeoutMs < sessionTimeoutMs) {
      reader.refuse("max.poll.interval.ms", `must be at least session.timeout.ms (${sessionTimeoutMs})`);
    }
    if (this.#tuning.fetchMaxWaitMs >= this.#common.requestTimeout) {
      reader.refuse(
        "fetch.max.wait.ms",
        `must be less than request.timeout.ms (${this.#common.requestTimeout})`,
      );
    }
    reader.finish(options.logger);
    this.#subscription = subscriptionOf(options.topics ?? [], options.topicsRegex ?? null);

    this.groupId = this.#tuning.groupId;
    this.#logger = options.logger;
    this.#listener = options.listener ?? {};
    this.#client = new LibraryConsumer({
      ...this.#common,
      ...(clientRack ? { clientRack } : {}),
      groupId: this.groupId,
      ...(groupInstanceId ? { groupInstanceId } : {}),
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: heartbeatIntervalMs,
      rebalanceTimeout: rebalanceTimeoutMs,
      autocommit: false,
      isolationLevel: this.#tuning.isolationLevel,
      minBytes: this.#tuning.fetchMinBytes,
      maxBytes: this.#tuning.fetchMaxBytes,
      maxWaitTime: this.#tuning.fetchMaxWaitMs,
      autocreateTopics: false,
      protocols: [{ name: "roundrobin", version: 1 }],
      protocolsMetadata: () => this.#beforeJoin(),
    });
    this.#client.on("consumer:group:join", (payload) => this.#onJoined(payload.assignments ?? []));
    // A failed rejoin after a heartbeat error is reported as an event; it surfaces in the next poll.
    this.#client.on("error", (error: Error) => {
      this.#joined = false;
      this.#fail(toSluiceError(error, `rejoining consumer group ${this.groupId}`));
    });
    // Fetches get connections of their own, so that a long poll never delays heartbeats and commits.
    this.#fetchPool = new ConnectionPool(this.#common.clientId, {
      connectTimeout: this.#common.connectTimeout,
      requestTimeout: this.#common.requestTimeout,
    });
  }

  /**
   * Returns the next records: at most `maxRecords` (the engine passes max.poll.records, see
   * `maxPollRecords`), in offset order per partition, never from a paused partition. Resolves with none
   * when `timeoutMs` passed without records, or at once when `signal` aborts. Rebalance callbacks run
   * here, revokes first. Rejects with a SluiceError: a RetriableError when the group or the brokers fail
   * in a way that may pass (call poll again after a backoff; a failed join is retried by that poll), the
   * error a rebalance callback threw, or EXTERNAL_FATAL when auto.offset.reset=none and a partition has
   * no committed offset. Must not be called concurrently with itself.
   */
  async poll(maxRecords: number, signal: AbortSignal, timeoutMs = 1000): Promise<RawRecord[]> {
    if (this.#closed) throw new SluiceError(ErrorCode.INTERNAL, "poll() after the consumer was closed");
    if (this.#polling)
      throw new SluiceError(ErrorCode.INTERNAL, "poll() called while another poll is under way");
    this.#polling = true;
    try {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        this.#throwPendingError();
        await this.#runRebalanceCallbacks();
        this.#refreshSubscription();
        await this.#resolvePositions();
        const records = this.#drain(maxRecords);
        this.#startFetches();
        const remaining = deadline - performance.now();
        if (records.length > 0 || signal.aborted || remaining <= 0 || this.#closed) return records;
        await this.#waitForChange(signal, remaining);
      }
    } finally {
      this.#polling = false;
    }
  }

  /**
   * Commits `offsets` (each the next offset to read) for the group. Resolves once the coordinator
   * stored them. Rejects with a RetriableError when this member is not (yet, or any longer) in the
   * group or the coordinator is unavailable: the records will be delivered again, so the caller may
   * skip this commit and try the next one. Safe to call from onRevoked.
   */
  async commit(offsets: Iterable<PartitionOffset>): Promise<void> {
    const list = [...offsets].map(({ topic, partition, offset }) => ({
      topic,
      partition,
      offset,
      leaderEpoch: -1,
    }));
    if (list.length === 0) return;
    if (this.#closed) throw new SluiceError(ErrorCode.INTERNAL, "commit() after the consumer was closed");
    if (!this.#joined || this.#client.memberId === null) {
      throw new RetriableError(`cannot commit: not a member of consumer group ${this.groupId} now`);
    }
    this.#commitsInFlight++;
    try {
      await this.#client.commit({ offsets: list });
    } catch (error) {
      throw toSluiceError(error, `committing offsets of consumer group ${this.groupId}`);
    } finally {
      this.#commitsInFlight--;
    }
  }

  /** max.poll.records as configured: what the engine should pass to `poll`. */
  get maxPollRecords(): number {
    return this.#tuning.maxPollRecords;
  }

  /** Bytes of records fetched but not yet returned by poll (for metrics; bounded near fetch.max.bytes). */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /** The partitions assigned to this member now (none while a rebalance is under way). */
  assignment(): TopicPartition[] {
    return [...this.#partitions.values()].map((state) => state.tp);
  }

  /** Each assigned partition's log end offset as its last fetch reported it (absent before one). */
  logEndOffsets(): Array<TopicPartition & { offset: bigint }> {
    const out: Array<TopicPartition & { offset: bigint }> = [];
    for (const state of this.#partitions.values()) {
      if (state.highWatermark !== null) out.push({ ...state.tp, offset: state.highWatermark });
    }
    return out;
  }

  /** The assigned partitions that are paused now. */
  paused(): TopicPartition[] {
    return [...this.#partitions.values()].filter((state) => state.paused).map((state) => state.tp);
  }

  /**
   * Stops fetching from these partitions until `resume`; records of them already returned by poll stay
   * valid, records fetched but not yet returned are dropped and fetched again after `resume`.
   * Partitions not assigned now are ignored.
   */
  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const state = this.#partitions.get(topicPartitionKey(tp));
      if (state === undefined || state.paused) continue;
      state.paused = true;
      this.#rewindToBuffered(state);
    }
  }

  /** Fetches from these partitions again. Partitions not assigned now are ignored. */
  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const state = this.#partitions.get(topicPartitionKey(tp));
      if (state === undefined || !state.paused) continue;
      state.paused = false;
      state.epoch++;
    }
    this.#wake();
  }

  /**
   * Makes the next records of `partition` start at `offset` (dropping what was fetched ahead). Throws
   * STATE_CONFLICT when the partition is not assigned to this member now; call it from onAssigned to
   * start new partitions somewhere else than the committed offset.
   */
  seek(partition: TopicPartition, offset: bigint): void {
    const state = this.#partitions.get(topicPartitionKey(partition));
    if (state === undefined) {
      throw new SluiceError(
        ErrorCode.STATE_CONFLICT,
        `cannot seek ${topicPartitionKey(partition)}: it is not assigned to this consumer`,
      );
    }
    if (offset < 0n)
      throw new SluiceError(ErrorCode.BAD_REQUEST, `cannot seek to a negative offset (${offset})`);
    this.#dropBuffer(state);
    state.fetchOffset = offset;
    state.resetNeeded = false;
    state.epoch++;
    this.#wake();
  }

  /**
   * Leaves the group and disconnects; idempotent. It does not call onRevoked: the caller flushes and
   * commits before closing. A poll under way resolves with no records.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#wake();
    for (const revoke of this.#pendingRevokes.splice(0)) revoke.done.resolve();
    try {
      await this.#client.close(true);
    } finally {
      await this.#fetchPool.close();
      await this.#admin?.close();
    }
  }

  // --- group membership ----------------------------------------------------------------------------

  /** Called by the library before each JoinGroup: the eager protocol's revoke point. */
  async #beforeJoin(): Promise<Buffer> {
    const owned = this.assignment();
    if (owned.length === 0 || this.#closed) return EMPTY;
    for (const state of this.#partitions.values()) this.#dropBuffer(state);
    this.#partitions.clear();
    // This join supersedes an assignment that poll has not applied yet.
    this.#pendingAssignment = null;
    const revoke: PendingRevoke = { partitions: owned, done: Promise.withResolvers<void>() };
    this.#pendingRevokes.push(revoke);
    this.#wake();
    // A commit that failed on a rebalance makes the library rejoin from inside commit(): the caller
    // is awaiting that commit and cannot poll, so the partitions go at once (onRevoked runs later).
    if (this.#commitsInFlight > 0) return EMPTY;
    // The library stops heartbeating while it rejoins; without heartbeats the coordinator would expel
    // this member after session.timeout.ms. Like Java's consumer, keep it alive up to the rebalance
    // timeout (max.poll.interval.ms), after which the group moves on without it anyway.
    const keepAlive = setInterval(() => void this.#heartbeat(), this.#tuning.heartbeatIntervalMs);
    try {
      await settledOrTimedOut(revoke.done.promise, this.#tuning.rebalanceTimeoutMs);
    } finally {
      clearInterval(keepAlive);
    }
    return EMPTY;
  }

  /** One heartbeat for the current generation; REBALANCE_IN_PROGRESS is the expected answer. */
  async #heartbeat(): Promise<void> {
    const { memberId, generationId, groupInstanceId } = this.#client;
    if (memberId === null || this.#closed) return;
    try {
      const coordinator = await this.#client.findGroupCoordinator();
      const metadata = await this.#client.metadata({ topics: this.#topics });
      const broker = metadata.brokers.get(coordinator);
      if (broker === undefined) return;
      const connection = await this.#client.connections.get(broker);
      await heartbeatV4.api.async(connection, this.groupId, generationId, memberId, groupInstanceId);
    } catch {
      // The answer during a rebalance is an error by design; a lost membership shows in the rejoin.
    }
  }

  #onJoined(assignments: readonly GroupAssignment[]): void {
    this.#joined = true;
    this.#pendingAssignment = assignments.flatMap(({ topic, partitions }) =>
      partitions.map((partition) => ({ topic, partition })),
    );
    this.#wake();
  }

  /** Starts joining (or rejoining after a topic set change) in the background; poll waits for the events. */
  #join(): void {
    if (this.#closed || this.#topics.length === 0) return;
    if (this.#joining !== null) {
      this.#rejoinWanted = true;
      return;
    }
    // The library counts references per topic: track each topic once.
    for (const topic of this.#topics) if (!this.#client.topics.has(topic)) this.#client.topics.track(topic);
    this.#joining = this.#client
      .joinGroup({})
      .then(() => undefined)
      .catch((error: unknown) => {
        if (!this.#closed) this.#fail(toSluiceError(error, `joining consumer group ${this.groupId}`));
      })
      .finally(() => {
        this.#joining = null;
        if (this.#rejoinWanted) {
          this.#rejoinWanted = false;
          this.#join();
        }
      });
  }

  /** Matches topics.regex again every metadata.max.age.ms; joins, or rejoins when the topic set changed. */
  #refreshSubscription(): void {
    if ("topics" in this.#subscription) {
      if (this.#topics.length === 0) this.#topics = [...this.#subscription.topics];
      if (!this.#joined && this.#joining === null) this.#join();
      return;
    }
    const now = performance.now();
    if (now - this.#topicsCheckedAt < this.#common.metadataMaxAge) {
      if (!this.#joined && this.#joining === null) this.#join();
      return;
    }
    this.#topicsCheckedAt = now;
    const pattern = this.#subscription.regex;
    this.#admin ??= new LibraryAdmin({ ...this.#common, clientId: `${this.#common.clientId}-regex` });
    this.#admin
      .listTopics({ includeInternals: false })
      .then((all) => {
        const matched = all.filter((topic) => pattern.test(topic)).sort();
        if (matched.join("\n") === this.#topics.join("\n")) {
          if (!this.#joined && this.#joining === null) this.#join();
          return;
        }
        const removed = this.#topics.filter((topic) => !matched.includes(topic));
        this.#client.topics.untrackAll(...removed);
        this.#topics = matched;
        this.#logger?.info("topics.regex matches a new topic set", { group: this.groupId, topics: matched });
        this.#join();
      })
      .catch((error: unknown) => this.#fail(toSluiceError(error, "listing topics for topics.regex")));
  }

  async #runRebalanceCallbacks(): Promise<void> {
    while (this.#pendingRevokes.length > 0) {
      const revoke = this.#pendingRevokes.shift()!;
      try {
        await this.#listener.onRevoked?.(revoke.partitions);
      } finally {
        revoke.done.resolve();
      }
    }
    const assigned = this.#pendingAssignment;
    if (assigned === null) return;
    this.#pendingAssignment = null;
    const fresh: TopicPartition[] = [];
    const kept = new Set<string>();
    for (const tp of assigned) {
      const key = topicPartitionKey(tp);
      kept.add(key);
      if (this.#partitions.has(key)) continue;
      this.#partitions.set(key, {
        tp,
        fetchOffset: null,
        resetNeeded: false,
        paused: false,
        buffer: [],
        bufferHead: 0,
        bufferedBytes: 0,
        epoch: 0,
        fetching: null,
        retryAt: 0,
        highWatermark: null,
      });
      fresh.push(tp);
    }
    const lost = [...this.#partitions.entries()].filter(([key]) => !kept.has(key));
    for (const [key, state] of lost) {
      this.#dropBuffer(state);
      this.#partitions.delete(key);
    }
    if (lost.length > 0) await this.#listener.onRevoked?.(lost.map(([, state]) => state.tp));
    if (fresh.length > 0) await this.#listener.onAssigned?.(fresh);
  }

  // --- positions and fetching ----------------------------------------------------------------------

  /** Gives every partition without a position one: the committed offset, else auto.offset.reset. */
  async #resolvePositions(): Promise<void> {
    const unresolved = [...this.#partitions.values()].filter((state) => state.fetchOffset === null);
    if (unresolved.length === 0) return;
    const epochs = new Map(unresolved.map((state) => [state, state.epoch]));
    const committed = new Map<PartitionState, bigint>();
    const fromCommits = unresolved.filter((state) => !state.resetNeeded);
    if (fromCommits.length > 0) {
      const byTopic = Map.groupBy(fromCommits, (state) => state.tp.topic);
      let offsets: Map<string, bigint[]>;
      try {
        offsets = await this.#client.listCommittedOffsets({
          topics: [...byTopic].map(([topic, states]) => ({
            topic,
            partitions: states.map((s) => s.tp.partition),
          })),
        });
      } catch (error) {
        throw toSluiceError(error, `reading the committed offsets of consumer group ${this.groupId}`);
      }
      for (const state of fromCommits) {
        const offset = offsets.get(state.tp.topic)?.[state.tp.partition];
        if (offset !== undefined && offset >= 0n) committed.set(state, offset);
      }
    }
    const toReset = unresolved.filter((state) => !committed.has(state));
    const reset = new Map<PartitionState, bigint>();
    if (toReset.length > 0) {
      if (this.#tuning.autoOffsetReset === "none") {
        throw new SluiceError(
          ErrorCode.EXTERNAL_FATAL,
          `consumer group ${this.groupId} has no committed offset for ${toReset.map((s) => topicPartitionKey(s.tp)).join(", ")} and auto.offset.reset=none`,
        );
      }
      const byTopic = Map.groupBy(toReset, (state) => state.tp.topic);
      let offsets: Map<string, bigint[]>;
      try {
        offsets = await this.#client.listOffsets({
          topics: [...byTopic.keys()],
          partitions: Object.fromEntries(
            [...byTopic].map(([topic, states]) => [topic, states.map((s) => s.tp.partition)]),
          ),
          timestamp:
            this.#tuning.autoOffsetReset === "earliest"
              ? ListOffsetTimestamps.EARLIEST
              : ListOffsetTimestamps.LATEST,
        });
      } catch (error) {
        throw toSluiceError(
          error,
          `reading the ${this.#tuning.autoOffsetReset} offsets of ${[...byTopic.keys()].join(", ")}`,
        );
      }
      for (const state of toReset) {
        const offset = offsets.get(state.tp.topic)?.[state.tp.partition];
        if (offset !== undefined && offset >= 0n) reset.set(state, offset);
      }
    }
    for (const [state, offset] of [...committed, ...reset]) {
      // A seek, pause or revoke while the offsets were being read wins over them.
      if (this.#partitions.get(topicPartitionKey(state.tp)) !== state || state.epoch !== epochs.get(state))
        continue;
      if (state.fetchOffset !== null) continue;
      state.fetchOffset = offset;
      state.resetNeeded = false;
    }
  }

  /** Returns up to `maxRecords` buffered records, taking from partitions in turn. */
  #drain(maxRecords: number): RawRecord[] {
    const out: RawRecord[] = [];
    const states = [...this.#partitions.values()];
    for (let i = 0; i < states.length && out.length < maxRecords; i++) {
      const state = states[(this.#drainCursor + i) % states.length]!;
      if (state.paused) continue;
      while (state.bufferHead < state.buffer.length && out.length < maxRecords) {
        const record = state.buffer[state.bufferHead++]!;
        const bytes = recordBytes(record);
        state.bufferedBytes -= bytes;
        this.#bufferedBytes -= bytes;
        out.push(record);
      }
      if (state.bufferHead >= state.buffer.length) {
        state.buffer = [];
        state.bufferHead = 0;
      }
    }
    this.#drainCursor = states.length === 0 ? 0 : (this.#drainCursor + 1) % states.length;
    return out;
  }

  /**
   * Starts one fetch per broker for the partitions that need records, unless enough are buffered. A
   * partition needs records once it holds at most half of max.partition.fetch.bytes: the next fetch
   * reads ahead while poll hands out the rest, so a lagging partition holds at most about 1.5 times
   * max.partition.fetch.bytes and the sink rarely waits for a round trip.
   */
  #startFetches(): void {
    if (this.#closed || this.#bufferedBytes >= this.#tuning.fetchMaxBytes) return;
    const readAheadBytes = this.#tuning.maxPartitionFetchBytes / 2;
    const now = performance.now();
    const wanted: PartitionState[] = [];
    let nextRetry = Number.POSITIVE_INFINITY;
    for (const state of this.#partitions.values()) {
      if (state.paused || state.fetchOffset === null || state.fetching !== null) continue;
      if (state.bufferedBytes > readAheadBytes) continue;
      if (state.retryAt > now) {
        nextRetry = Math.min(nextRetry, state.retryAt);
        continue;
      }
      wanted.push(state);
    }
    if (nextRetry !== Number.POSITIVE_INFINITY) setTimeout(() => this.#wake(), nextRetry - now).unref();
    if (wanted.length === 0) return;
    const topics = [...new Set(wanted.map((state) => state.tp.topic))];
    this.#client
      .metadata({ topics })
      .then((metadata) => this.#fetchFromLeaders(metadata, wanted))
      .catch((error: unknown) => {
        this.#client.clearMetadata();
        this.#fail(toSluiceError(error, `reading the metadata of ${topics.join(", ")}`));
      });
  }

  #fetchFromLeaders(metadata: ClusterMetadata, wanted: PartitionState[]): void {
    const byLeader = new Map<number, PartitionState[]>();
    for (const state of wanted) {
      const leader = metadata.topics.get(state.tp.topic)?.partitions[state.tp.partition]?.leader;
      // Re-check: the partition may have been paused, sought, revoked or fetched meanwhile.
      if (leader === undefined || leader < 0 || this.#fetchingNodes.has(leader)) continue;
      if (this.#partitions.get(topicPartitionKey(state.tp)) !== state) continue;
      if (state.paused || state.fetching !== null || state.fetchOffset === null) continue;
      const group = byLeader.get(leader) ?? [];
      group.push(state);
      byLeader.set(leader, group);
    }
    for (const [node, states] of byLeader) {
      this.#fetch(metadata, node, states).catch((error: unknown) =>
        this.#fail(toSluiceError(error, `fetching from broker ${node}`)),
      );
    }
  }

  async #fetch(metadata: ClusterMetadata, node: number, states: PartitionState[]): Promise<void> {
    const request = ++this.#fetchRequests;
    const sent = new Map<PartitionState, { epoch: number; offset: bigint }>();
    const byTopic = Map.groupBy(states, (state) => state.tp.topic);
    const topicNames = new Map<string, string>();
    const topics = [...byTopic].map(([topic, group]) => {
      const topicId = metadata.topics.get(topic)!.id;
      topicNames.set(topicId, topic);
      return {
        topicId,
        partitions: group.map((state) => {
          state.fetching = request;
          sent.set(state, { epoch: state.epoch, offset: state.fetchOffset! });
          return {
            partition: state.tp.partition,
            fetchOffset: state.fetchOffset!,
            partitionMaxBytes: this.#tuning.maxPartitionFetchBytes,
            currentLeaderEpoch: -1,
            lastFetchedEpoch: -1,
          };
        }),
      };
    });
    this.#fetchingNodes.add(node);
    let response: FetchResponse | undefined;
    let failure: unknown;
    try {
      response = await this.#client.fetch({
        node,
        topics,
        connectionPool: this.#fetchPool,
        maxWaitTime: this.#tuning.fetchMaxWaitMs,
        minBytes: this.#tuning.fetchMinBytes,
        maxBytes: this.#tuning.fetchMaxBytes,
        isolationLevel: this.#tuning.isolationLevel,
      });
    } catch (error) {
      response = responseOf(error);
      failure = error;
    } finally {
      this.#fetchingNodes.delete(node);
      for (const state of states) if (state.fetching === request) state.fetching = null;
    }
    if (this.#closed) return;
    if (response === undefined) {
      const retryAt = performance.now() + this.#common.retryDelay;
      for (const state of states) state.retryAt = retryAt;
      this.#client.clearMetadata();
      this.#fail(toSluiceError(failure, `fetching from broker ${node}`));
      return;
    }
    for (const topicResponse of response.responses) {
      const topic = topicNames.get(topicResponse.topicId);
      if (topic === undefined) continue;
      for (const partitionResponse of topicResponse.partitions) {
        const state = this.#partitions.get(
          topicPartitionKey({ topic, partition: partitionResponse.partitionIndex }),
        );
        const asked = state === undefined ? undefined : sent.get(state);
        // Dropped: revoked, sought, paused or resumed since the request left.
        if (state === undefined || asked === undefined || asked.epoch !== state.epoch) continue;
        if (partitionResponse.errorCode === 1) {
          this.#logger?.warn("offset out of range; resetting per auto.offset.reset", {
            partition: topicPartitionKey(state.tp),
            offset: String(asked.offset),
            reset: this.#tuning.autoOffsetReset,
          });
          state.fetchOffset = null;
          state.resetNeeded = true;
        } else if (partitionResponse.errorCode !== 0) {
          state.retryAt = performance.now() + this.#common.retryDelay;
          this.#client.clearMetadata();
        } else {
          state.highWatermark = partitionResponse.highWatermark;
          this.#append(state, asked.offset, partitionResponse.records ?? []);
        }
      }
    }
    this.#wake();
  }

  #append(state: PartitionState, fetchOffset: bigint, batches: readonly RecordsBatch[]): void {
    const { topic, partition } = state.tp;
    if (state.bufferHead > 0) {
      // Read ahead: the records already returned leave the buffer, so that it never grows past them.
      state.buffer = state.buffer.slice(state.bufferHead);
      state.bufferHead = 0;
    }
    let next = fetchOffset;
    for (const batch of batches) {
      const lastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta);
      if (lastOffset + 1n > next) next = lastOffset + 1n;
      if (batch.attributes & IS_CONTROL) continue;
      const logAppendTime = (batch.attributes & TIMESTAMP_TYPE_LOG_APPEND) !== 0;
      for (const record of batch.records) {
        const offset = batch.firstOffset + BigInt(record.offsetDelta);
        if (offset < fetchOffset) continue;
        const headers: RawHeader[] = record.headers.map(([key, value]) => ({
          key: key === null ? "" : key.toString("utf8"),
          value,
        }));
        const raw: RawRecord = {
          topic,
          partition,
          offset,
          key: record.key,
          value: record.value,
          headers,
          timestamp: Number(
            logAppendTime ? batch.maxTimestamp : batch.firstTimestamp + record.timestampDelta,
          ),
        };
        const bytes = recordBytes(raw);
        state.buffer.push(raw);
        state.bufferedBytes += bytes;
        this.#bufferedBytes += bytes;
      }
    }
    state.fetchOffset = next;
  }

  /** Forgets what was fetched but not returned, and fetches it again later. */
  #rewindToBuffered(state: PartitionState): void {
    const first = state.buffer[state.bufferHead];
    this.#dropBuffer(state);
    if (first !== undefined) state.fetchOffset = first.offset;
    state.epoch++;
  }

  #dropBuffer(state: PartitionState): void {
    this.#bufferedBytes -= state.bufferedBytes;
    state.buffer = [];
    state.bufferHead = 0;
    state.bufferedBytes = 0;
  }

  // --- waiting and errors --------------------------------------------------------------------------

  #fail(error: SluiceError): void {
    this.#pendingError ??= error;
    this.#wake();
  }

  #throwPendingError(): void {
    const error = this.#pendingError;
    if (error === null) return;
    this.#pendingError = null;
    throw error;
  }

  #wake(): void {
    const wake = this.#wakeUp;
    this.#wakeUp = null;
    wake?.();
  }

  #waitForChange(signal: AbortSignal, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.#wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      this.#wakeUp = done;
    });
  }
}
