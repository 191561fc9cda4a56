/**
 * @module The Hub files each learned Foley engine needs, by engine name: what `FOLEY_ENGINE` adds
 * to `MODELS` (so the worker ensures exactly those files at start-up, with the model store's lock,
 * resume and sha256 check) and what the docs list per variant. Only the files a variant reads:
 * `hkchengrex/MMAudio` holds every variant, and a worker fetches its own network and the parts it
 * uses. Sizes are the Hub's (learned-foley.md §1), for the docs and the disk a volume needs.
 */
import type { RepoSpec } from './spec.js';

/** One file of an engine: where it is on the Hub, what it is, its licence. */
export interface EngineFile {
  repo: string;
  path: string;
  /** Bytes on the Hub (rounded; the store checks the real size and hash). */
  bytes: number;
  /** The component it holds. */
  role: 'dit' | 'vae' | 'vocoder' | 'vocoder-config' | 'synchformer' | 'clip' | 'siglip' | 'clap' | 'clap-vocab' | 'clap-merges';
}

export const MMAUDIO_REPO = 'hkchengrex/MMAudio';
export const CLIP_REPO = 'apple/DFN5B-CLIP-ViT-H-14-378';
export const BIGVGAN_V2_REPO = 'nvidia/bigvgan_v2_44khz_128band_512x';

/** MMAudio's networks, by the engine names a payload or `FOLEY_ENGINE` uses. */
export const MMAUDIO_ENGINE_NAMES = [
  'mmaudio-small-16k',
  'mmaudio-small-44k',
  'mmaudio-medium-44k',
  'mmaudio-large-44k',
  'mmaudio-large-44k-v2',
] as const;
export type MmaudioEngineName = (typeof MMAUDIO_ENGINE_NAMES)[number];

/** What `mmaudio` means when `FOLEY_ENGINE` names no variant: the best network. */
export const MMAUDIO_DEFAULT: MmaudioEngineName = 'mmaudio-large-44k-v2';

const MB = 1e6;
const DIT_BYTES: Record<MmaudioEngineName, number> = {
  'mmaudio-small-16k': 629 * MB,
  'mmaudio-small-44k': 630 * MB,
  'mmaudio-medium-44k': 2490 * MB,
  'mmaudio-large-44k': 4120 * MB,
  'mmaudio-large-44k-v2': 4120 * MB,
};

/** `mmaudio-large-44k-v2` → `large_44k_v2`, the name upstream's files and configs use. */
export function mmaudioVariantId(name: MmaudioEngineName): string {
  return name.slice('mmaudio-'.length).replaceAll('-', '_');
}

/** The files an MMAudio network reads, in the order they are converted. */
export function mmaudioFiles(name: MmaudioEngineName): EngineFile[] {
  const is16k = name.endsWith('16k');
  const common: EngineFile[] = [
    { repo: MMAUDIO_REPO, path: `weights/mmaudio_${mmaudioVariantId(name)}.pth`, bytes: DIT_BYTES[name], role: 'dit' },
    {
      repo: MMAUDIO_REPO,
      path: is16k ? 'ext_weights/v1-16.pth' : 'ext_weights/v1-44.pth',
      bytes: is16k ? 687 * MB : 1220 * MB,
      role: 'vae',
    },
    { repo: MMAUDIO_REPO, path: 'ext_weights/synchformer_state_dict.pth', bytes: 950 * MB, role: 'synchformer' },
    { repo: CLIP_REPO, path: 'open_clip_pytorch_model.bin', bytes: 3950 * MB, role: 'clip' },
  ];
  const vocoder: EngineFile[] = is16k
    ? [{ repo: MMAUDIO_REPO, path: 'ext_weights/best_netG.pt', bytes: 449 * MB, role: 'vocoder' }]
    : [
        { repo: BIGVGAN_V2_REPO, path: 'bigvgan_generator.pt', bytes: 489 * MB, role: 'vocoder' },
        { repo: BIGVGAN_V2_REPO, path: 'config.json', bytes: 1500, role: 'vocoder-config' },
      ];
  return [...common, ...vocoder];
}

