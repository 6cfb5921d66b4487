import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Consumer, Producer, stringDeserializers, stringSerializers } from "@platformatic/kafka";
import { hostPort, type StackEnv } from "../env.ts";
import { classpath, ensureJars, javaBin } from "../jvm.ts";
import { run, spawnDetached } from "../process.ts";
import type { ServiceDirs, StackService } from "../service.ts";

const PROBE_TOPIC = "__sluice_stack_probe";

/** Apache Kafka 4 in KRaft mode, one node that is broker and controller, from Maven Central's jars. */
export const kafka: StackService = {
  name: "kafka",
  startTimeoutMs: 90_000,

  address: (env) => env.kafkaBootstrap,

  async probe(env, signal) {
    const producer = new Producer({
      clientId: "sluice-stack-probe",
      bootstrapBrokers: [env.kafkaBootstrap],
      serializers: stringSerializers,
      retries: 0,
      timeout: 3_000,
      autocreateTopics: true,
    });
    const stamp = `${process.pid}-${Date.now()}`;
    try {
      await producer.send({ messages: [{ topic: PROBE_TOPIC, key: stamp, value: stamp }], acks: -1 });
    } finally {
      await producer.close();
    }
    const consumer = new Consumer({
      clientId: "sluice-stack-probe",
      groupId: `sluice-stack-probe-${stamp}`,
      bootstrapBrokers: [env.kafkaBootstrap],
      deserializers: stringDeserializers,
      timeout: 3_000,
    });
    try {
      const stream = await consumer.consume({ topics: [PROBE_TOPIC], mode: "earliest", autocommit: false });
      for await (const message of stream) {
        if (signal.aborted) throw new Error("probe aborted before the record came back");
        if (message.value === stamp) break;
      }
      await stream.close();
    } finally {
      await consumer.close(true);
    }
  },

  async prepare(env, dirs) {
    await ensureJars("kafka", dirs);
    mkdirSync(dirs.data, { recursive: true });
    writeFileSync(join(dirs.root, "server.properties"), serverProperties(env, dirs));
    writeFileSync(join(dirs.root, "log4j2.properties"), LOG4J2);
    if (!existsSync(join(dirs.data, "meta.properties"))) {
      const clusterId = randomBytes(16).toString("base64url");
      await run(javaBin(), [
        "-cp",
        classpath(dirs),
        "kafka.tools.StorageTool",
        "format",
        "--cluster-id",
        clusterId,
        "--config",
        join(dirs.root, "server.properties"),
        "--ignore-formatted",
      ]);
    }
  },

  async start(_env, dirs) {
    spawnDetached(dirs, javaBin(), [
      "-Xms256m",
      "-Xmx768m",
      "-XX:+UseG1GC",
      "-Djava.awt.headless=true",
      `-Dlog4j2.configurationFile=${join(dirs.root, "log4j2.properties")}`,
      `-Dkafka.logs.dir=${dirs.logs}`,
      "-cp",
      classpath(dirs),
      "kafka.Kafka",
      join(dirs.root, "server.properties"),
    ]);
  },
};

function serverProperties(env: StackEnv, dirs: ServiceDirs): string {
  const broker = hostPort(env.kafkaBootstrap);
  const controller = `${broker.host}:${env.kafkaControllerPort}`;
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${controller}
listeners=PLAINTEXT://${broker.host}:${broker.port},CONTROLLER://${controller}
advertised.listeners=PLAINTEXT://${broker.host}:${broker.port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${dirs.data}
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
log.segment.bytes=268435456
`;
}

const LOG4J2 = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRefs = stdout
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
logger.controller.name = org.apache.kafka.controller
logger.controller.level = WARN
logger.coordinator.name = org.apache.kafka.coordinator
logger.coordinator.level = WARN
`;
