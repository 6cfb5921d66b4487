/**
 * Sluice's Kafka data plane: the only place that talks to the Kafka client library. Source tasks
 * produce through KafkaProducer, sink tasks consume through KafkaSinkConsumer, the engine administers
 * topics and consumer-group offsets through KafkaAdmin. Client settings come from the worker's
 * `producer.*` / `consumer.*` / `admin.*` keys and the connector's `*.override.*` keys (ClientSettings).
 * Every failure is a SluiceError from runtime/api's catalogue.
 */
export {
  KafkaAdmin,
  type KafkaAdminOptions,
  type ListedOffset,
  type OffsetSpec,
  type TopicSpec,
} from "./admin.ts";
export { KafkaSinkConsumer, type KafkaSinkConsumerOptions, type RebalanceListener } from "./consumer.ts";
export { KafkaLogReader, type KafkaLogReaderOptions, type LogRecord } from "./log-reader.ts";
export { KafkaProducer, type KafkaProducerOptions } from "./producer.ts";
export { type ClientKind, type ClientSetting, ClientSettings } from "./settings.ts";
export type { PartitionOffset, ProduceRecord, RawHeader, RawRecord, RecordMetadata } from "./types.ts";
