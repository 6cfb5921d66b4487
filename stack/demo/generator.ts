import { setTimeout as sleep } from "node:timers/promises";
import type { Connection, ResultSetHeader } from "mysql2/promise";
import { customerRow, DEMO, ORDER_STATUSES, orderAmount, pick, TIERS } from "./schema.ts";

export interface ChangeCounts {
  inserts: number;
  updates: number;
  deletes: number;
}

/**
 * Writes a steady stream of single-row inserts, updates and deletes into the demo tables, one
 * autocommitted statement at a time: new customers and orders, customers who move or change tier,
 * orders that are paid and shipped, and orders that are cancelled (deleted). Customers are never
 * deleted, so every order's customer exists.
 */
export class ChangeGenerator {
  readonly counts: ChangeCounts = { inserts: 0, updates: 0, deletes: 0 };
  readonly #db: Connection;
  readonly #customers: number[] = [];
  readonly #orders: number[] = [];

  constructor(db: Connection) {
    this.#db = db;
  }

  get total(): number {
    return this.counts.inserts + this.counts.updates + this.counts.deletes;
  }

  /** Runs until `signal` aborts, at about `perSecond` changes a second; rejects when MariaDB fails. */
  async run(perSecond: number, signal: AbortSignal): Promise<void> {
    const [customers] = await this.#db.query(`SELECT id FROM \`${DEMO.database}\`.customers`);
    const [orders] = await this.#db.query(`SELECT id FROM \`${DEMO.database}\`.orders`);
    this.#customers.push(...(customers as Array<{ id: number }>).map((r) => r.id));
    this.#orders.push(...(orders as Array<{ id: number }>).map((r) => r.id));
    const interval = 1000 / perSecond;
    const began = Date.now();
    for (let step = 0; !signal.aborted; step++) {
      await this.#change();
      const due = began + (step + 1) * interval - Date.now();
      if (due > 0) await sleep(due, undefined, { signal }).catch(() => {});
    }
  }

  async #change(): Promise<void> {
    const dice = Math.random();
    if (dice < 0.15 || this.#customers.length === 0) return this.#insertCustomer();
    if (dice < 0.3) return this.#updateCustomer();
    if (dice < 0.6 || this.#orders.length === 0) return this.#insertOrder();
    if (dice < 0.85) return this.#updateOrder();
    return this.#deleteOrder();
  }

  /** Runs one statement; an UPDATE that changes nothing counts as no change (it writes no binlog event). */
  async #run(sql: string, values: unknown[]): Promise<ResultSetHeader> {
    const [result] = await this.#db.query(sql, values);
    return result as ResultSetHeader;
  }

  async #insertCustomer(): Promise<void> {
    const c = customerRow();
    const result = await this.#run(
      `INSERT INTO \`${DEMO.database}\`.customers (name, email, city, tier) VALUES (?, ?, ?, ?)`,
      [c.name, c.email, c.city, c.tier],
    );
    this.#customers.push(result.insertId);
    this.counts.inserts++;
  }

  async #updateCustomer(): Promise<void> {
    const c = customerRow();
    const result = await this.#run(
      `UPDATE \`${DEMO.database}\`.customers SET city = ?, tier = ? WHERE id = ?`,
      [c.city, pick(TIERS), pick(this.#customers)],
    );
    this.counts.updates += result.changedRows;
  }

  async #insertOrder(): Promise<void> {
    const result = await this.#run(
      `INSERT INTO \`${DEMO.database}\`.orders (customer_id, status, amount) VALUES (?, 'new', ?)`,
      [pick(this.#customers), orderAmount()],
    );
    this.#orders.push(result.insertId);
    this.counts.inserts++;
  }

  async #updateOrder(): Promise<void> {
    const result = await this.#run(`UPDATE \`${DEMO.database}\`.orders SET status = ? WHERE id = ?`, [
      pick(ORDER_STATUSES),
      pick(this.#orders),
    ]);
    this.counts.updates += result.changedRows;
  }

  async #deleteOrder(): Promise<void> {
    const index = Math.floor(Math.random() * this.#orders.length);
    const [id] = this.#orders.splice(index, 1);
    const result = await this.#run(`DELETE FROM \`${DEMO.database}\`.orders WHERE id = ?`, [id]);
    this.counts.deletes += result.affectedRows;
  }
}
