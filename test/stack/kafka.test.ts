// Invariant: the stack's Kafka is a real broker: a record produced with acks=all is consumed back intact.
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from "@platformatic/kafka";
import { expect, test } from "vitest";
import { loadStackEnv } from "../../stack/env.ts";

const { kafkaBootstrap } = loadStackEnv();

test("a record produced to a new topic is consumed back with its key, value and headers", async () => {
  const topic = `test-stack-kafka-${Date.now()}`;
  const admin = new Admin({ clientId: "test", bootstrapBrokers: [kafkaBootstrap] });
  await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
  await admin.close();

  const producer = new Producer({
    clientId: "test",
    bootstrapBrokers: [kafkaBootstrap],
    serializers: stringSerializers,
  });
  await producer.send({
    messages: [{ topic, key: "k1", value: "v1", headers: { origin: "test" } }],
    acks: -1,
  });
  await producer.close();

  const consumer = new Consumer({
    clientId: "test",
    groupId: `${topic}-group`,
    bootstrapBrokers: [kafkaBootstrap],
    deserializers: stringDeserializers,
  });
  const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: false });
  let received: { key: string; value: string; origin: string | undefined } | undefined;
  for await (const message of stream) {
    received = { key: message.key, value: message.value, origin: message.headers.get("origin") };
    break;
  }
  await stream.close();
  await consumer.close(true);
  expect(received).toEqual({ key: "k1", value: "v1", origin: "test" });
});
