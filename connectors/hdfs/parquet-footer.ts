/**
 * The footer that turns a byte concatenation of whole Parquet files into one Parquet file, so that
 * compaction can merge Parquet files with HDFS CONCAT (atomic for readers) instead of rewriting them.
 *
 * A Parquet file is `PAR1`, column chunks, then the footer: the FileMetaData (Thrift compact protocol), its
 * length (4 bytes, little-endian) and `PAR1`. Readers locate every column chunk through the absolute
 * offsets in the footer and never read the bytes between chunks (parquet-java itself pads row groups to
 * HDFS block boundaries). So `file 1 ‖ … ‖ file n ‖ footer'` is a valid file when footer' lists the row
 * groups of every file with their offsets moved by the length of the files before it: the older footers and
 * magic numbers inside are bytes no offset points at.
 *
 * The Thrift structures are decoded losslessly (every field with its wire type, unknown ones included) and
 * written back with only these changes: num_rows is the sum; the row groups of all files, with
 * RowGroup.file_offset, ColumnChunk.file_offset, data/index/dictionary page and bloom filter offsets moved,
 * and RowGroup.ordinal renumbered; page indexes (ColumnIndex, OffsetIndex) are dropped, since an
 * OffsetIndex holds absolute page offsets inside bytes that cannot be changed, and a ColumnIndex may not
 * appear without one. Schema, key-value metadata, created_by and column orders are the first file's.
 */

const MAGIC = 0x31524150; // "PAR1", little-endian

// Thrift compact protocol wire types.
const STOP = 0;
const TRUE = 1;
const FALSE = 2;
const BYTE = 3;
const I16 = 4;
const I32 = 5;
const I64 = 6;
const DOUBLE = 7;
const BINARY = 8;
const LIST = 9;
const SET = 10;
const STRUCT = 12;

/** Integers as bigints, BINARY and DOUBLE as their bytes, BOOL as booleans. */
type Value = boolean | bigint | Uint8Array | ThriftList | ThriftStruct;
interface ThriftField {
  id: number;
  type: number;
  value: Value;
}
interface ThriftStruct {
  kind: "struct";
  fields: ThriftField[];
}
interface ThriftList {
  kind: "list";
  /** LIST or SET. */
  type: number;
  elementType: number;
  items: Value[];
}

class Reader {
  readonly #bytes: Uint8Array;
  #pos = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  #byte(): number {
    const byte = this.#bytes[this.#pos++];
    if (byte === undefined) throw new Error("the Parquet footer ends inside a Thrift structure");
    return byte;
  }

  #varint(): bigint {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = this.#byte();
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  }

  #zigzag(): bigint {
    const n = this.#varint();
    return (n >> 1n) ^ -(n & 1n);
  }

  #take(length: number): Uint8Array {
    if (this.#pos + length > this.#bytes.length) throw new Error("the Parquet footer ends inside a value");
    const out = this.#bytes.slice(this.#pos, this.#pos + length);
    this.#pos += length;
    return out;
  }

  struct(): ThriftStruct {
    const fields: ThriftField[] = [];
    let id = 0;
    for (;;) {
      const header = this.#byte();
      const type = header & 0x0f;
      if (type === STOP) return { kind: "struct", fields };
      const delta = header >> 4;
      id = delta === 0 ? Number(this.#zigzag()) : id + delta;
      fields.push({
        id,
        type,
        value: type === TRUE || type === FALSE ? type === TRUE : this.#value(type),
      });
    }
  }

  #value(type: number): Value {
    switch (type) {
      case BYTE:
        return BigInt((this.#byte() << 24) >> 24);
      case I16:
      case I32:
      case I64:
        return this.#zigzag();
      case DOUBLE:
        return this.#take(8);
      case BINARY:
        return this.#take(Number(this.#varint()));
      case LIST:
      case SET: {
        const header = this.#byte();
        const elementType = header & 0x0f;
        const size = header >> 4 === 15 ? Number(this.#varint()) : header >> 4;
        const items: Value[] = [];
        for (let i = 0; i < size; i++) {
          items.push(
            elementType === TRUE || elementType === FALSE ? this.#byte() === TRUE : this.#value(elementType),
          );
        }
        return { kind: "list", type, elementType, items };
      }
      case STRUCT:
        return this.struct();
      default:
        throw new Error(`unexpected Thrift type ${type} in a Parquet footer`);
    }
  }
}

class Writer {
  readonly #chunks: number[] = [];

  bytes(): Uint8Array {
    return Uint8Array.from(this.#chunks);
  }

  #varint(n: bigint): void {
    let v = n;
    while (v >= 0x80n) {
      this.#chunks.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#chunks.push(Number(v));
  }

  #zigzag(n: bigint): void {
    this.#varint(n >= 0n ? n << 1n : (-n << 1n) - 1n);
  }

  #raw(bytes: Uint8Array): void {
    for (const byte of bytes) this.#chunks.push(byte);
  }

  struct(struct: ThriftStruct): void {
    let last = 0;
    for (const field of struct.fields) {
      const type = field.type === TRUE || field.type === FALSE ? (field.value ? TRUE : FALSE) : field.type;
      const delta = field.id - last;
      if (delta > 0 && delta <= 15) {
        this.#chunks.push((delta << 4) | type);
      } else {
        this.#chunks.push(type);
        this.#zigzag(BigInt(field.id));
      }
      if (type !== TRUE && type !== FALSE) this.#value(type, field.value);
      last = field.id;
    }
    this.#chunks.push(STOP);
  }

  #value(type: number, value: Value): void {
    switch (type) {
      case BYTE:
        this.#chunks.push(Number(value as bigint) & 0xff);
        return;
      case I16:
      case I32:
      case I64:
        this.#zigzag(value as bigint);
        return;
      case DOUBLE:
        this.#raw(value as Uint8Array);
        return;
      case BINARY:
        this.#varint(BigInt((value as Uint8Array).length));
        this.#raw(value as Uint8Array);
        return;
      case LIST:
      case SET: {
        const list = value as ThriftList;
        if (list.items.length < 15) {
          this.#chunks.push((list.items.length << 4) | list.elementType);
        } else {
          this.#chunks.push(0xf0 | list.elementType);
          this.#varint(BigInt(list.items.length));
        }
        for (const item of list.items) {
          if (list.elementType === TRUE || list.elementType === FALSE) this.#chunks.push(item ? TRUE : FALSE);
          else this.#value(list.elementType, item);
        }
        return;
      }
      case STRUCT:
        this.struct(value as ThriftStruct);
        return;
      default:
        throw new Error(`unexpected Thrift type ${type} in a Parquet footer`);
    }
  }
}

