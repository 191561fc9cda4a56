/**
 * Random HunyuanVideo-Foley checkpoints at the real Hub paths, reduced in size, so the engine's
 * whole chain (SigLIP2 → Synchformer → CLAP → DiT → DAC-VAE) converts and runs in tests without
 * downloading 10 GB: the DiT and the DAC-VAE as torch.save files (the DiT in bf16, as XXL ships),
 * SigLIP2 and CLAP as safetensors (what their HF repos ship), Synchformer as MMAudio's stand-in
 * writes it, and the CLAP tokenizer files from the RoBERTa tokenizer's synthetic fixture vocabulary
 * (the real one cannot be fetched here). The numbers are noise; the plumbing is real.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../src/config.js';
import { clapTextTensorShapes } from '../src/convert/clap-text/index.js';
import { dacVaeTensorShapes } from '../src/convert/dac-vae/index.js';
import { type HvfVariant, hvfDitTensorShapes, hvfVariantDims } from '../src/convert/hvf-dit/index.js';
import { siglip2VisionTensorShapes } from '../src/convert/siglip2-vision/index.js';
import { synchformerTensorShapes, VFEAT_PREFIX } from '../src/convert/synchformer/index.js';
import { CLAP_REPO, HVF_REPO, SIGLIP2_REPO } from '../src/models/engine-files.js';
import { saveTorchStateDict, type SaveTensor } from '../src/models/weights/index.js';
import { mmaudioStandInDims, standInTensor } from './mmaudio-stand-ins.js';

export interface HvfStandInFile {
  repo: string;
  path: string;
  local: string;
}

/** The package's own copy, found from the package root (this file runs from bench/ and from dist/bench/). */
const TOKENIZER = pathToFileURL(`${join(packageRoot(), 'test', 'fixtures', 'clap-text', 'tokenizer')}/`);
/** Reduced widths: SigLIP2 and CLAP one 64-wide head each, Synchformer MMAudio's reduced 48. */
const WIDTH = 64;

/** A safetensors file of float32 tensors (8-byte header length, JSON header, data), written whole then renamed. */
async function saveSafetensors(path: string, tensors: readonly SaveTensor[]): Promise<void> {
  const header: Record<string, unknown> = {};
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    const data = new Uint8Array((t.fill!(0, count) as Float32Array).slice().buffer);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + data.byteLength] };
    parts.push(data);
    offset += data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.byteLength));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(`${path}.tmp`, Buffer.concat([length, json, ...parts]));
  await rename(`${path}.tmp`, path);
}

const tensorsOf = (shapes: Map<string, number[]>, o: { prefix?: string; seed: number; dtype?: 'float32' | 'bfloat16' }): SaveTensor[] =>
  [...shapes].map(([name, shape]) => standInTensor({ name: (o.prefix ?? '') + name, shape, seed: o.seed, dtype: o.dtype ?? 'float32' }));

/** The sizes of every component: reduced (tests), or a released network's (the bench; random values either way). */
function sizes(o: { size: 'reduced' | 'real'; variant: HvfVariant; vocab: number }) {
  const { size, vocab } = o;
  const sync = mmaudioStandInDims({ variant: 'small_16k', size }).synchformer;
  const xl = hvfVariantDims('xl');
  if (size === 'real') {
    return {
      sync,
      dit: hvfVariantDims(o.variant),
      dac: { latentDim: 128, channels: 2048, rates: [8, 5, 4, 3, 2], outChannels: 1, continuous: true },
      siglip: { width: 768, patch: 16, grid: 32, layers: 12, mlpWidth: 3072, heads: 12 },
      // RoBERTa's real vocabulary size; the tokenizer's synthetic vocabulary uses its first ids.
      clap: { vocab: 50265, width: 768, positions: 514, maxTokens: 512, layers: 12, mlpWidth: 3072, heads: 12, padTokenId: 1 },
    };
  }
  const dit = { ...xl, hidden: 64, heads: 2, headSize: 32, clipDim: WIDTH, syncDim: sync.width, textDim: WIDTH, triple: 1, single: 1 };
  return {
    sync,
    dit: { ...dit, mlpHidden: 128, convMlpHidden: 96, syncMlpHidden: 96 },
    dac: { latentDim: 128, channels: 64, rates: [8, 5, 4, 3, 2], outChannels: 1, continuous: true },
    siglip: { width: WIDTH, patch: 16, grid: 32, layers: 1, mlpWidth: 2 * WIDTH, heads: 1 },
    clap: { vocab, width: WIDTH, positions: 514, maxTokens: 512, layers: 1, mlpWidth: 2 * WIDTH, heads: 1, padTokenId: 1 },
  };
}

/** Writes a network's files (XL unless `variant` says XXL) under `<dir>/<org>/<repo>/<path>`; returns where each is. */
export async function writeHvfStandIns(o: {
  dir: string;
  seed?: number;
  size?: 'reduced' | 'real';
  variant?: HvfVariant;
}): Promise<HvfStandInFile[]> {
  const seed = o.seed ?? 0;
  const variant = o.variant ?? 'xl';
  const at = (repo: string, path: string): HvfStandInFile => ({ repo, path, local: join(o.dir, repo, path) });
  const vocab = Object.keys(JSON.parse(await readFile(new URL('vocab.json', TOKENIZER), 'utf8')) as object).length;
  const { sync, dit: ditDims, dac, siglip, clap } = sizes({ size: o.size ?? 'reduced', variant, vocab });
  const files = {
    dit: at(HVF_REPO, variant === 'xl' ? 'hunyuanvideo_foley_xl.pth' : 'hunyuanvideo_foley.pth'),
    vae: at(HVF_REPO, 'vae_128d_48k.pth'),
    sync: at(HVF_REPO, 'synchformer_state_dict.pth'),
    siglip: at(SIGLIP2_REPO, 'model.safetensors'),
    clap: at(CLAP_REPO, 'model.safetensors'),
    vocab: at(CLAP_REPO, 'vocab.json'),
    merges: at(CLAP_REPO, 'merges.txt'),
  };
  await saveTorchStateDict({ path: files.dit.local, tensors: tensorsOf(hvfDitTensorShapes(ditDims), { seed, dtype: 'bfloat16' }) });
  await saveTorchStateDict({ path: files.vae.local, tensors: tensorsOf(dacVaeTensorShapes(dac), { seed }) });
  await saveTorchStateDict({ path: files.sync.local, tensors: tensorsOf(synchformerTensorShapes(sync), { prefix: VFEAT_PREFIX, seed }) });
  await saveSafetensors(files.siglip.local, tensorsOf(siglip2VisionTensorShapes(siglip), { seed }));
  await saveSafetensors(files.clap.local, tensorsOf(clapTextTensorShapes(clap), { seed }));
  for (const f of [files.vocab, files.merges]) {
    await mkdir(dirname(f.local), { recursive: true });
    await writeFile(f.local, await readFile(new URL(f.path, TOKENIZER)));
  }
  return Object.values(files);
}
