/**
 * @module Renders the Foley track in blocks with bounded memory (pure: blocks go to a `RawStore`
 * and a `sink` given by the caller). Synthesis runs once: its blocks are metered (the mix, and the
 * bed alone) and parked in the store (a temp file for long tracks). The mastering rule turns the
 * loudness into a gain; a limiter pass over the stored blocks measures what limiting costs, the
 * gain is corrected once (twice at most), and the last pass sends gained, true-peak-limited blocks
 * to the sink.
 */
import type { AnalysisResult } from './analysis.js';
import { DcBlocker } from './dsp/filters.js';
import { TruePeakLimiter } from './dsp/limiter.js';
import { LoudnessMeter } from './dsp/loudness.js';
import { capGain, dbToGain, decideGain, gainToDb, LIMITER_CEILING_DBTP, TARGET_LUFS, type GainDecision } from './master.js';
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
  /** Loudness before mastering of the mix and of the bed alone (LUFS). */
  rawLufs: number;
  bedLufs: number;
  gain: GainDecision;
  /** Measured on the output (LUFS), and the output's true peak estimate (dBTP). */
  loudnessLufs: number;
  truePeakDbtp: number;
  /** Deepest limiter gain reduction (dB, ≤ 0). */
  limiterDb: number;
}

/** Receives interleaved stereo float frames; the array is reused after the call returns. */
export type BlockSink = (interleaved: Float32Array, frames: number) => void;

/** Where the unmastered mix waits between passes: planar blocks in, the same blocks back in order. */
export interface RawStore {
  append(left: Float32Array, right: Float32Array, frames: number): void;
  /** Yields each stored block (left, right, frames); arrays may be reused between yields. */
  blocks(): Iterable<{ left: Float32Array; right: Float32Array; frames: number }>;
}

/** Keeps the blocks in memory: for tests and short tracks. */
export class MemoryStore implements RawStore {
  private readonly parts: Array<{ left: Float32Array; right: Float32Array; frames: number }> = [];
  append(left: Float32Array, right: Float32Array, frames: number): void {
    this.parts.push({ left: left.slice(0, frames), right: right.slice(0, frames), frames });
  }
  blocks(): Iterable<{ left: Float32Array; right: Float32Array; frames: number }> {
    return this.parts;
  }
}

export interface Stems {
  start: number;
  len: number;
  mixL: Float32Array;
  mixR: Float32Array;
  bedL: Float32Array;
  bedR: Float32Array;
}

/** The unmastered track, block by block: the bed stem and the full mix (bed + events), DC-free. */
export function* renderStems(job: RenderJob, sr: number, length: number, hitStarts?: number[]): Generator<Stems> {
  const { analysis: a, preset: p, seed } = job;
  const bed = new BedVoice(p.bed, a.scenes, seed, sr, length);
  const drops = new DropsVoice(p.drops, seed, sr);
  const follower = new MotionFollower(a.times, a.motion, a.pan, sr);
  const texture = new TextureVoice(p.texture, seed, sr);
  const hum = new HumVoice(p.hum, sr);
  const hits = new HitsVoice(a.onsets, p.hit, seed, sr, length);
  hitStarts?.push(...hits.starts);
  const dcL = new DcBlocker(sr);
  const dcR = new DcBlocker(sr);
  const edge = Math.max(1, Math.round(EDGE_FADE_S * sr));
  const s: Stems = {
    start: 0,
    len: 0,
    mixL: new Float32Array(BLOCK),
    mixR: new Float32Array(BLOCK),
    bedL: new Float32Array(BLOCK),
    bedR: new Float32Array(BLOCK),
  };
  const env = new Float32Array(BLOCK);
  const pan = new Float32Array(BLOCK);
  for (let start = 0; start < length; start += BLOCK) {
    const len = Math.min(BLOCK, length - start);
    s.start = start;
    s.len = len;
    s.bedL.fill(0);
    s.bedR.fill(0);
    bed.render(s.bedL, s.bedR, start, len);
    drops.render(s.bedL, s.bedR, start, len);
    s.mixL.set(s.bedL);
    s.mixR.set(s.bedR);
    follower.render(env, pan, start, len);
    texture.render(s.mixL, s.mixR, start, len, env, pan);
    hum.render(s.mixL, s.mixR, len, env);
    hits.render(s.mixL, s.mixR, start, len);
    for (let i = 0; i < len; i++) {
      const n = start + i;
      const fade = n < edge ? n / edge : length - 1 - n < edge ? (length - 1 - n) / edge : 1;
      s.mixL[i] = dcL.process(s.mixL[i] as number) * fade;
      s.mixR[i] = dcR.process(s.mixR[i] as number) * fade;
    }
    yield s;
  }
}

