/**
 * @module The engine's sample loops, in WebAssembly: the one place that loads them. The voices,
 * the stem statistics, the true-peak limiter and the output meter are written in AssemblyScript
 * (assembly/, which says what each does) and compiled by scripts/build-wasm.mjs. In JavaScript
 * they ran 2–3× slower on a fresh thread until V8 had optimised them; compiled code runs at full
 * speed from the first block. The module is compiled once per thread and instantiated per track.
 */
import type { AnalysisResult } from '../analysis.js';
import { presetByName, type Preset } from '../presets.js';
import { sceneColour } from '../scenes.js';
import { FOLEY_DSP_WASM } from './foley-dsp.generated.js';
import type { SegmentSource } from './limiter-model.js';
import { gatedLoudness, kWeightingCoefficients } from './loudness.js';
import { SEGMENTS_PER_STEP, segmentLength } from './stem-stats.js';
import { COEFS, TAPS, TP_BOUND } from './true-peak.js';

/** Frames per block: the size of the stem and output buffers. */
export const BLOCK = 4096;

/** The part of the WebAssembly API used here (the type packages in use do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  memory: { buffer: ArrayBuffer };
  allocF64(n: number): number;
  bufferPtr(which: number): number;
  setTrack(sampleRate: number, length: number): void;
  configure(
    seed: number,
    frames: number,
    times: number,
    motion: number,
    pan: number,
    onsetCount: number,
    onsets: number,
    sceneCount: number,
    scenes: number,
    preset: number,
    segment: number,
    voices: number,
    voicePreset: number,
  ): void;
  renderBlock(start: number, len: number): void;
  keepStems(frames: number): void;
  loadKept(start: number, len: number): void;
  statsBegin(segment: number, len: number): void;
  statsPush(len: number): void;
  modelSteps(bedGain: number, eventsGain: number, ceiling: number, releaseS: number, perStep: number): number;
  modelStepsPtr(): number;
  passBegin(gb: number, ge: number, ceiling: number, tpBound: number, lookaheadS: number, releaseS: number, stepLength: number): number;
  passBlock(len: number): number;
  passFlush(len: number): number;
  passStepsPtr(): number;
  passStepCount(): number;
  passPeak(): number;
  passMinGain(): number;
  pcm16(count: number): void;
}

/** Buffer numbers of `bufferPtr` (assembly/index.ts). */
const BED_L = 0,
  OUT = 4,
  OUT16 = 5,
  K = 6,
  H = 7;

let compiled: object | undefined;

/**
 * The preset as the vector assembly/preset.ts reads: the two sides of one layout.
 * Hit modes: at most 6 ratios. Optional voices pack as zeros (none).
 */
export function packPreset(p: Preset): Float64Array {
  const v = new Float64Array(65);
  const modes = p.hit.modes;
  const g = p.texture.grains;
  v.set([p.bed.level, p.bed.lowpassHz, p.bed.highpassHz, p.bed.gust], 0);
  v.set([p.texture.level, p.texture.centerHz, p.texture.q, g ? 1 : 0, g?.rate ?? 0, g?.level ?? 0, g?.hz ?? 0, g?.durS ?? 0], 4);
  const h = p.hit;
  v.set([h.level, h.thumpHz, h.thumpDecayS, h.noiseHz, h.noiseQ, h.noiseDecayS, h.noiseMix], 12);
  v.set([modes?.level ?? 0, modes?.decayS ?? 0, h.alternate ? 1 : 0, Math.min(6, modes?.ratios.length ?? 0)], 19);
  v.set((modes?.ratios ?? []).slice(0, 6), 23);
  v.set([p.hum.level, p.hum.baseHz, p.hum.rangeHz], 29);
  v.set([p.drops.rate, p.drops.level, p.drops.pitched ? 1 : 0], 32);
  // Voices added later (0: none): see assembly/preset.ts for the layout.
  v[35] = h.attackS ?? 0;
  const c = p.calls;
  if (c)
    v.set(
      [
        c.kind === 'chirp' ? 1 : 2,
        c.level,
        c.rate,
        c.motionRate,
        c.perBurst[0],
        c.perBurst[1],
        c.gapS,
        c.durS,
        c.loHz,
        c.hiHz,
        c.sweep,
        c.formantHz ?? 0,
        c.noise ?? 0,
      ],
      36,
    );
  const b = p.babble;
  if (b) v.set([b.voices, b.level, b.lowHz, b.highHz, b.motion], 49);
  const k = p.crackle;
  if (k) v.set([k.rate, k.motionRate, k.level], 54);
  const r = p.creak;
  if (r) v.set([r.rate, r.level, r.baseHz], 57);
  const s = p.shards;
  if (s) v.set([s.perHit, s.level, s.spreadS], 60);
  if (p.roar) v.set([p.roar.level, p.roar.hz], 63);
  return v;
}

