/**
 * @module Renders the Foley track in blocks with bounded memory (blocks go to a `RawStore` and a
 * `sink` given by the caller). The sample loops run in WebAssembly (dsp/wasm.ts); this module
 * drives them. Synthesis runs once: its blocks are summarised in 5 ms segments (peaks, K-weighted
 * energies) and parked in the store (a temp file for long tracks). The mastering rule searches the
 * stem gains on a model of the limiter fed by those segments; one limiter pass over the stored
 * blocks sends gained, true-peak-limited blocks to the sink and measures the result, and only when
 * the model missed the target is the gain corrected and the pass run again (twice at most).
 */
import type { AnalysisResult } from './analysis.js';
import { LOOKAHEAD_S, predictLoudness, RELEASE_S, type LimiterModel } from './dsp/limiter-model.js';
import { segmentLength } from './dsp/stem-stats.js';
import type { Stems } from './dsp/stems.js';
import { timelineStems, type TimelineEntry } from './dsp/timeline.js';
import { BLOCK, FoleyDsp, type PassSettings } from './dsp/wasm.js';
import { dbToGain, decideGain, gainToDb, LIMITER_CEILING_DBTP, TARGET_LUFS, type GainDecision } from './master.js';
import type { Preset } from './presets.js';

export { BLOCK } from './dsp/wasm.js';
export type { TimelineEntry } from './dsp/timeline.js';
export const SAMPLE_RATE = 48_000;

