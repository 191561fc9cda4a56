/**
 * @module A `torch.save` checkpoint (the zip format of torch ≥ 1.6): `<archive>/data.pkl` decoded
 * by our restricted unpickler with `torch.load(weights_only=True)`'s allow-list cut to what state
 * dicts use, and `<archive>/data/<key>` storages read by offset. Each tensor's claims (storage
 * size, offset, shape, strides) are checked against its zip entry before it is listed.
 */
import type { FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import type yauzl from 'yauzl';
import { WorkerError } from '../../errors.js';
import { type PickleCallable, PickleGlobal, PickleTuple, unpickle } from './pickle.js';
import type { StorageSpan } from './range.js';
import { checkTensor, DTYPE_BYTES, loadFailed, type TensorInfo, type WeightDtype, type WeightsLimits } from './tensor-info.js';
import { flattenCheckpoint } from './tree.js';
import { weightsFile, type WeightsFile } from './weights-file.js';
import { openZipDirectory, type ZipDirectory } from './zip.js';

/** The storage types we read, by their pickled global. */
const STORAGE_DTYPES: Readonly<Record<string, WeightDtype>> = {
  'torch.FloatStorage': 'float32',
  'torch.HalfStorage': 'float16',
  'torch.BFloat16Storage': 'bfloat16',
  'torch.LongStorage': 'int64',
};

/** Storage types torch's weights_only allows but this reader has no dtype for: MODEL_LOAD_FAILED, not unsafe. */
const UNSUPPORTED_STORAGES = [
  'DoubleStorage',
  'IntStorage',
  'ShortStorage',
  'CharStorage',
  'ByteStorage',
  'BoolStorage',
  'ComplexFloatStorage',
  'ComplexDoubleStorage',
].map((s) => `torch.${s}`);

/** A storage named by a persistent id, checked against its zip entry. */
class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: WeightDtype,
    readonly elements: number,
  ) {}
}

/** What `_rebuild_tensor_v2` returns: a view of a storage, checked later against it. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: unknown,
    readonly shape: readonly unknown[],
    readonly strides: readonly unknown[],
  ) {}
}

interface Archive {
  file: string;
  zip: ZipDirectory;
  /** `archive/` — the folder data.pkl is in (torch names it after the file; any name is taken). */
  prefix: string;
}

function findArchive(file: string, zip: ZipDirectory): Archive {
  const pickles = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pickles.length !== 1) {
    throw loadFailed(file, pickles.length === 0 ? 'is a zip without <folder>/data.pkl (not a torch.save file)' : 'holds several data.pkl');
  }
  return { file, zip, prefix: pickles[0]!.slice(0, -'data.pkl'.length) };
}

function persistentLoad(archive: Archive, storages: Map<string, StorageRef>): (pid: unknown) => StorageRef {
  const { file, zip, prefix } = archive;
  return (pid) => {
    const [tag, type, key, , elements] = pid instanceof PickleTuple ? pid.items : [];
    if (tag !== 'storage' || !(type instanceof PickleGlobal) || typeof key !== 'string' || !Number.isSafeInteger(elements)) {
      throw loadFailed(file, 'has a persistent id that is not a storage');
    }
    const dtype = STORAGE_DTYPES[type.qualified];
    if (!dtype) throw loadFailed(file, `has a storage of an unsupported dtype (${type.qualified})`, { storageType: type.qualified });
    const count = elements as number;
    const known = storages.get(key);
    if (known) {
      if (known.dtype !== dtype || known.elements !== count) throw loadFailed(file, `storage ${key} is named with two types`);
      return known;
    }
    const entry = /^\w+$/.test(key) ? zip.entries.get(`${prefix}data/${key}`) : undefined;
    if (!entry) throw loadFailed(file, `has no storage data/${key}`, { storage: key });
    if (entry.compressionMethod !== 0) throw loadFailed(file, `storage ${key} is compressed (torch.save stores them)`, { storage: key });
    if (count < 0 || count * DTYPE_BYTES[dtype] > entry.uncompressedSize) {
      throw loadFailed(file, `storage ${key} claims ${count} elements; its entry holds ${entry.uncompressedSize} bytes`, { storage: key });
    }
    const ref = new StorageRef(key, dtype, count);
    storages.set(key, ref);
    return ref;
  };
}