/** What a track's limiter does (seconds, linear ceiling; Infinity for none). */
export interface PassSettings {
  ceiling: number;
  lookaheadS: number;
  releaseS: number;
}

/** Compiles the engine once per thread (a few ms); later instances reuse it. Call early to get it out of the way. */
export function compileFoleyDsp(): object {
  compiled ??= new wasm.Module(Buffer.from(FOLEY_DSP_WASM, 'base64'));
  return compiled;
}

/** One track's worth of engine: synthesis block by block, then mastering passes. */
export class FoleyDsp implements SegmentSource {
  private readonly x: Exports;
  private sampleRate = 48_000;
  /** The output meter's step: 100 ms (BS.1770). */
  private meterStep = 4800;
  /** The current pass's limiter latency (frames): what `passDrain` flushes. */
  private latency = 0;

  constructor() {
    const instance = new wasm.Instance(compileFoleyDsp(), {
      env: {
        abort: (_msg: number, _file: number, line: number, column: number): never => {
          throw new Error(`foley-dsp aborted at assembly line ${line}:${column}`);
        },
      },
    });
    this.x = instance.exports as Exports;
    this.loadKWeighting();
    const h = new Float64Array(this.x.memory.buffer, this.x.bufferPtr(H), 3 * TAPS);
    for (let i = 0; i < 3 * TAPS; i++) h[i] = (COEFS[1 + (i % 3)] as Float64Array)[Math.floor(i / 3)] as number;
  }

  /** The K-weighting filter for the track's rate, where the engine reads it. */
  private loadKWeighting(): void {
    new Float64Array(this.x.memory.buffer, this.x.bufferPtr(K), 10).set(kWeightingCoefficients(this.sampleRate));
  }

  /** Copies `values` into memory of the instance; returns where. */
  private put(values: ArrayLike<number>): number {
    const ptr = this.x.allocF64(Math.max(1, values.length));
    new Float64Array(this.x.memory.buffer, ptr, values.length).set(values);
    return ptr;
  }

  /** Bytes of memory the engine holds now (it grows, never shrinks, until the instance is dropped). */
  memoryBytes(): number {
    return this.x.memory.buffer.byteLength;
  }

  /** Length and rate of the track, for a pass on its own (`measureLoudness`); `configure` sets them too. */
  setTrack(sampleRate: number, length: number): void {
    const changed = sampleRate !== this.sampleRate;
    this.sampleRate = sampleRate;
    if (changed) this.loadKWeighting();
    this.meterStep = Math.round(sampleRate / 10);
    this.x.setTrack(sampleRate, length);
  }