function get(struct: ThriftStruct, id: number): Value | undefined {
  return struct.fields.find((field) => field.id === id)?.value;
}

function encode(value: ThriftStruct): Uint8Array {
  const writer = new Writer();
  writer.struct(value);
  return writer.bytes();
}

/** A struct with `changes` applied: a Value replaces the field's value, null removes the field. */
function patched(struct: ThriftStruct, changes: ReadonlyMap<number, Value | null>): ThriftStruct {
  const fields: ThriftField[] = [];
  for (const field of struct.fields) {
    const change = changes.get(field.id);
    if (change === null) continue;
    fields.push(change === undefined ? field : { ...field, value: change });
  }
  return { kind: "struct", fields };
}

/** The same struct with the listed i64 fields moved by `delta` (those present). */
function moved(struct: ThriftStruct, ids: readonly number[], delta: bigint): ThriftStruct {
  const changes = new Map<number, Value>();
  for (const id of ids) {
    const value = get(struct, id);
    if (typeof value === "bigint") changes.set(id, value + delta);
  }
  return patched(struct, changes);
}

// Field ids of parquet.thrift.
const FILE = { numRows: 3, rowGroups: 4, schema: 2, keyValueMetadata: 5, encryption: 8 } as const;
const ROW_GROUP = { columns: 1, fileOffset: 5, ordinal: 7 } as const;
const CHUNK = {
  filePath: 1,
  fileOffset: 2,
  metaData: 3,
  offsetIndexOffset: 4,
  offsetIndexLength: 5,
  columnIndexOffset: 6,
  columnIndexLength: 7,
  cryptoMetadata: 8,
  encryptedMetaData: 9,
} as const;
/** data_page_offset, index_page_offset, dictionary_page_offset, bloom_filter_offset of ColumnMetaData. */
const META_OFFSETS = [9, 10, 11, 14] as const;

/** The FileMetaData of a footer (`FileMetaData ‖ length ‖ PAR1`, as `readFooter` returns it). */
function fileMetaData(footer: Uint8Array): ThriftStruct {
  const view = new DataView(footer.buffer, footer.byteOffset, footer.byteLength);
  if (footer.length < 8 || view.getUint32(footer.length - 4, true) !== MAGIC) {
    throw new Error("not a Parquet footer (no PAR1 at its end; encrypted footers are not supported)");
  }
  const length = view.getUint32(footer.length - 8, true);
  if (length !== footer.length - 8) throw new Error("the Parquet footer's length does not match");
  return new Reader(footer.subarray(0, length)).struct();
}

