/**
 * @module Renders the Foley track in blocks with bounded memory (pure: blocks go to a `RawStore`
 * and a `sink` given by the caller). Synthesis runs once: its blocks are summarised in 5 ms
 * segments (peaks, K-weighted energies) and parked in the store (a temp file for long tracks). The
 * mastering rule searches the stem gains on a model of the limiter fed by those segments; one
 * limiter pass over the stored blocks sends gained, true-peak-limited blocks to the sink and
 * measures the result, and only when the model missed the target is the gain corrected and the
 * pass run again (twice at most).
 */
import type { AnalysisResult } from './analysis.js';
import { DcBlocker } from './dsp/filters.js';
import { TruePeakLimiter } from './dsp/limiter.js';
import { predictLoudness, type LimiterModel } from './dsp/limiter-model.js';
import { LoudnessMeter } from './dsp/loudness.js';
import { StemStats } from './dsp/stem-stats.js';
import { dbToGain, decideGain, gainToDb, LIMITER_CEILING_DBTP, TARGET_LUFS, type GainDecision } from './master.js';
import type { Preset } from './presets.js';
import { BedVoice } from './voices/bed.js';
import { DropsVoice } from './voices/drops.js';
import { HitsVoice } from './voices/hits.js';
import { HumVoice } from './voices/hum.js';
import { MotionFollower } from './voices/motion-envelope.js';
import { TextureVoice } from './voices/texture.js';

export const SAMPLE_RATE = 48_000;
export const BLOCK = 4096;
/** Fade at the very start and end of the track (s), so the bed does not start or stop with a click. */
const EDGE_FADE_S = 0.005;

export interface RenderJob {
  analysis: AnalysisResult;
  preset: Preset;
  seed: number;
  /** Length of the track in seconds (the video's end). */
  durationS: number;
  sampleRate?: number;
  /** Loudness target (LUFS); default −16. */
  targetLufs?: number;
}

export interface RenderReport {
  sampleRate: number;
  frames: number;
  /** Sample index where each onset's transient starts. */
  hitSamples: number[];
  /** Loudness before mastering of the whole mix and of the bed alone (LUFS; whole 100 ms steps). */
  rawLufs: number;
  bedLufs: number;
  gain: GainDecision;
  /** Measured on the output (LUFS), and the output's true peak estimate (dBTP). */
  loudnessLufs: number;
  truePeakDbtp: number;
  /** Deepest limiter gain reduction (dB, ≤ 0). */
  limiterDb: number;
  /** Limiter passes run: 1 when the model's gain landed within the tolerance. */
  passes: number;
}

/** Receives interleaved stereo float frames; the array is reused after the call returns. */
export type BlockSink = (interleaved: Float32Array, frames: number) => void;

/** Where the unmastered stems wait between passes: blocks of planar channels in, the same back in order. */
export interface RawStore {
  append(channels: readonly Float32Array[], frames: number): void;
  /** Yields each stored block; arrays may be reused between yields. */
  blocks(): Iterable<{ channels: readonly Float32Array[]; frames: number }>;
}

/** Keeps the blocks in memory: for tests and short tracks. */
export class MemoryStore implements RawStore {
  private readonly parts: Array<{ channels: Float32Array[]; frames: number }> = [];
  append(channels: readonly Float32Array[], frames: number): void {
    this.parts.push({ channels: channels.map((c) => c.slice(0, frames)), frames });
  }
  blocks(): Iterable<{ channels: readonly Float32Array[]; frames: number }> {
    return this.parts;
  }
}

export interface Stems {
  start: number;
  len: number;
  /** bed + events. */
  mixL: Float32Array;
  mixR: Float32Array;
  /** What does not follow the picture: ambience, drops, the engine's idle hum. */
  bedL: Float32Array;
  bedR: Float32Array;
  /** What follows the picture: motion texture, hits, the engine's revving. */
  evL: Float32Array;
  evR: Float32Array;
}

