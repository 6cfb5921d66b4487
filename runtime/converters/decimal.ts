/**
 * Exact decimals for Kafka Connect's Decimal logical type: an unscaled integer and a scale, so that
 * `12.30` is `{ unscaled: 1230n, scale: 2 }`. On the wire Kafka Connect writes the unscaled integer as
 * big-endian two's complement bytes (Java's BigInteger.toByteArray) and keeps the scale in the schema.
 */
export interface Decimal {
  unscaled: bigint;
  scale: number;
}

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Parses `-12.30`, `1e3`, `.5`; returns undefined when `text` is not a decimal number. */
export function parseDecimal(text: string): Decimal | undefined {
  const match = DECIMAL_TEXT.exec(text.trim());
  if (!match) return undefined;
  const [, sign = "", whole = "", fraction = "", exponent = "0"] = match;
  if (whole === "" && fraction === "") return undefined;
  const digits = BigInt(`${whole}${fraction}` || "0");
  let scale = fraction.length - Number(exponent);
  let unscaled = sign === "-" ? -digits : digits;
  if (scale < 0) {
    unscaled *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { unscaled, scale };
}

/** Plain decimal text (no exponent) with exactly `scale` fractional digits. */
export function formatDecimal({ unscaled, scale }: Decimal): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, "0");
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

/** The same number with `scale` fractional digits, or undefined when that would drop a non-zero digit. */
export function rescaleDecimal(decimal: Decimal, scale: number): Decimal | undefined {
  if (scale >= decimal.scale) {
    return { unscaled: decimal.unscaled * 10n ** BigInt(scale - decimal.scale), scale };
  }
  const divisor = 10n ** BigInt(decimal.scale - scale);
  if (decimal.unscaled % divisor !== 0n) return undefined;
  return { unscaled: decimal.unscaled / divisor, scale };
}

/** The shortest big-endian two's complement bytes of `value`, as Java's BigInteger.toByteArray writes them. */
export function bigintToTwosComplement(value: bigint): Uint8Array {
  let byteCount = 1;
  while (value < -(1n << BigInt(8 * byteCount - 1)) || value >= 1n << BigInt(8 * byteCount - 1)) byteCount++;
  const bytes = new Uint8Array(byteCount);
  let rest = BigInt.asUintN(8 * byteCount, value);
  for (let i = byteCount - 1; i >= 0; i--) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

/** Reads big-endian two's complement bytes; an empty array has no value and returns undefined. */
export function twosComplementToBigint(bytes: Uint8Array): bigint | undefined {
  if (bytes.length === 0) return undefined;
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return BigInt.asIntN(8 * bytes.length, value);
}