/**
 * The footer of a file of `fileLength` bytes (`FileMetaData ‖ length ‖ PAR1`), read through `read` in
 * at most two requests.
 */
export async function readFooter(
  read: (offset: number, length: number) => Promise<Uint8Array>,
  fileLength: number,
): Promise<Uint8Array> {
  const guess = Math.min(fileLength, 64 * 1024);
  const tail = await read(fileLength - guess, guess);
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  if (tail.length !== guess || guess < 12 || view.getUint32(guess - 4, true) !== MAGIC) {
    throw new Error(`not a Parquet file of ${fileLength} bytes (no PAR1 at its end)`);
  }
  const footerLength = view.getUint32(guess - 8, true) + 8;
  if (footerLength <= guess) return tail.slice(guess - footerLength);
  if (footerLength > fileLength - 4) throw new Error("the Parquet footer is longer than its file");
  return read(fileLength - footerLength, footerLength);
}

/** Equal for files whose row groups can share one file: same schema and key-value metadata. */
export function footerMergeKey(footer: Uint8Array): string {
  const meta = fileMetaData(footer);
  const only = (id: number) =>
    Buffer.from(encode({ kind: "struct", fields: meta.fields.filter((field) => field.id === id) })).toString(
      "hex",
    );
  return `${only(FILE.schema)}:${only(FILE.keyValueMetadata)}`;
}

/**
 * The footer to append after the byte concatenation of `files` (in this order, each with its length and
 * footer) that makes it one Parquet file holding all their row groups in order.
 */
export function concatenationFooter(
  files: ReadonlyArray<{ length: number; footer: Uint8Array }>,
): Uint8Array {
  const metas = files.map((file) => fileMetaData(file.footer));
  const first = metas[0];
  if (first === undefined) throw new Error("nothing to merge");
  let offset = 0n;
  let rows = 0n;
  const rowGroups: Value[] = [];
  for (const [i, meta] of metas.entries()) {
    if (get(meta, FILE.encryption) !== undefined) throw new Error("encrypted Parquet files cannot be merged");
    rows += (get(meta, FILE.numRows) as bigint | undefined) ?? 0n;
    const groups = get(meta, FILE.rowGroups) as ThriftList | undefined;
    for (const group of (groups?.items ?? []) as ThriftStruct[]) {
      const columns = get(group, ROW_GROUP.columns) as ThriftList;
      const chunks = (columns.items as ThriftStruct[]).map((chunk) => {
        if (
          get(chunk, CHUNK.filePath) !== undefined ||
          get(chunk, CHUNK.cryptoMetadata) !== undefined ||
          get(chunk, CHUNK.encryptedMetaData) !== undefined
        ) {
          throw new Error("Parquet files with external or encrypted column chunks cannot be merged");
        }
        const metaData = get(chunk, CHUNK.metaData) as ThriftStruct | undefined;
        const changes = new Map<number, Value | null>([
          [CHUNK.offsetIndexOffset, null],
          [CHUNK.offsetIndexLength, null],
          [CHUNK.columnIndexOffset, null],
          [CHUNK.columnIndexLength, null],
        ]);
        if (metaData !== undefined) changes.set(CHUNK.metaData, moved(metaData, META_OFFSETS, offset));
        return patched(moved(chunk, [CHUNK.fileOffset], offset), changes);
      });
      const changes = new Map<number, Value | null>([[ROW_GROUP.columns, { ...columns, items: chunks }]]);
      if (get(group, ROW_GROUP.ordinal) !== undefined)
        changes.set(ROW_GROUP.ordinal, BigInt(rowGroups.length));
      rowGroups.push(patched(moved(group, [ROW_GROUP.fileOffset], offset), changes));
    }
    offset += BigInt((files[i] as { length: number }).length);
  }
  const meta = patched(
    first,
    new Map<number, Value>([
      [FILE.numRows, rows],
      [FILE.rowGroups, { kind: "list", type: LIST, elementType: STRUCT, items: rowGroups }],
    ]),
  );
  if (get(meta, FILE.rowGroups) === undefined) throw new Error("a Parquet footer without row groups");
  const thrift = encode(meta);
  const out = Buffer.alloc(thrift.length + 8);
  out.set(thrift);
  out.writeUInt32LE(thrift.length, thrift.length);
  out.writeUInt32LE(MAGIC, thrift.length + 4);
  return out;
}
