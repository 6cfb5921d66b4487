/**
 * The records every throughput scenario moves: about 200 bytes of JSON each, keyed by a number (the
 * JSON converter with schemas off reads the key `42` as the number 42, the document id "42").
 */

const CITIES = ["Lisbon", "Porto", "Braga", "Coimbra", "Faro", "Aveiro", "Evora", "Viseu"] as const;

export interface BenchDocument {
  id: number;
  name: string;
  email: string;
  city: string;
  score: number;
  active: boolean;
  tags: string[];
  created_at: string;
  note: string;
}

const EPOCH = Date.UTC(2026, 0, 1);

/** Document `i`: the same document for the same `i` in every run and every system. */
export function documentOf(i: number): BenchDocument {
  const name = `user-${String(i).padStart(8, "0")}`;
  return {
    id: i,
    name,
    email: `${name}@example.com`,
    city: CITIES[i % CITIES.length]!,
    score: Math.round(((i * 7919) % 100_000) / 10) / 10,
    active: i % 3 !== 0,
    tags: i % 2 === 0 ? ["even", "bench"] : ["odd", "bench"],
    created_at: new Date(EPOCH + i * 1000).toISOString(),
    note: "lorem ipsum dolor",
  };
}

/** The Kafka key (JSON text of the id) and value (JSON text of the document) of record `i`. */
export function recordOf(i: number): { key: Buffer; value: Buffer } {
  return { key: Buffer.from(String(i)), value: Buffer.from(JSON.stringify(documentOf(i))) };
}
