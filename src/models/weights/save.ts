/**
 * @module Writes a `torch.save` checkpoint (torch ≥ 1.6's zip format) of a state dict, for
 * stand-in checkpoints: the tests, the bench and the self-test make random MMAudio files at the
 * real Hub paths with it (bench/mmaudio-stand-ins.ts). The worker itself never writes weights.
 *
 * The file is what torch 1.13 writes and `torch.load(weights_only=True)` reads: `archive/data.pkl`
 * (pickle protocol 2: an OrderedDict by `collections.OrderedDict` + REDUCE, each tensor by
 * `torch._utils._rebuild_tensor_v2` over a persistent id `('storage', torch.FloatStorage, key,
 * 'cpu', numel)`, C-order strides, requires_grad False, empty backward hooks), one stored
 * (uncompressed) `archive/data/<key>` per tensor whose bytes start on a 64-byte boundary (torch's
 * `FB` padding field in the local header), `archive/byteorder` and `archive/version`. ZIP64 records
 * are written when an entry or the file passes 4 GB (or when asked). Tensors are streamed chunk by
 * chunk to a temp name beside the target, CRC-32 computed on the way, then renamed into place.
 */
import { randomUUID } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { DTYPE_BYTES, type WeightDtype } from './tensor-info.js';

/** One tensor to write: its values whole (`data`) or asked for in order, chunk by chunk (`fill`). */
export interface SaveTensor {
  name: string;
  shape: readonly number[];
  dtype: WeightDtype;
  /** All `numel` values as little-endian bytes of `dtype` (Float32Array, Uint16Array of half/bf16 bits, BigInt64Array, bytes). */
  data?: ArrayBufferView;
  /** Values `offset … offset + count − 1` (element indices); called with increasing offsets, each once. */
  fill?(offset: number, count: number): ArrayBufferView;
}

export interface SaveTorchStateDictOptions {
  path: string;
  /** Written in this order; an iterable is consumed once, as it goes. */
  tensors: Iterable<SaveTensor>;
  /** Nest the state dict under this key: `'generator'` → `{'generator': OrderedDict}` (BigVGAN's files). */
  wrap?: string;
  signal?: AbortSignal;
  /** Write ZIP64 records even when nothing passes 4 GB (to test readers). @default false */
  forceZip64?: boolean;
  /** Elements asked of `fill` at a time. @default 1 << 20 */
  chunkElements?: number;
}

export interface SavedTorchStateDict {
  path: string;
  bytes: number;
  tensors: number;
  zip64: boolean;
}

const STORAGES: Readonly<Record<WeightDtype, string>> = {
  float32: 'FloatStorage',
  float16: 'HalfStorage',
  bfloat16: 'BFloat16Storage',
  int64: 'LongStorage',
};
const U32_MAX = 0xffffffff;
const ALIGN = 64;
/** 1980-01-01 00:00 in DOS format: the same bytes for the same content. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/** A protocol-2 pickle, opcode by opcode: only what a state dict needs. */
class PickleWriter {
  private readonly parts: Buffer[] = [Buffer.from([0x80, 2])];
  op(...bytes: number[]): void {
    this.parts.push(Buffer.from(bytes));
  }
  global(module: string, name: string): void {
    this.parts.push(Buffer.from(`c${module}\n${name}\n`, 'latin1'));
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    const head = Buffer.alloc(5);
    head[0] = 0x58; // BINUNICODE
    head.writeUInt32LE(b.length, 1);
    this.parts.push(head, b);
  }
  int(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`cannot pickle ${n} as a count`);
    if (n < 0x100) {
      this.op(0x4b, n); // BININT1
    } else if (n < 0x10000) {
      this.op(0x4d, n & 0xff, n >> 8); // BININT2
    } else if (n < 0x80000000) {
      const b = Buffer.alloc(5);
      b[0] = 0x4a; // BININT
      b.writeInt32LE(n, 1);
      this.parts.push(b);
    } else {
      const b = Buffer.alloc(2 + 8); // LONG1: 8 little-endian bytes, the top one below 0x80 (< 2^53)
      b[0] = 0x8a;
      b[1] = 8;
      b.writeBigInt64LE(BigInt(n), 2);
      this.parts.push(b);
    }
  }
  tuple(items: readonly number[]): void {
    if (items.length === 0) {
      this.op(0x29); // EMPTY_TUPLE
      return;
    }
    if (items.length > 3) this.op(0x28); // MARK
    for (const i of items) this.int(i);
    this.op(items.length > 3 ? 0x74 : 0x84 + items.length); // TUPLE or TUPLE1..3
  }
  emptyOrderedDict(): void {
    this.global('collections', 'OrderedDict');
    this.op(0x29, 0x52); // EMPTY_TUPLE REDUCE
  }
  bytes(): Buffer {
    this.op(0x2e); // STOP
    return Buffer.concat(this.parts);
  }
}

interface Meta {
  name: string;
  shape: readonly number[];
  dtype: WeightDtype;
  numel: number;
}

function contiguousStrides(shape: readonly number[]): number[] {
  const strides: number[] = [];
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = step;
    step *= Math.max(shape[i]!, 1);
  }
  return strides;
}