/** The unmastered track, block by block: the bed and events stems and their sum, DC-free. */
export function* renderStems(job: RenderJob, sr: number, length: number, hitStarts?: number[]): Generator<Stems> {
  const { analysis: a, preset: p, seed } = job;
  const bed = new BedVoice(p.bed, a.scenes, seed, sr, length);
  const drops = new DropsVoice(p.drops, seed, sr);
  const follower = new MotionFollower(a.times, a.motion, a.pan, sr);
  const texture = new TextureVoice(p.texture, seed, sr);
  const hum = new HumVoice(p.hum, sr);
  const hits = new HitsVoice(a.onsets, p.hit, seed, sr, length);
  hitStarts?.push(...hits.starts);
  const dc = [new DcBlocker(sr), new DcBlocker(sr), new DcBlocker(sr), new DcBlocker(sr)] as const;
  const edge = Math.max(1, Math.round(EDGE_FADE_S * sr));
  const s: Stems = {
    start: 0,
    len: 0,
    mixL: new Float32Array(BLOCK),
    mixR: new Float32Array(BLOCK),
    bedL: new Float32Array(BLOCK),
    bedR: new Float32Array(BLOCK),
    evL: new Float32Array(BLOCK),
    evR: new Float32Array(BLOCK),
  };
  const env = new Float32Array(BLOCK);
  const pan = new Float32Array(BLOCK);
  for (let start = 0; start < length; start += BLOCK) {
    const len = Math.min(BLOCK, length - start);
    s.start = start;
    s.len = len;
    s.bedL.fill(0);
    s.bedR.fill(0);
    s.evL.fill(0);
    s.evR.fill(0);
    bed.render(s.bedL, s.bedR, start, len);
    drops.render(s.bedL, s.bedR, start, len);
    follower.render(env, pan, start, len);
    hum.render(s.bedL, s.bedR, s.evL, s.evR, len, env);
    texture.render(s.evL, s.evR, start, len, env, pan);
    hits.render(s.evL, s.evR, start, len);
    const [d0, d1, d2, d3] = dc;
    for (let i = 0; i < len; i++) {
      const n = start + i;
      const fade = n < edge ? n / edge : length - 1 - n < edge ? (length - 1 - n) / edge : 1;
      s.bedL[i] = d0.process(s.bedL[i] as number) * fade;
      s.bedR[i] = d1.process(s.bedR[i] as number) * fade;
      s.evL[i] = d2.process(s.evL[i] as number) * fade;
      s.evR[i] = d3.process(s.evR[i] as number) * fade;
      s.mixL[i] = (s.bedL[i] as number) + (s.evL[i] as number);
      s.mixR[i] = (s.bedR[i] as number) + (s.evR[i] as number);
    }
    yield s;
  }
}

export interface RenderOptions {
  store?: RawStore | undefined;
  /**
   * Every limiter pass writes to the sink, and the last one written is the result: called before a
   * pass writes again, the sink must forget what it got so far. Saves a pass whenever a measured
   * pass is already on target (the usual case).
   */
  restartSink?: (() => void) | undefined;
  /** 0..100: synthesis is the first 70 %, the limiter passes the rest. */
  onProgress?: ((percent: number) => void) | undefined;
}

/** Correct the gain for the limiter's loss when the result is further than this from the target (LU). */
const LOUDNESS_TOLERANCE = 0.4;
/** Corrections at most (each costs another limiter pass over the stored stems). */
const MAX_CORRECTIONS = 2;

