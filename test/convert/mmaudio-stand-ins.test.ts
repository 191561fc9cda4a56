/**
 * The reduced stand-in sets of bench/mmaudio-stand-ins.ts (small_16k, large_44k_v2): every file at
 * its Hub path, each converted by the project's converters (the CLIP image tower aside: its converter
 * is not here yet), the widths agreeing along the chain, and the chain run once on an 8 s window
 * (Synchformer on one segment) with finite outputs of the expected lengths.
 */
import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIGVGAN_IO, convertBigVgan, parseBigVganConfig } from '../../src/convert/bigvgan/index.js';
import { convertClipTextModel } from '../../src/convert/clip-text/convert.js';
import {
  CONDITION_INPUTS,
  CONDITION_NAMES,
  convertMmaudioDit,
  FLOW_INPUTS,
  FLOW_OUTPUT,
  type MmaudioVariant,
} from '../../src/convert/mmaudio-dit/index.js';
import { convertMmaudioVaeDecoder, MMAUDIO_VAE_IO } from '../../src/convert/mmaudio-vae/index.js';
import { convertSynchformerModel } from '../../src/convert/synchformer/index.js';
import { createOrtRuntime, tensor } from '../../src/inference/ort.js';
import { openWeights, type WeightsFile } from '../../src/models/weights/index.js';
import { type StandInFile, writeMmaudioStandIns } from '../../bench/mmaudio-stand-ins.js';