/** data.pkl: the OrderedDict of `_rebuild_tensor_v2` calls, storage keys 0, 1, … in order. */
function statePickle(metas: readonly Meta[], wrap: string | undefined): Buffer {
  const p = new PickleWriter();
  if (wrap !== undefined) {
    p.op(0x7d); // EMPTY_DICT
    p.str(wrap);
  }
  p.emptyOrderedDict();
  if (metas.length > 0) p.op(0x28); // MARK
  for (const [key, m] of metas.entries()) {
    p.str(m.name);
    p.global('torch._utils', '_rebuild_tensor_v2');
    p.op(0x28); // MARK: the argument tuple
    p.op(0x28); // MARK: the persistent id
    p.str('storage');
    p.global('torch', STORAGES[m.dtype]);
    p.str(String(key));
    p.str('cpu');
    p.int(m.numel);
    p.op(0x74, 0x51); // TUPLE BINPERSID
    p.int(0);
    p.tuple(m.shape);
    p.tuple(contiguousStrides(m.shape));
    p.op(0x89); // NEWFALSE: requires_grad
    p.emptyOrderedDict(); // backward hooks
    p.op(0x74, 0x52); // TUPLE REDUCE
  }
  if (metas.length > 0) p.op(0x75); // SETITEMS
  if (wrap !== undefined) p.op(0x73); // SETITEM
  return p.bytes();
}

interface Entry {
  name: Buffer;
  offset: number;
  size: number;
  crc: number;
  zip64: boolean;
}

/** Sequential writes to one handle, with the position kept. */
class ZipOut {
  pos = 0;
  readonly entries: Entry[] = [];
  constructor(
    private readonly handle: FileHandle,
    private readonly forceZip64: boolean,
  ) {}

  async write(b: Uint8Array): Promise<void> {
    let done = 0;
    while (done < b.byteLength) {
      const { bytesWritten } = await this.handle.write(b, done, b.byteLength - done, this.pos + done);
      done += bytesWritten;
    }
    this.pos += b.byteLength;
  }

  /** A stored entry of `size` bytes: its local header now, the data through `body`, then its CRC patched into the header. */
  async entry(name: string, size: number, body: (put: (b: Uint8Array) => Promise<void>) => Promise<void>): Promise<void> {
    const nameBytes = Buffer.from(name, 'utf8');
    const zip64 = this.forceZip64 || size >= U32_MAX || this.pos >= U32_MAX;
    const z64 = zip64 ? 20 : 0;
    const pad = (ALIGN - ((this.pos + 30 + nameBytes.length + z64 + 4) % ALIGN)) % ALIGN;
    const head = Buffer.alloc(30 + nameBytes.length + z64 + 4 + pad);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(zip64 ? 45 : 20, 4);
    head.writeUInt16LE(DOS_DATE, 12);
    head.writeUInt32LE(zip64 ? U32_MAX : size, 18);
    head.writeUInt32LE(zip64 ? U32_MAX : size, 22);
    head.writeUInt16LE(nameBytes.length, 26);
    head.writeUInt16LE(z64 + 4 + pad, 28);
    nameBytes.copy(head, 30);
    let at = 30 + nameBytes.length;
    if (zip64) {
      head.writeUInt16LE(0x0001, at);
      head.writeUInt16LE(16, at + 2);
      head.writeBigUInt64LE(BigInt(size), at + 4);
      head.writeBigUInt64LE(BigInt(size), at + 12);
      at += 20;
    }
    head.writeUInt16LE(0x4246, at); // 'FB': torch's padding field
    head.writeUInt16LE(pad, at + 2);
    const offset = this.pos;
    await this.write(head);
    let crc = 0;
    let written = 0;
    await body(async (b) => {
      crc = crc32(b, crc);
      written += b.byteLength;
      await this.write(b);
    });
    if (written !== size) throw new RangeError(`zip entry ${name}: ${written} bytes written, ${size} announced`);
    const c = Buffer.alloc(4);
    c.writeUInt32LE(crc >>> 0, 0);
    await this.handle.write(c, 0, 4, offset + 14);
    this.entries.push({ name: nameBytes, offset, size, crc: crc >>> 0, zip64: zip64 || offset >= U32_MAX });
  }