export interface RenderJob {
  analysis: AnalysisResult;
  preset: Preset;
  /**
   * Presets over time (e.g. per scene): each takes over at its `start` (s) with a 0.3 s
   * equal-power crossfade (dsp/timeline.ts). With two entries or more it replaces `preset`; with
   * one or none, `preset` alone is rendered (byte for byte as without a timeline).
   */
  timeline?: readonly TimelineEntry[] | undefined;
  seed: number;
  /** Length of the track in seconds (the video's end). */
  durationS: number;
  sampleRate?: number;
  /** Loudness target (LUFS); default −16. */
  targetLufs?: number;
  /**
   * True-peak ceiling of the limiter (dBTP); default LIMITER_CEILING_DBTP (tests raise it to make
   * a track the AAC check of dsp/aac-check.ts must turn down).
   */
  ceilingDbtp?: number;
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

/** A block of mastered output: interleaved stereo float, or the same as 16-bit PCM bytes. Views, valid during the call. */
export interface OutputBlock {
  frames: number;
  interleaved: Float32Array;
  pcm16(): Uint8Array;
}

/** Receives each block of mastered output in order. */
export type BlockSink = (block: OutputBlock) => void;

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

/** Sample where each onset's transient starts (those inside the track). */
function hitStarts(a: AnalysisResult, sr: number, length: number): number[] {
  return a.onsets.map((o) => Math.round(o.time * sr)).filter((s) => s < length);
}

/**
 * The unmastered track, block by block: the bed and events stems, DC-free, the track's edges faded.
 * The arrays are the engine's buffers: valid until the next block. `dsp` gathers the statistics.
 */
export function* renderStems(job: RenderJob, sr: number, length: number, dsp = new FoleyDsp()): Generator<Stems> {
  dsp.configure({ analysis: job.analysis, preset: job.preset, seed: job.seed, sampleRate: sr, length, segment: segmentLength(sr) });
  for (let start = 0; start < length; start += BLOCK) {
    const len = Math.min(BLOCK, length - start);
    dsp.renderBlock(start, len);
    const [bedL, bedR, evL, evR] = dsp.stems();
    yield { start, len, bedL, bedR, evL, evR };
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

/**
 * A track whose stems fit in this many bytes (16 a frame: about 22 s) keeps them inside the engine
 * between passes; a longer one parks them in the store (a scratch file in the worker).
 */
export const STEMS_IN_ENGINE_BYTES = 16 * 1024 * 1024;

/** Correct the gain for the limiter's loss when the result is further than this from the target (LU). */
const LOUDNESS_TOLERANCE = 0.4;
/** Corrections at most (each costs another limiter pass over the stored stems). */
const MAX_CORRECTIONS = 2;

/** Renders, masters and streams the track to `sink` in blocks. */
export function renderFoley(job: RenderJob, sink: BlockSink, opts: RenderOptions = {}): RenderReport {
  const sr = job.sampleRate ?? SAMPLE_RATE;
  const length = Math.max(1, Math.round(job.durationS * sr));
  const blocks = Math.ceil(length / BLOCK);
  const store = opts.store ?? new MemoryStore();
  const target = job.targetLufs ?? TARGET_LUFS;
  const timeline = job.timeline && job.timeline.length > 1 ? job.timeline : undefined;
  // A timeline's bed may reach the highest of its presets' bed ceilings.
  const ceiling = timeline ? Math.max(...timeline.map((e) => e.preset.bed.ceilingLufs)) : job.preset.bed.ceilingLufs;
  let lastPercent = -1;
  const report = (done: number): void => {
    const percent = Math.min(100, Math.floor(done));
    if (opts.onProgress && percent > lastPercent) {
      lastPercent = percent;
      opts.onProgress(percent);
    }
  };

  // Synthesis: the engine gathers the stems' statistics; it keeps the stems of a short track, the
  // store takes those of a long one.
  // (A timeline's stems are mixed outside the engine: they go to the store whatever the length.)
  const dsp = new FoleyDsp();
  const inEngine = !timeline && 16 * length <= STEMS_IN_ENGINE_BYTES;
  if (inEngine) dsp.keepStems(length);
  let b = 0;
  const stems = timeline
    ? timelineStems({ analysis: job.analysis, seed: job.seed, timeline }, sr, length, dsp)
    : renderStems(job, sr, length, dsp);
  for (const s of stems) {
    if (!inEngine) store.append([s.bedL, s.bedR, s.evL, s.evR], s.len);
    report((70 * ++b) / blocks);
  }
  const unlimited: LimiterModel = { ceiling: Number.POSITIVE_INFINITY };
  const rawLufs = predictLoudness(dsp, 1, 1, unlimited);
  const bedLufs = predictLoudness(dsp, 1, 0, unlimited);
  const settings: PassSettings = {
    ceiling: dbToGain(job.ceilingDbtp ?? LIMITER_CEILING_DBTP),
    lookaheadS: LOOKAHEAD_S,
    releaseS: RELEASE_S,
  };
  // The model stands for the limiter the passes run: the same settings.
  const decide = (aim: number): GainDecision => decideGain((gb, ge) => predictLoudness(dsp, gb, ge, settings), bedLufs, ceiling, aim);
  const first = decide(target);

  let passes = 0;
  const limit = (gain: GainDecision): number => {
    dsp.passBegin(dbToGain(gain.bedDb), dbToGain(gain.eventsDb), settings);
    const out: OutputBlock = { frames: 0, interleaved: new Float32Array(0), pcm16: () => dsp.output16(out.frames) };
    const emit = (frames: number): void => {
      if (frames <= 0) return;
      out.frames = frames;
      out.interleaved = dsp.output(frames);
      sink(out);
    };
    let k = 0;
    // The first pass is usually the only one: it gets the bar up to 97 %.
    const step = (): void => report(passes === 0 ? 70 + (27 * ++k) / blocks : 97 + (2 * (passes - 1 + ++k / blocks)) / MAX_CORRECTIONS);
    if (inEngine) {
      for (let start = 0; start < length; start += BLOCK) {
        emit(dsp.passKept(start, Math.min(BLOCK, length - start)));
        step();
      }
    } else {
      for (const blk of store.blocks()) {
        emit(dsp.passBlock(blk.channels, blk.frames));
        step();
      }
    }
    dsp.passDrain(emit);
    passes++;
    return dsp.passLoudness();
  };

  // The gain came from the limiter model; the real pass measures what it gives. When the model
  // missed by more than the tolerance, aim it off by the miss (its error changes slowly with the
  // gain) and pass again. Each pass writes to the sink; the last one stands.
  let final = first;
  let aim = target;
  let lufs = limit(final);
  for (let round = 0; round < MAX_CORRECTIONS && first.rule === 'target'; round++) {
    if (!Number.isFinite(lufs) || Math.abs(lufs - target) <= LOUDNESS_TOLERANCE) break;
    aim += target - lufs;
    const next = decide(aim);
    // Out of headroom: the events are at the gain limit. The aim only moved for the model's
    // error, so the target still set this gain.
    final = next.rule === 'target' ? next : { ...next, rule: 'target' };
    opts.restartSink?.();
    lufs = limit(final);
    if (next.rule !== 'target') break;
  }
  const { truePeak, minGain } = dsp.passPeaks();
  report(100);
  return {
    sampleRate: sr,
    frames: length,
    hitSamples: hitStarts(job.analysis, sr, length),
    rawLufs,
    bedLufs,
    gain: final,
    loudnessLufs: lufs,
    truePeakDbtp: truePeak > 0 ? gainToDb(truePeak) : Number.NEGATIVE_INFINITY,
    limiterDb: gainToDb(minGain),
    passes,
  };
}
