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
export { type SavedTorchStateDict, type SaveTensor, type SaveTorchStateDictOptions, saveTorchStateDict } from './save.js';

/**
 * Opens a weights file: a zip (`PK\x03\x04`) is read as torch.save, a bare pickle is refused (the
 * legacy torch.save format), anything else is read as safetensors.
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
    const head = Buffer.alloc(9);
    const { bytesRead } = await handle.read(head, 0, 9, 0);
    if (bytesRead >= 4 && head.readUInt32LE(0) === 0x04034b50) return await openTorchCheckpoint(path, handle, all);
    // A bare pickle (PROTO 2) where safetensors would have its JSON: torch.save's format before 1.6.
    if (head[0] === 0x80 && head[1] === 2 && head[8] !== 0x7b) {
      throw loadFailed(path, 'is a legacy torch.save file (before torch 1.6, not a zip): re-save it with a current torch');
    }
    return await openSafetensors(path, handle, all);
  } catch (e) {
    await handle.close();
    throw e;
  }
}
