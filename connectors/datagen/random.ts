/** murmur3's 32-bit finalizer: every input bit affects every output bit. */
function mix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const TWO_TO_32 = 2 ** 32;

/** The low and high 32-bit words of a safe integer (negative ones too). */
function words(n: number): [number, number] {
  return [n >>> 0, Math.floor(n / TWO_TO_32) >>> 0];
}

/** A 32-bit hash of a string, e.g. a connector name that stands in for an absent seed. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = mix32(h ^ text.charCodeAt(i));
  return h;
}

/**
 * The random draws of one record: a pure function of (seed, task, iteration), so that generating
 * record n again — after a restart, on another worker — yields the same record. A counter-based
 * generator (a golden-ratio Weyl sequence through a finalizer), good enough for mock data and not
 * meant for anything else.
 */
export class RecordRandom {
  #state: number;

  constructor(seed: number, task: number, iteration: number) {
    let h = 0x9e3779b9;
    for (const word of [...words(seed), task >>> 0, ...words(iteration)]) h = mix32((h ^ word) + 0x6d2b79f5);
    this.#state = h;
  }

  #next32(): number {
    this.#state = (this.#state + 0x9e3779b9) >>> 0;
    return mix32(this.#state);
  }

  /** A uniform number in [0, 1) with 53 random bits. */
  next(): number {
    return ((this.#next32() >>> 5) * 2 ** 26 + (this.#next32() >>> 6)) / 2 ** 53;
  }

  /** A uniform whole number in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** A uniform number in [min, max). */
  double(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)] as T;
  }

  /** `count` digits drawn from 1-9, as the regex `[1-9]{count}`. */
  digits(count: number): string {
    let text = "";
    for (let i = 0; i < count; i++) text += String(this.int(1, 9));
    return text;
  }
}