  /** Sets up the voices for a track of `length` samples; `segment`: samples per statistics segment. */
  configure(o: { analysis: AnalysisResult; preset: Preset; seed: number; sampleRate: number; length: number; segment: number }): void {
    const a = o.analysis;
    this.setTrack(o.sampleRate, o.length);
    const onsets = a.onsets.flatMap((on) => [on.time, on.strength, on.pan, on.y, on.step]);
    const list = a.scenes.length > 0 ? a.scenes : [{ start: 0, end: o.length / o.sampleRate, brightness: 0.5, cb: 0, cr: 0 }];
    const scenes = list.flatMap((s) => {
      const c = sceneColour(s);
      return [s.start, s.end, c.cutoff, c.highpass, c.level];
    });
    const times = this.put(a.times);
    const motion = this.put(a.motion);
    const pan = this.put(a.pan);
    const onsetPtr = this.put(onsets);
    const scenePtr = this.put(scenes);
    const preset = this.put(packPreset(o.preset));
    // Onsets that ask for the impact voice (a hand stopped on something) play the impact preset's
    // hit; with none (or the impact preset itself) nothing is packed and the track is as before.
    const impact = o.preset.name !== 'impact' && a.onsets.some((on) => on.voice === 'impact');
    const voices = impact ? this.put(a.onsets.map((on) => (on.voice === 'impact' ? 1 : 0))) : 0;
    const voicePreset = impact ? this.put(packPreset(presetByName('impact'))) : 0;
    this.x.configure(
      o.seed >>> 0,
      a.times.length,
      times,
      motion,
      pan,
      a.onsets.length,
      onsetPtr,
      list.length,
      scenePtr,
      preset,
      o.segment,
      voices,
      voicePreset,
    );
  }

  /** The four stem buffers (bed L, bed R, events L, events R), BLOCK frames each. Fresh views: memory may grow. */
  stems(): [Float32Array, Float32Array, Float32Array, Float32Array] {
    const buf = this.x.memory.buffer;
    const view = (k: number): Float32Array => new Float32Array(buf, this.x.bufferPtr(BED_L + k), BLOCK);
    return [view(0), view(1), view(2), view(3)];
  }

  /** Renders samples [start, start+len) of both stems into `stems()`. */
  renderBlock(start: number, len: number): void {
    this.x.renderBlock(start, len);
  }

  /** Makes the engine keep the stems it renders (`frames` long in all), for passes over them (`passKept`). */
  keepStems(frames: number): void {
    this.x.keepStems(frames);
  }

  /** A pass block over the kept stems [start, start+len); returns output frames ready in `output`. */
  passKept(start: number, len: number): number {
    this.x.loadKept(start, len);
    return this.x.passBlock(len);
  }

  /** Starts statistics of stems given one block at a time (`statsPush`) instead of rendered. */
  statsBegin(segment: number, length: number): void {
    this.x.statsBegin(segment, length);
  }

  /** Adds `len` (≤ BLOCK) frames of planar stems (bed L, bed R, events L, events R) to the statistics. */
  statsPush(stems: readonly Float32Array[], len: number): void {
    this.load(stems, len);
    this.x.statsPush(len);
  }

  private load(stems: readonly Float32Array[], len: number): void {
    const mine = this.stems();
    for (let k = 0; k < 4; k++) (mine[k] as Float32Array).set((stems[k] as Float32Array).subarray(0, len));
  }

  /** Samples per step of the limiter model (about 100 ms): SEGMENTS_PER_STEP statistics segments. */
  get stepLength(): number {
    return SEGMENTS_PER_STEP * segmentLength(this.sampleRate);
  }

  /** The limiter model on the statistics so far: limited K-weighted energy per 100 ms step (limiter-model.ts). */
  limitedSteps(bedGain: number, eventsGain: number, ceiling: number, releaseS: number): Float64Array {
    const n = this.x.modelSteps(bedGain, eventsGain, ceiling, releaseS, SEGMENTS_PER_STEP);
    return new Float64Array(this.x.memory.buffer, this.x.modelStepsPtr(), n).slice();
  }

