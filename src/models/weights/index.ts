/**
 * @module A safe reader of original weight files (torch.save zips and safetensors), for
 * converting checkpoints to ONNX: the tensor table at open, each tensor's bytes by offset on
 * demand, and nothing in a pickle ever run (see pickle.ts). `openWeights` tells the formats apart
 * by their first bytes.
 */
import { open } from 'node:fs/promises';
import { openSafetensors } from './safetensors.js';
import { DEFAULT_LIMITS, loadFailed, type WeightsLimits } from './tensor-info.js';
import { openTorchCheckpoint } from './torch.js';
import type { WeightsFile } from './weights-file.js';

export { bfloat16ToFloat32, float16ToFloat32, toFloat32 } from './float.js';
export { DTYPE_BYTES, type TensorInfo, type WeightDtype, type WeightsLimits, type WeightsScalar } from './tensor-info.js';
export type { WeightsFile } from './weights-file.js';

/**
 * Opens a weights file: a zip (`PK\x03\x04`) is read as torch.save, anything else as safetensors.
 * Rejects MODEL_LOAD_FAILED (unreadable, damaged, claims past the file, unsupported dtype) or
 * MODEL_UNSAFE (the pickle names a global outside the allow-list); the file is closed on failure.
 */
export async function openWeights(path: string, limits: WeightsLimits = {}): Promise<WeightsFile> {
  const all = { ...DEFAULT_LIMITS, ...limits };
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw loadFailed(path, `cannot be opened: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    const magic = Buffer.alloc(4);
    const { bytesRead } = await handle.read(magic, 0, 4, 0);
    const zip = bytesRead === 4 && magic.readUInt32LE(0) === 0x04034b50;
    return await (zip ? openTorchCheckpoint(path, handle, all) : openSafetensors(path, handle, all));
  } catch (e) {
    await handle.close();
    throw e;
  }
}