/** Renders, masters and streams the track to `sink` in blocks of interleaved stereo float32. */
export function renderFoley(job: RenderJob, sink: BlockSink, opts: RenderOptions = {}): RenderReport {
  const sr = job.sampleRate ?? SAMPLE_RATE;
  const length = Math.max(1, Math.round(job.durationS * sr));
  const blocks = Math.ceil(length / BLOCK);
  const store = opts.store ?? new MemoryStore();
  const target = job.targetLufs ?? TARGET_LUFS;
  const ceiling = job.preset.bed.ceilingLufs;
  let lastPercent = -1;
  const report = (done: number): void => {
    const percent = Math.min(100, Math.floor(done));
    if (opts.onProgress && percent > lastPercent) {
      lastPercent = percent;
      opts.onProgress(percent);
    }
  };

  // Synthesis: gather the stems' statistics and store both.
  const stats = new StemStats(sr);
  const hitSamples: number[] = [];
  let b = 0;
  for (const s of renderStems(job, sr, length, hitSamples)) {
    stats.push(s.bedL, s.bedR, s.evL, s.evR, s.len);
    store.append([s.bedL, s.bedR, s.evL, s.evR], s.len);
    report((70 * ++b) / blocks);
  }
  const unlimited: LimiterModel = { ceiling: Number.POSITIVE_INFINITY };
  const rawLufs = predictLoudness(stats, 1, 1, unlimited);
  const bedLufs = predictLoudness(stats, 1, 0, unlimited);
  const model: LimiterModel = { ceiling: dbToGain(LIMITER_CEILING_DBTP) };
  const decide = (aim: number): GainDecision => decideGain((gb, ge) => predictLoudness(stats, gb, ge, model), bedLufs, ceiling, aim);
  const first = decide(target);

  let passes = 0;
  const limit = (gain: GainDecision): { lufs: number; limiter: TruePeakLimiter } => {
    const limiter = new TruePeakLimiter({ sampleRate: sr, ceiling: dbToGain(LIMITER_CEILING_DBTP) });
    const meter = new LoudnessMeter(sr);
    const gb = dbToGain(gain.bedDb);
    const ge = dbToGain(gain.eventsDb);
    const inL = new Float32Array(BLOCK);
    const inR = new Float32Array(BLOCK);
    const outL = new Float32Array(BLOCK);
    const outR = new Float32Array(BLOCK);
    const out = new Float32Array(2 * BLOCK);
    let skip = limiter.latency;
    let written = 0;
    const take = (frames: number): void => {
      // Drop the limiter's latency from the front; the tail comes from flushing zeros.
      const from = Math.min(skip, frames);
      skip -= from;
      const n = Math.min(frames - from, length - written);
      if (n <= 0) return;
      meter.push(outL, outR, from, from + n);
      for (let i = 0; i < n; i++) {
        out[2 * i] = outL[from + i] as number;
        out[2 * i + 1] = outR[from + i] as number;
      }
      sink(out, n);
      written += n;
    };
    let k = 0;
    for (const blk of store.blocks()) {
      const [bl, br, el, er] = blk.channels as [Float32Array, Float32Array, Float32Array, Float32Array];
      for (let i = 0; i < blk.frames; i++) {
        inL[i] = (bl[i] as number) * gb + (el[i] as number) * ge;
        inR[i] = (br[i] as number) * gb + (er[i] as number) * ge;
      }
      limiter.process(inL, inR, blk.frames, 1, outL, outR);
      take(blk.frames);
      // The first pass is usually the only one: it gets the bar up to 97 %.
      ++k;
      report(passes === 0 ? 70 + (27 * k) / blocks : 97 + (2 * (passes - 1 + k / blocks)) / MAX_CORRECTIONS);
    }
    inL.fill(0);
    inR.fill(0);
    for (let left = limiter.latency; left > 0; left -= BLOCK) {
      const n = Math.min(BLOCK, left);
      limiter.process(inL, inR, n, 1, outL, outR);
      take(n);
    }
    passes++;
    return { lufs: meter.integrated(), limiter };
  };

  // The gain came from the limiter model; the real pass measures what it gives. When the model
  // missed by more than the tolerance, aim it off by the miss (its error changes slowly with the
  // gain) and pass again. Each pass writes to the sink; the last one stands.
  let final = first;
  let aim = target;
  let result = limit(final);
  for (let round = 0; round < MAX_CORRECTIONS && first.rule === 'target'; round++) {
    const { lufs } = result;
    if (!Number.isFinite(lufs) || Math.abs(lufs - target) <= LOUDNESS_TOLERANCE) break;
    aim += target - lufs;
    const next = decide(aim);
    // Out of headroom: the events are at the gain limit. The aim only moved for the model's
    // error, so the target still set this gain.
    final = next.rule === 'target' ? next : { ...next, rule: 'target' };
    opts.restartSink?.();
    result = limit(final);
    if (next.rule !== 'target') break;
  }
  const { lufs, limiter } = result;
  report(100);
  return {
    sampleRate: sr,
    frames: length,
    hitSamples,
    rawLufs,
    bedLufs,
    gain: final,
    loudnessLufs: lufs,
    truePeakDbtp: limiter.outputPeak > 0 ? gainToDb(limiter.outputPeak) : Number.NEGATIVE_INFINITY,
    limiterDb: gainToDb(limiter.minGain),
    passes,
  };
}
