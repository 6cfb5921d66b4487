// Invariant: a relationship pattern MERGEs both nodes on their keys and one relationship between them
// (one per relationship key, if it has keys) with the selected properties; a tombstone deletes only the
// relationship; replays change nothing.
import { afterAll, expect, test } from "vitest";
import { dropLabels, graph, putAndFlush, record, rows, sinkConfig, startTask, unique } from "./harness.ts";

const labels: string[] = [];
afterAll(async () => {
  await dropLabels(...labels);
  await graph.close();
});

function label(prefix: string): string {
  const name = unique(prefix);
  labels.push(name);
  return name;
}

/** Every relationship from a `user` node to a `product` node, as plain rows. */
async function purchases(user: string, product: string): Promise<unknown[]> {
  return rows(
    `MATCH (u:\`${user}\`)-[r]->(p:\`${product}\`)
     RETURN u{.*} AS user, type(r) AS type, r{.*} AS bought, p{.*} AS product
     ORDER BY u.userId, p.productId, r.orderId`,
  );
}

test("a message merges both nodes and the relationship; a later message for the pair updates it", async () => {
  const user = label("User");
  const product = label("Product");
  const { task, errant } = await startTask(
    sinkConfig({
      topics: "purchases",
      "neo4j.pattern.topic.purchases": `(:${user}{!userId})-[:BOUGHT{price, currency}]->(:${product}{!productId, name: productName})`,
    }),
  );
  await putAndFlush(task, [
    record("purchases", null, {
      userId: 1,
      productId: "p1",
      productName: "Lamp",
      price: 10,
      currency: "EUR",
      note: "x",
    }),
    record("purchases", null, {
      userId: 1,
      productId: "p2",
      productName: "Desk",
      price: 200,
      currency: "EUR",
    }),
    record("purchases", null, {
      userId: 1,
      productId: "p1",
      productName: "Lamp",
      price: 12,
      currency: "EUR",
    }),
  ]);
  expect(await purchases(user, product)).toEqual([
    {
      user: { userId: 1 },
      type: "BOUGHT",
      bought: { price: 12, currency: "EUR" },
      product: { productId: "p1", name: "Lamp" },
    },
    {
      user: { userId: 1 },
      type: "BOUGHT",
      bought: { price: 200, currency: "EUR" },
      product: { productId: "p2", name: "Desk" },
    },
  ]);
  expect(await rows(`MATCH (n:\`${user}\`) RETURN count(n) AS users`)).toEqual([{ users: 1 }]);
  expect(errant).toEqual([]);
  await task.stop();
});

test("a tombstone deletes the relationship its key names and leaves both nodes", async () => {
  const user = label("User");
  const product = label("Product");
  const { task } = await startTask(
    sinkConfig({
      topics: "purchases",
      "neo4j.pattern.topic.purchases": `(:${user}{!userId})-[:BOUGHT{price}]->(:${product}{!productId})`,
    }),
  );
  await putAndFlush(task, [
    record("purchases", { userId: 1, productId: "p1" }, { userId: 1, productId: "p1", price: 10 }),
    record("purchases", { userId: 1, productId: "p2" }, { userId: 1, productId: "p2", price: 20 }),
  ]);
  await putAndFlush(task, [record("purchases", { userId: 1, productId: "p1" }, null)]);
  expect(await purchases(user, product)).toEqual([
    { user: { userId: 1 }, type: "BOUGHT", bought: { price: 20 }, product: { productId: "p2" } },
  ]);
  expect(await rows(`MATCH (n:\`${product}\`) RETURN n.productId AS id ORDER BY id`)).toEqual([
    { id: "p1" },
    { id: "p2" },
  ]);
  await task.stop();
});

test("relationship keys keep one relationship per key between the same pair; replays change nothing", async () => {
  const user = label("User");
  const product = label("Product");
  const { task } = await startTask(
    sinkConfig({
      topics: "orders",
      "neo4j.pattern.topic.orders": `(:${user}{!userId})<-[:BOUGHT_BY{!orderId, qty}]-(:${product}{!productId})`,
    }),
  );
  const history = [
    record("orders", null, { userId: 1, productId: "p1", orderId: "o1", qty: 1 }),
    record("orders", null, { userId: 1, productId: "p1", orderId: "o2", qty: 5 }),
    record("orders", null, { userId: 1, productId: "p1", orderId: "o1", qty: 2 }),
    record("orders", { userId: 1, productId: "p1", orderId: "o2" }, null),
    record("orders", null, { userId: 2, productId: "p1", orderId: "o3", qty: 7 }),
  ];
  await putAndFlush(task, history);
  const expected = [
    {
      user: { productId: "p1" },
      type: "BOUGHT_BY",
      bought: { orderId: "o1", qty: 2 },
      product: { userId: 1 },
    },
    {
      user: { productId: "p1" },
      type: "BOUGHT_BY",
      bought: { orderId: "o3", qty: 7 },
      product: { userId: 2 },
    },
  ];
  expect(await purchases(product, user)).toEqual(expected);

  await putAndFlush(task, history);
  await putAndFlush(task, history.slice(2));
  expect(await purchases(product, user)).toEqual(expected);
  expect(await rows(`MATCH (n) WHERE n:\`${user}\` OR n:\`${product}\` RETURN count(n) AS n`)).toEqual([
    { n: 3 },
  ]);
  await task.stop();
});

test("a relationship's nodes get their listed properties replaced, or merged with merge-node-properties", async () => {
  const user = label("User");
  const product = label("Product");
  const pattern = `(:${user}{!userId})-[:BOUGHT]->(:${product}{!productId})`;
  const replacing = await startTask(sinkConfig({ topics: "buys", "neo4j.pattern.topic.buys": pattern }));
  await graph.executeQuery(`CREATE (:\`${user}\` {userId: 1, name: "Ada"})`);
  await putAndFlush(replacing.task, [record("buys", null, { userId: 1, productId: "p1", price: 3 })]);
  expect(await purchases(user, product)).toEqual([
    { user: { userId: 1 }, type: "BOUGHT", bought: { price: 3 }, product: { productId: "p1" } },
  ]);
  await replacing.task.stop();

  await graph.executeQuery(`MATCH (u:\`${user}\` {userId: 1}) SET u.name = "Ada"`);
  const merging = await startTask(
    sinkConfig({
      topics: "buys",
      "neo4j.pattern.topic.buys": pattern,
      "neo4j.pattern.merge-node-properties": "true",
    }),
  );
  await putAndFlush(merging.task, [record("buys", null, { userId: 1, productId: "p1", price: 4 })]);
  expect(await purchases(user, product)).toEqual([
    { user: { userId: 1, name: "Ada" }, type: "BOUGHT", bought: { price: 4 }, product: { productId: "p1" } },
  ]);
  await merging.task.stop();
});