export function isMmaudioEngineName(name: string): name is MmaudioEngineName {
  return (MMAUDIO_ENGINE_NAMES as readonly string[]).includes(name);
}

export const HVF_REPO = 'tencent/HunyuanVideo-Foley';
export const SIGLIP2_REPO = 'google/siglip2-base-patch16-512';
export const CLAP_REPO = 'laion/larger_clap_general';

/** HunyuanVideo-Foley's networks: XL (12 + 24 blocks) and XXL (18 + 36, bf16). */
export const HVF_ENGINE_NAMES = ['hunyuan-foley-xl', 'hunyuan-foley-xxl'] as const;
export type HvfEngineName = (typeof HVF_ENGINE_NAMES)[number];
/** What `hunyuan-foley` means when `FOLEY_ENGINE` names no variant: the smaller network (upstream: ~16 GB of VRAM, XXL ~20 GB). */
export const HVF_DEFAULT: HvfEngineName = 'hunyuan-foley-xl';

export function isHvfEngineName(name: string): name is HvfEngineName {
  return (HVF_ENGINE_NAMES as readonly string[]).includes(name);
}

/** The files a HunyuanVideo-Foley network reads (sizes from learned-foley.md §4; the towers' are the Hub's, UNVERIFIED). */
export function hvfFiles(name: HvfEngineName): EngineFile[] {
  const xl = name === 'hunyuan-foley-xl';
  return [
    { repo: HVF_REPO, path: xl ? 'hunyuanvideo_foley_xl.pth' : 'hunyuanvideo_foley.pth', bytes: xl ? 5900 * MB : 10300 * MB, role: 'dit' },
    { repo: HVF_REPO, path: 'vae_128d_48k.pth', bytes: 1490 * MB, role: 'vae' },
    { repo: HVF_REPO, path: 'synchformer_state_dict.pth', bytes: 950 * MB, role: 'synchformer' },
    { repo: SIGLIP2_REPO, path: 'model.safetensors', bytes: 1500 * MB, role: 'siglip' },
    { repo: CLAP_REPO, path: 'model.safetensors', bytes: 776 * MB, role: 'clap' },
    { repo: CLAP_REPO, path: 'vocab.json', bytes: 1 * MB, role: 'clap-vocab' },
    { repo: CLAP_REPO, path: 'merges.txt', bytes: 0.5 * MB, role: 'clap-merges' },
  ];
}

/** Every name `FOLEY_ENGINE` accepts. */
export const FOLEY_ENGINE_NAMES = ['procedural', 'mmaudio', ...MMAUDIO_ENGINE_NAMES, 'hunyuan-foley', ...HVF_ENGINE_NAMES] as const;

/** `mmaudio` / `hunyuan-foley` → the default network; other names as they are. */
export function resolveEngineName(name: string): string {
  if (name === 'mmaudio') return MMAUDIO_DEFAULT;
  return name === 'hunyuan-foley' ? HVF_DEFAULT : name;
}

/** The files an engine name needs from the Hub (none for an engine without weights). */
export function engineFiles(name: string): EngineFile[] {
  const resolved = resolveEngineName(name);
  if (isMmaudioEngineName(resolved)) return mmaudioFiles(resolved);
  return isHvfEngineName(resolved) ? hvfFiles(resolved) : [];
}

/**
 * `MODELS` with an engine's files added: a repo already listed keeps its revision and gains the
 * files as globs (a repo listed whole stays whole); a repo not listed is added at `main`.
 */
export function withEngineFiles(specs: readonly RepoSpec[], engine: string | undefined): RepoSpec[] {
  if (engine === undefined) return [...specs];
  const out = specs.map((s) => ({ ...s, globs: [...s.globs] }));
  for (const f of engineFiles(engine)) {
    const spec = out.find((s) => s.repo === f.repo);
    if (!spec) out.push({ repo: f.repo, revision: 'main', globs: [f.path] });
    else if (spec.globs.length > 0 && !spec.globs.includes(f.path)) spec.globs.push(f.path);
  }
  return out;
}