  /** The central directory and the end records (ZIP64 ones when anything needs them). */
  async finish(): Promise<boolean> {
    const start = this.pos;
    for (const e of this.entries) {
      const big = e.zip64 || e.offset >= U32_MAX;
      const cd = Buffer.alloc(46 + e.name.length + (big ? 28 : 0));
      cd.writeUInt32LE(0x02014b50, 0);
      cd.writeUInt16LE(big ? 45 : 20, 4);
      cd.writeUInt16LE(big ? 45 : 20, 6);
      cd.writeUInt16LE(DOS_DATE, 14);
      cd.writeUInt32LE(e.crc, 16);
      cd.writeUInt32LE(big ? U32_MAX : e.size, 20);
      cd.writeUInt32LE(big ? U32_MAX : e.size, 24);
      cd.writeUInt16LE(e.name.length, 28);
      cd.writeUInt16LE(big ? 28 : 0, 30);
      cd.writeUInt32LE(big ? U32_MAX : e.offset, 42);
      e.name.copy(cd, 46);
      if (big) {
        const at = 46 + e.name.length;
        cd.writeUInt16LE(0x0001, at);
        cd.writeUInt16LE(24, at + 2);
        cd.writeBigUInt64LE(BigInt(e.size), at + 4);
        cd.writeBigUInt64LE(BigInt(e.size), at + 12);
        cd.writeBigUInt64LE(BigInt(e.offset), at + 20);
      }
      await this.write(cd);
    }
    const size = this.pos - start;
    const n = this.entries.length;
    const zip64 = this.forceZip64 || this.entries.some((e) => e.zip64) || start >= U32_MAX || n >= 0xffff;
    if (zip64) {
      const recordAt = this.pos;
      const r = Buffer.alloc(56 + 20);
      r.writeUInt32LE(0x06064b50, 0);
      r.writeBigUInt64LE(44n, 4);
      r.writeUInt16LE(45, 12);
      r.writeUInt16LE(45, 14);
      r.writeBigUInt64LE(BigInt(n), 24);
      r.writeBigUInt64LE(BigInt(n), 32);
      r.writeBigUInt64LE(BigInt(size), 40);
      r.writeBigUInt64LE(BigInt(start), 48);
      r.writeUInt32LE(0x07064b50, 56); // the locator
      r.writeBigUInt64LE(BigInt(recordAt), 64);
      r.writeUInt32LE(1, 72);
      await this.write(r);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(zip64 ? 0xffff : n, 8);
    end.writeUInt16LE(zip64 ? 0xffff : n, 10);
    end.writeUInt32LE(zip64 ? U32_MAX : size, 12);
    end.writeUInt32LE(zip64 ? U32_MAX : start, 16);
    await this.write(end);
    return zip64;
  }
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** One tensor's storage entry: `data` whole, or `fill` chunk by chunk, checked against the announced size. */
async function writeTensor(zip: ZipOut, o: { t: SaveTensor; meta: Meta; key: number; chunk: number; signal?: AbortSignal }) {
  const { t, meta } = o;
  const width = DTYPE_BYTES[t.dtype];
  await zip.entry(`archive/data/${o.key}`, meta.numel * width, async (put) => {
    if (t.data) return put(bytesOf(t.data));
    if (!t.fill) throw new TypeError(`tensor "${t.name}" has neither \`data\` nor \`fill\``);
    for (let at = 0; at < meta.numel; at += o.chunk) {
      o.signal?.throwIfAborted();
      const count = Math.min(o.chunk, meta.numel - at);
      const b = bytesOf(t.fill(at, count));
      if (b.byteLength !== count * width) throw new RangeError(`tensor "${t.name}": fill gave ${b.byteLength} bytes for ${count} values`);
      await put(b);
    }
  });
}

/** Writes the state dict to `path` (atomically: a temp name beside it, then a rename). */
export async function saveTorchStateDict(o: SaveTorchStateDictOptions): Promise<SavedTorchStateDict> {
  const chunk = o.chunkElements ?? 1 << 20;
  if (!Number.isSafeInteger(chunk) || chunk < 1) throw new RangeError('`chunkElements` must be a positive integer');
  o.signal?.throwIfAborted();
  await mkdir(dirname(o.path), { recursive: true });
  const tmp = join(dirname(o.path), `.${basename(o.path)}.${randomUUID()}.incomplete`);
  const handle = await open(tmp, 'wx');
  const zip = new ZipOut(handle, o.forceZip64 ?? false);
  try {
    const metas: Meta[] = [];
    const names = new Set<string>();
    for (const t of o.tensors) {
      o.signal?.throwIfAborted();
      if (names.has(t.name)) throw new RangeError(`tensor "${t.name}" is given twice`);
      names.add(t.name);
      if (!(t.dtype in STORAGES)) throw new RangeError(`tensor "${t.name}": unsupported dtype ${String(t.dtype)}`);
      if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new RangeError(`tensor "${t.name}": bad shape [${t.shape}]`);
      const meta: Meta = { name: t.name, shape: [...t.shape], dtype: t.dtype, numel: t.shape.reduce((a, b) => a * b, 1) };
      await writeTensor(zip, { t, meta, key: metas.length, chunk, ...(o.signal ? { signal: o.signal } : {}) });
      metas.push(meta);
    }
    const pickle = statePickle(metas, o.wrap);
    await zip.entry('archive/data.pkl', pickle.length, (put) => put(pickle));
    for (const [name, text] of [
      ['archive/byteorder', 'little'],
      ['archive/version', '3\n'],
    ] as const) {
      const b = Buffer.from(text, 'latin1');
      await zip.entry(name, b.length, (put) => put(b));
    }
    const zip64 = await zip.finish();
    await handle.close();
    o.signal?.throwIfAborted();
    await rename(tmp, o.path);
    return { path: o.path, bytes: zip.pos, tensors: metas.length, zip64 };
  } catch (e) {
    await handle.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
}