const runtime = createOrtRuntime({ log: pino({ level: 'silent' }), ep: 'cpu' });

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mmaudio-stand-ins-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function random(n: number, scale = 1): Float32Array {
  let s = 12345;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

async function run(model: Uint8Array, feeds: Record<string, ReturnType<typeof tensor>>, output: string) {
  const session = await runtime.createSession(model, { cpuOnly: true });
  try {
    const out = (await session.run(feeds))[output]!;
    const data = out.data as Float32Array;
    expect(data.every(Number.isFinite), `${output} finite`).toBe(true);
    return { data, dims: [...out.dims] };
  } finally {
    await session.release();
  }
}

async function withWeights<T>(path: string, fn: (w: WeightsFile) => Promise<T>): Promise<T> {
  const w = await openWeights(path);
  try {
    return await fn(w);
  } finally {
    await w.close();
  }
}

const EXPECTED: Record<'small_16k' | 'large_44k_v2', string[]> = {
  small_16k: [
    'hkchengrex/MMAudio/weights/mmaudio_small_16k.pth',
    'hkchengrex/MMAudio/ext_weights/synchformer_state_dict.pth',
    'hkchengrex/MMAudio/ext_weights/v1-16.pth',
    'hkchengrex/MMAudio/ext_weights/best_netG.pt',
    'apple/DFN5B-CLIP-ViT-H-14-378/open_clip_pytorch_model.bin',
  ],
  large_44k_v2: [
    'hkchengrex/MMAudio/weights/mmaudio_large_44k_v2.pth',
    'hkchengrex/MMAudio/ext_weights/synchformer_state_dict.pth',
    'hkchengrex/MMAudio/ext_weights/v1-44.pth',
    'nvidia/bigvgan_v2_44khz_128band_512x/bigvgan_generator.pt',
    'apple/DFN5B-CLIP-ViT-H-14-378/open_clip_pytorch_model.bin',
    'nvidia/bigvgan_v2_44khz_128band_512x/config.json',
  ],
};

describe.each(['small_16k', 'large_44k_v2'] as const)(
  'reduced MMAudio stand-ins: %s',
  (variant: MmaudioVariant & keyof typeof EXPECTED) => {
    let files: StandInFile[];
    let dims: Awaited<ReturnType<typeof writeMmaudioStandIns>>['dims'];
    const local = (suffix: string) => files.find((f) => f.path.endsWith(suffix))!.local;

    beforeAll(async () => {
      ({ files, dims } = await writeMmaudioStandIns({ dir: join(root, variant), variant, size: 'reduced', seed: 7 }));
    });

    it('writes every file at its Hub path, a few MB in all', () => {
      expect(files.map((f) => `${f.repo}/${f.path}`)).toEqual(EXPECTED[variant]);
      for (const f of files) expect(f.local).toBe(join(root, variant, f.repo, f.path));
      const total = files.reduce((n, f) => n + f.size, 0);
      expect(total).toBeLessThan(12e6);
    });

    it('converts every file, the widths agreeing along the chain, and runs an 8 s window', async () => {
      const dit = await withWeights(local(`mmaudio_${variant}.pth`), (weights) => convertMmaudioDit({ weights, variant }));
      const clip = await withWeights(local('open_clip_pytorch_model.bin'), (weights) => convertClipTextModel({ weights }));
      const sync = await withWeights(local('synchformer_state_dict.pth'), (weights) => convertSynchformerModel({ weights }));
      const vae = await withWeights(local(variant === 'small_16k' ? 'v1-16.pth' : 'v1-44.pth'), (weights) =>
        convertMmaudioVaeDecoder({ weights, variant: dims.vae.variant }),
      );
      const config =
        variant === 'small_16k' ? dims.vocoder.config : parseBigVganConfig(JSON.parse(await readFile(local('config.json'), 'utf8')));
      expect(config).toEqual(dims.vocoder.config);
      const vocoder = await withWeights(local(variant === 'small_16k' ? 'best_netG.pt' : 'bigvgan_generator.pt'), (weights) =>
        convertBigVgan({ weights, variant: dims.vocoder.variant, config }),
      );
      const clipFile = await openWeights(local('open_clip_pytorch_model.bin'));
      const visualProj = clipFile.tensors.get('visual.proj')!.shape;
      const visualPos = clipFile.tensors.get('visual.positional_embedding')!.shape;
      await clipFile.close();

      expect(dit.dims).toEqual(dims.dit);
      expect(dit.dims.clipDim).toBe(visualProj[1]); // the CLIP image embedding
      expect(visualPos).toEqual([1 + 27 * 27, dims.clip.image.width]); // 378 px in patches of 14, as the real tower
      expect(dit.dims.textDim).toBe(clip.dims.width);
      expect(dit.dims.textLength).toBe(clip.dims.context);
      expect(clip.dims.vocab).toBe(49408); // the real tokenizer's ids all fit
      expect(dit.dims.syncDim).toBe(sync.dims.width);
      expect(sync.dims).toMatchObject({ image: 224, frames: 16, temporalTokens: 8 });
      expect(dit.dims.latentDim).toBe(dims.vae.latent);
      expect(dims.vocoder.config.numMels).toBe(dims.vae.mels);
      expect(dims.vocoder.hop).toBe(variant === 'small_16k' ? 256 : 512);
      expect(dit.latentStd.every((v) => v > 0)).toBe(true);

      // Text features of one prompt (SOT, a word, EOT, zero padding) and one Synchformer segment.
      const tokens = new BigInt64Array(77);
      tokens.set([49406n, 1929n, 49407n]);
      const text = await run(clip.model, { [clip.inputName]: tensor('int64', tokens, [1, 77]) }, clip.outputName);
      expect(text.dims).toEqual([1, 77, dit.dims.textDim]);
      const frames = random(16 * 3 * 224 * 224);
      const segment = await run(sync.model, { [sync.inputName]: tensor('float32', frames, [1, 1, 16, 3, 224, 224]) }, sync.outputName);
      expect(segment.dims).toEqual([1, 1, 8, dit.dims.syncDim]);

      // One flow step on an 8 s window, then the VAE and the vocoder on its latent.
      const { latent: L, clip: C, sync: S } = dit.sequence;
      const conditionsSession = await runtime.createSession(dit.conditions.model, { cpuOnly: true });
      const conditions = await conditionsSession.run({
        [CONDITION_INPUTS.clip]: tensor('float32', random(C * dit.dims.clipDim, 0.05), [1, C, dit.dims.clipDim]),
        [CONDITION_INPUTS.sync]: tensor('float32', random(S * dit.dims.syncDim), [1, S, dit.dims.syncDim]),
        [CONDITION_INPUTS.text]: tensor('float32', text.data, [1, 77, dit.dims.textDim]),
      });
      await conditionsSession.release();
      const x = random(L * dit.dims.latentDim);
      const flowFeeds = {
        [FLOW_INPUTS.latent]: tensor('float32', x, [1, L, dit.dims.latentDim]),
        [FLOW_INPUTS.t]: tensor('float32', Float32Array.of(0.5), [1]),
        ...Object.fromEntries(CONDITION_NAMES.map((n) => [n, conditions[n]!])),
      };
      const velocity = await run(dit.flow.model, flowFeeds, FLOW_OUTPUT);
      expect(velocity.dims).toEqual([1, L, dit.dims.latentDim]);
      // [B, L, C] → the VAE's [B, C, L].
      const z = new Float32Array(L * dit.dims.latentDim);
      for (let t = 0; t < L; t++) for (let c = 0; c < dit.dims.latentDim; c++) z[c * L + t] = x[t * dit.dims.latentDim + c]!;
      const mel = await run(vae, { [MMAUDIO_VAE_IO.input]: tensor('float32', z, [1, dit.dims.latentDim, L]) }, MMAUDIO_VAE_IO.output);
      expect(mel.dims).toEqual([1, dims.vae.mels, 2 * L]);
      const wav = await run(vocoder, { [BIGVGAN_IO.input]: tensor('float32', mel.data, mel.dims) }, BIGVGAN_IO.output);
      expect(wav.dims).toEqual([1, 1, 2 * L * dims.vocoder.hop]);
    });
  },
);