/** The globals a state dict may name, and what calling each builds. Everything else is MODEL_UNSAFE. */
function allowedGlobals(file: string): Map<string, PickleCallable> {
  const bad = (what: string) => loadFailed(file, `data.pkl calls ${what} with arguments it does not take`);
  const globals = new Map<string, PickleCallable>([
    [
      'collections.OrderedDict',
      (args) => {
        const [pairs] = args;
        if (args.length === 0) return new Map();
        if (!Array.isArray(pairs) || !pairs.every((p) => p instanceof PickleTuple && p.items.length === 2)) throw bad('OrderedDict');
        return new Map(pairs.map((p: PickleTuple) => [p.items[0], p.items[1]]));
      },
    ],
    [
      'torch._utils._rebuild_tensor_v2',
      (args) => {
        const [storage, offset, size, stride] = args;
        if (
          args.length < 6 ||
          !(size instanceof PickleTuple) ||
          !(stride instanceof PickleTuple) ||
          !storage ||
          typeof storage !== 'object'
        ) {
          throw bad('_rebuild_tensor_v2');
        }
        if (!('key' in storage)) throw bad('_rebuild_tensor_v2');
        return new TensorRef(storage as StorageRef, offset, size.items, stride.items);
      },
    ],
    [
      'torch._utils._rebuild_parameter',
      (args) => {
        if (!(args[0] instanceof TensorRef)) throw bad('_rebuild_parameter');
        return args[0];
      },
    ],
  ]);
  for (const name of [...Object.keys(STORAGE_DTYPES), ...UNSUPPORTED_STORAGES]) globals.set(name, null);
  return globals;
}

async function readPickle(archive: Archive, limits: Required<WeightsLimits>): Promise<unknown> {
  const { file, zip, prefix } = archive;
  const order = zip.entries.get(`${prefix}byteorder`);
  if (order && (await zip.readSmall(order, 16)).toString('latin1') !== 'little') {
    throw loadFailed(file, 'is a big-endian checkpoint (torch.save on a big-endian machine)');
  }
  const storages = new Map<string, StorageRef>();
  const bytes = await zip.readSmall(zip.entries.get(`${prefix}data.pkl`)!, limits.maxPickleBytes);
  return unpickle(bytes, {
    file: basename(file),
    globals: allowedGlobals(file),
    persistentLoad: persistentLoad(archive, storages),
    maxValues: limits.maxPickleValues,
  });
}

function toInfo(file: string, name: string, t: TensorRef): TensorInfo {
  return checkTensor({
    file,
    name,
    dtype: t.storage.dtype,
    shape: t.shape,
    strides: t.strides,
    offset: t.offset,
    storageElements: t.storage.elements,
    storage: t.storage.key,
  });
}

/** Opens a torch.save zip on an open handle (openWeights sniffs the format and opens the file). */
export async function openTorchCheckpoint(file: string, handle: FileHandle, limits: Required<WeightsLimits>): Promise<WeightsFile> {
  const zip = await openZipDirectory(file, handle, limits.maxEntries);
  try {
    const archive = findArchive(file, zip);
    const root = await readPickle(archive, limits);
    const { tensors, metadata } = flattenCheckpoint({ file, root, isTensor: (v) => v instanceof TensorRef, maxLeaves: limits.maxEntries });
    const infos = new Map<string, TensorInfo>();
    for (const [name, t] of tensors) infos.set(name, toInfo(file, name, t as TensorRef));
    const spans = new Map<string, Promise<StorageSpan>>();
    const span = (key: string): Promise<StorageSpan> => {
      let s = spans.get(key);
      if (!s) {
        const entry: yauzl.Entry = zip.entries.get(`${archive.prefix}data/${key}`)!;
        s = zip.dataStart(entry).then((start) => ({ start, byteLength: entry.uncompressedSize }));
        spans.set(key, s);
      }
      return s;
    };
    return weightsFile({ format: 'torch', file, handle, tensors: infos, metadata, span });
  } catch (e) {
    throw e instanceof WorkerError ? e : loadFailed(file, `cannot be read: ${e instanceof Error ? e.message : String(e)}`);
  }
}