export interface RenderOptions {
  store?: RawStore | undefined;
  /** 0..100: synthesis is the first 70 %, the limiter passes the rest. */
  onProgress?: ((percent: number) => void) | undefined;
}

/** Correct the gain for the limiter's loss when the result is further than this from the target (LU). */
const LOUDNESS_TOLERANCE = 0.3;

/** Renders, masters and streams the track to `sink` in blocks of interleaved stereo float32. */
export function renderFoley(job: RenderJob, sink: BlockSink, opts: RenderOptions = {}): RenderReport {
  const sr = job.sampleRate ?? SAMPLE_RATE;
  const length = Math.max(1, Math.round(job.durationS * sr));
  const blocks = Math.ceil(length / BLOCK);
  const store = opts.store ?? new MemoryStore();
  const target = job.targetLufs ?? TARGET_LUFS;
  let lastPercent = -1;
  const report = (done: number): void => {
    const percent = Math.min(100, Math.floor(done));
    if (opts.onProgress && percent > lastPercent) {
      lastPercent = percent;
      opts.onProgress(percent);
    }
  };

  // Synthesis: meter and store.
  const mixMeter = new LoudnessMeter(sr);
  const bedMeter = new LoudnessMeter(sr);
  const hitSamples: number[] = [];
  let b = 0;
  for (const s of renderStems(job, sr, length, hitSamples)) {
    mixMeter.push(s.mixL, s.mixR, 0, s.len);
    bedMeter.push(s.bedL, s.bedR, 0, s.len);
    store.append(s.mixL, s.mixR, s.len);
    report((70 * ++b) / blocks);
  }
  const rawLufs = mixMeter.integrated();
  const bedLufs = bedMeter.integrated();
  const gain = decideGain(rawLufs, bedLufs, job.preset.bed.ceilingLufs, target);

  // Limiting lowers loudness (most on sparse, punchy tracks): measure and correct the gain.
  let passes = 0;
  const limit = (gainDb: number, sinkTo?: BlockSink): { lufs: number; limiter: TruePeakLimiter } => {
    const limiter = new TruePeakLimiter({ sampleRate: sr, ceiling: dbToGain(LIMITER_CEILING_DBTP) });
    const meter = new LoudnessMeter(sr);
    const g = dbToGain(gainDb);
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
      if (sinkTo) {
        for (let i = 0; i < n; i++) {
          out[2 * i] = outL[from + i] as number;
          out[2 * i + 1] = outR[from + i] as number;
        }
        sinkTo(out, n);
      }
      written += n;
    };
    let k = 0;
    for (const blk of store.blocks()) {
      limiter.process(blk.left, blk.right, blk.frames, g, outL, outR);
      take(blk.frames);
      report(70 + (30 * (passes + (++k / blocks))) / 3);
    }
    const zeros = new Float32Array(Math.min(BLOCK, limiter.latency));
    for (let left = limiter.latency; left > 0; left -= zeros.length) {
      const n = Math.min(zeros.length, left);
      limiter.process(zeros, zeros, n, g, outL, outR);
      take(n);
    }
    passes++;
    return { lufs: meter.integrated(), limiter };
  };

  // Gain in → loudness out is monotonic but flatter than 1:1 once the limiter works: secant steps.
  let final = { ...gain };
  if (gain.rule === 'target') {
    let prev: { gainDb: number; lufs: number } | undefined;
    for (let round = 0; round < 3; round++) {
      const { lufs, limiter } = limit(final.gainDb);
      if (!Number.isFinite(lufs) || Math.abs(lufs - target) <= LOUDNESS_TOLERANCE || limiter.minGain >= 1) break;
      const slope = prev && Math.abs(lufs - prev.lufs) > 1e-3 ? Math.min(1, Math.max(0.2, (lufs - prev.lufs) / (final.gainDb - prev.gainDb))) : 0.7;
      prev = { gainDb: final.gainDb, lufs };
      // The caps still hold after the correction: never past the bed ceiling or the max gain.
      final = capGain(final.gainDb + (target - lufs) / slope, bedLufs, job.preset.bed.ceilingLufs);
      if (final.rule !== 'target') break;
    }
  }
  const { lufs, limiter } = limit(final.gainDb, sink);
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
  };
}