  /** Starts a mastering pass at these linear stem gains. */
  passBegin(bedGain: number, eventsGain: number, s: PassSettings): void {
    this.latency = this.x.passBegin(bedGain, eventsGain, s.ceiling, TP_BOUND, s.lookaheadS, s.releaseS, this.meterStep);
  }

  /** Mixes `stems` (planar, `len` ≤ BLOCK frames) through the limiter; returns output frames ready in `output`. */
  passBlock(stems: readonly Float32Array[], len: number): number {
    this.load(stems, len);
    return this.x.passBlock(len);
  }

  /** Ends a pass: drains the limiter's latency, calling `onOutput` with each block's frames ready in `output`. */
  passDrain(onOutput: (frames: number) => void): void {
    for (let left = this.latency; left > 0; left -= BLOCK) onOutput(this.x.passFlush(Math.min(BLOCK, left)));
  }

  /** The last `frames` output frames, interleaved float (a view). */
  output(frames: number): Float32Array {
    return new Float32Array(this.x.memory.buffer, this.x.bufferPtr(OUT), 2 * frames);
  }

  /** The same frames as 16-bit PCM little-endian bytes (a view), converted as ffmpeg does. */
  output16(frames: number): Uint8Array {
    this.x.pcm16(2 * frames);
    return new Uint8Array(this.x.memory.buffer, this.x.bufferPtr(OUT16), 4 * frames);
  }

  /** Integrated loudness (LUFS) of what the pass has output so far. */
  passLoudness(): number {
    const steps = new Float64Array(this.x.memory.buffer, this.x.passStepsPtr(), this.x.passStepCount()).slice();
    return gatedLoudness(steps, this.meterStep);
  }

  /** The pass's output true peak (estimate: detector × gain) and deepest gain, both linear. */
  passPeaks(): { truePeak: number; minGain: number } {
    return { truePeak: this.x.passPeak(), minGain: this.x.passMinGain() };
  }
}

/**
 * One pass over whole stems in memory (bed and events, stereo each) at these gains: the mastered
 * output, its loudness and peaks. For tools and tests; tracks are rendered block by block.
 */
export function masterStems(
  stems: readonly [Float32Array, Float32Array, Float32Array, Float32Array],
  gains: { bed: number; events: number },
  settings: PassSettings,
  sampleRate = 48_000,
): { left: Float32Array; right: Float32Array; pcm16: Uint8Array; lufs: number; truePeak: number; minGain: number } {
  const n = stems[0].length;
  const dsp = new FoleyDsp();
  dsp.setTrack(sampleRate, n);
  dsp.passBegin(gains.bed, gains.events, settings);
  const left = new Float32Array(n);
  const right = new Float32Array(n);
  const pcm16 = new Uint8Array(4 * n);
  let at = 0;
  const take = (frames: number): void => {
    const out = dsp.output(frames);
    for (let i = 0; i < frames; i++) {
      left[at + i] = out[2 * i] as number;
      right[at + i] = out[2 * i + 1] as number;
    }
    pcm16.set(dsp.output16(frames), 4 * at);
    at += frames;
  };
  for (let from = 0; from < n; from += BLOCK) {
    const len = Math.min(BLOCK, n - from);
    take(
      dsp.passBlock(
        stems.map((s) => s.subarray(from, from + len)),
        len,
      ),
    );
  }
  dsp.passDrain(take);
  return { left, right, pcm16, lufs: dsp.passLoudness(), ...dsp.passPeaks() };
}

/** Integrated loudness (LUFS, BS.1770) of a stereo signal: a pass with no limiter. */
export function measureLoudness(left: Float32Array, right: Float32Array, sampleRate = 48_000): number {
  const silent = new Float32Array(left.length);
  return masterStems(
    [left, right, silent, silent],
    { bed: 1, events: 0 },
    { ceiling: Number.POSITIVE_INFINITY, lookaheadS: 1 / sampleRate, releaseS: 0.08 },
    sampleRate,
  ).lufs;
}
