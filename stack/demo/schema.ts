import type { Connection } from "mysql2/promise";

/**
 * What the demo owns, by name. The example configs in config/*-demo.json are written for these names;
 * the demo wipes exactly these (and nothing else) before each run so that every run starts clean.
 */
export const DEMO = {
  database: "demo",
  /** `<topic.prefix>.<database>.<table>`, as mysql-cdc names its topics. */
  topics: ["sluice.demo.customers", "sluice.demo.orders"],
  connectorFiles: [
    "mysql-cdc-demo.json",
    "opensearch-demo.json",
    "redis-demo.json",
    "neo4j-demo.json",
    "hdfs-demo.json",
  ],
  source: "mysql-cdc-demo",
  sinks: ["opensearch-demo", "redis-demo", "neo4j-demo", "hdfs-demo"],
  neo4jLabels: ["DemoCustomer", "DemoOrder"],
  hdfsRoot: "/sluice-demo",
} as const;

/** Rows in the tables before the connector starts: its snapshot reads them. */
export const SEED = { customers: 20, orders: 30 } as const;

const CITIES = ["Berlin", "Lisbon", "Oslo", "Porto", "Tallinn", "Utrecht", "Vienna", "Zagreb"];
export const TIERS = ["bronze", "silver", "gold"];
export const ORDER_STATUSES = ["new", "paid", "shipped"];

const FIRST = ["Ada", "Alan", "Barbara", "Edsger", "Frances", "Grace", "Ken", "Margaret", "Niklaus", "Radia"];
const LAST = ["Hopper", "Lovelace", "Liskov", "Perlman", "Ritchie", "Thompson", "Turing", "Wirth", "Allen"];

/** One of `items`, at random. */
export function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T;
}

export function customerRow(): { name: string; email: string; city: string; tier: string } {
  const first = pick(FIRST);
  const last = pick(LAST);
  const tag = Math.random().toString(36).slice(2, 7);
  return {
    name: `${first} ${last}`,
    email: `${first}.${last}.${tag}@example.com`.toLowerCase(),
    city: pick(CITIES),
    tier: pick(TIERS),
  };
}

export function orderAmount(): number {
  return Math.round(500 + Math.random() * 49_500) / 100;
}

/** Drops and recreates the demo database with its two tables and a few rows for the snapshot. */
export async function createDemoDatabase(db: Connection): Promise<void> {
  await db.query(`DROP DATABASE IF EXISTS \`${DEMO.database}\``);
  await db.query(`CREATE DATABASE \`${DEMO.database}\``);
  await db.query(`
    CREATE TABLE \`${DEMO.database}\`.customers (
      id INT AUTO_INCREMENT PRIMARY KEY,
      name VARCHAR(80) NOT NULL,
      email VARCHAR(120) NOT NULL,
      city VARCHAR(40) NOT NULL,
      tier VARCHAR(10) NOT NULL
    )`);
  await db.query(`
    CREATE TABLE \`${DEMO.database}\`.orders (
      id INT AUTO_INCREMENT PRIMARY KEY,
      customer_id INT NOT NULL,
      status VARCHAR(10) NOT NULL,
      amount DECIMAL(10, 2) NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      KEY (customer_id)
    )`);
  for (let i = 0; i < SEED.customers; i++) {
    const c = customerRow();
    await db.query(
      `INSERT INTO \`${DEMO.database}\`.customers (name, email, city, tier) VALUES (?, ?, ?, ?)`,
      [c.name, c.email, c.city, c.tier],
    );
  }
  for (let i = 0; i < SEED.orders; i++) {
    await db.query(
      `INSERT INTO \`${DEMO.database}\`.orders (customer_id, status, amount) VALUES (?, 'new', ?)`,
      [1 + Math.floor(Math.random() * SEED.customers), orderAmount()],
    );
  }
}
