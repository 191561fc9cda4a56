// The procedural engine's sample loops, compiled to WebAssembly so they run at full speed from the
// first job of a fresh thread (JavaScript ran them 2–3× slower until V8 had optimised them). The
// host (src/pipelines/foley/dsp/wasm.ts) owns everything else: the analysis, the gain decision,
// storage of the stems between passes, files. One instance renders one track.
//
// Synthesis: configure(), then renderBlock() per block: the bed and events stems (DC-free, edges
// faded, band-limited under what AAC keeps) land in BED_L, BED_R, EV_L, EV_R, and the segment
// statistics grow.
// Mastering: passBegin(), then per block the host puts the stored stems back into those buffers and
// calls passBlock(); passFlush() drains the limiter. Output frames land in OUT (interleaved).
import { Babble } from './babble';
import { BandLimit } from './bandlimit';
import { Bed } from './bed';
import { CallParams, Calls } from './calls';
import { Crackle } from './crackle';
import { Creak } from './creak';
import { Drops } from './drops';
import { DcBlocker } from './filters';
import { HitParams, Hits } from './hits';
import { Hum } from './hum';
import { K, KFilter, kWeight2 } from './kweight';
import { H, Limiter } from './limiter';
import { limitedSteps } from './model';
import { Follower } from './motion';
import * as P from './preset';
import { Roar } from './roar';
import { Shards } from './shards';
import { Stats } from './stats';
import { Texture } from './texture';

export const BLOCK: i32 = 4096;
/** Fade at the very start and end of the track (s), so the bed does not start or stop with a click. */
const EDGE_FADE_S: f64 = 0.005;

export const BED_L = new StaticArray<f32>(BLOCK);
export const BED_R = new StaticArray<f32>(BLOCK);
export const EV_L = new StaticArray<f32>(BLOCK);
export const EV_R = new StaticArray<f32>(BLOCK);
/** Interleaved stereo output of a pass, and the same as 16-bit PCM (pcm16). */
export const OUT = new StaticArray<f32>(2 * BLOCK);
export const OUT16 = new StaticArray<i16>(2 * BLOCK);

const ENV = new StaticArray<f32>(BLOCK);
const PAN = new StaticArray<f32>(BLOCK);

/** Raw memory for the host to fill (analysis arrays, preset, coefficients): `n` doubles. */
export function allocF64(n: i32): usize {
  return changetype<usize>(new StaticArray<f64>(n));
}
export function bufferPtr(which: i32): usize {
  switch (which) {
    case 0: return changetype<usize>(BED_L);
    case 1: return changetype<usize>(BED_R);
    case 2: return changetype<usize>(EV_L);
    case 3: return changetype<usize>(EV_R);
    case 4: return changetype<usize>(OUT);
    case 5: return changetype<usize>(OUT16);
    case 6: return changetype<usize>(K);
    case 7: return changetype<usize>(H);
    default: return 0;
  }
}

let sr: f64 = 48000;
let length: i32 = 0;
let bed: Bed | null = null;
let drops: Drops | null = null;
let follower: Follower | null = null;
let texture: Texture | null = null;
let hum: Hum | null = null;
let hits: Hits | null = null;
let stats: Stats | null = null;
// Voices of the later presets (birds, dogs, crowd, fire, door, glass): null when the preset has none.
let calls: Calls | null = null;
let babble: Babble | null = null;
let crackle: Crackle | null = null;
let creak: Creak | null = null;
let shards: Shards | null = null;
let roar: Roar | null = null;
const dc = new StaticArray<DcBlocker>(4);
const bandLimit = new StaticArray<BandLimit>(4);
/** Corner of the master's band limit (bandlimit.ts): under the ~18 kHz AAC keeps at 192 kb/s. */
const BAND_LIMIT_HZ: f64 = 16000;

/** Rate and length of the track: enough for a pass on its own. */
export function setTrack(sampleRate: f64, len: i32): void {
  sr = sampleRate;
  length = len;
}

/** The hit voice of a packed preset (preset.ts). */
function hitParams(p: StaticArray<f64>): HitParams {
  const h = new HitParams();
  h.level = p[P.HIT_LEVEL];
  h.thumpHz = p[P.HIT_THUMP_HZ];
  h.thumpDecayS = p[P.HIT_THUMP_DECAY];
  h.noiseHz = p[P.HIT_NOISE_HZ];
  h.noiseQ = p[P.HIT_NOISE_Q];
  h.noiseDecayS = p[P.HIT_NOISE_DECAY];
  h.mix = p[P.HIT_NOISE_MIX];
  h.modesLevel = p[P.MODES_LEVEL];
  h.modesDecayS = p[P.MODES_DECAY];
  h.alternate = p[P.HIT_ALTERNATE] != 0;
  if (p[P.HIT_ATTACK] > 0) h.attackS = p[P.HIT_ATTACK];
  h.modeCount = min(P.MAX_MODES, <i32>p[P.MODES_COUNT]);
  for (let i = 0; i < h.modeCount; i++) h.ratios[i] = p[P.MODES_RATIOS + i];
  return h;
}

/**
 * Sets up the voices for the track setTrack described. Pointers come from allocF64: frame times,
 * motion and pan (`frames` each), onsets (5 numbers each), scenes (5 numbers each, at least one),
 * the packed preset (preset.ts). K must hold the K-weighting coefficients. `voices` (one number an
 * onset, nonzero: the second voice) and `voicePreset` (a packed preset whose hit is that voice)
 * are 0 when no onset asks for another voice than the preset's.
 */
export function configure(
  seed: u32, frames: i32, times: usize, motion: usize, pan: usize, onsetCount: i32, onsets: usize,
  sceneCount: i32, scenes: usize, preset: usize, segment: i32, voices: usize, voicePreset: usize
): void {
  const len = length;
  const p = changetype<StaticArray<f64>>(preset);
  bed = new Bed(
    p[P.BED_LEVEL], p[P.BED_LOWPASS], p[P.BED_HIGHPASS], p[P.BED_GUST], changetype<StaticArray<f64>>(scenes), sceneCount, seed, sr, len
  );
  drops = new Drops(p[P.DROPS_RATE], p[P.DROPS_LEVEL], p[P.DROPS_PITCHED] != 0, seed, sr);
  follower = new Follower(
    changetype<StaticArray<f64>>(times), changetype<StaticArray<f64>>(motion), changetype<StaticArray<f64>>(pan), frames, sr
  );
  texture = new Texture(
    p[P.TEX_LEVEL], p[P.TEX_CENTER], p[P.TEX_Q],
    p[P.GRAINS_ON] != 0, p[P.GRAINS_RATE], p[P.GRAINS_LEVEL], p[P.GRAINS_HZ], p[P.GRAINS_DUR], seed, sr
  );
  hum = new Hum(p[P.HUM_LEVEL], p[P.HUM_BASE], p[P.HUM_RANGE], sr);
  hits = new Hits(changetype<StaticArray<f64>>(onsets), onsetCount, hitParams(p), seed, sr, len);
  if (voices != 0 && voicePreset != 0) {
    hits!.setAlt(hitParams(changetype<StaticArray<f64>>(voicePreset)), changetype<StaticArray<f64>>(voices));
  }
  calls = null;
  if (p[P.CALLS_LEVEL] > 0) {
    const c = new CallParams();
    c.kind = <i32>p[P.CALLS_KIND];
    c.level = p[P.CALLS_LEVEL];
    c.rate = p[P.CALLS_RATE];
    c.motionRate = p[P.CALLS_MOTION_RATE];
    c.minCalls = <i32>p[P.CALLS_MIN];
    c.maxCalls = <i32>p[P.CALLS_MAX];
    c.gapS = p[P.CALLS_GAP];
    c.durS = p[P.CALLS_DUR];
    c.loHz = p[P.CALLS_LO];
    c.hiHz = p[P.CALLS_HI];
    c.sweep = p[P.CALLS_SWEEP];
    c.formantHz = p[P.CALLS_FORMANT];
    c.noise = p[P.CALLS_NOISE];
    calls = new Calls(c, seed, sr);
  }
  babble = p[P.BABBLE_LEVEL] > 0
    ? new Babble(<i32>p[P.BABBLE_VOICES], p[P.BABBLE_LEVEL], p[P.BABBLE_LO], p[P.BABBLE_HI], p[P.BABBLE_MOTION], seed, sr)
    : null;
  crackle = p[P.CRACKLE_LEVEL] > 0 ? new Crackle(p[P.CRACKLE_RATE], p[P.CRACKLE_MOTION_RATE], p[P.CRACKLE_LEVEL], seed, sr) : null;
  creak = p[P.CREAK_LEVEL] > 0 ? new Creak(p[P.CREAK_RATE], p[P.CREAK_LEVEL], p[P.CREAK_HZ], seed, sr) : null;
  roar = p[P.ROAR_LEVEL] > 0 ? new Roar(p[P.ROAR_LEVEL], p[P.ROAR_HZ], seed, sr) : null;
  shards = p[P.SHARDS_LEVEL] > 0
    ? new Shards(
      changetype<StaticArray<f64>>(onsets), onsetCount, p[P.SHARDS_PER_HIT], p[P.SHARDS_LEVEL], p[P.SHARDS_SPREAD], seed, sr, len
    )
    : null;
  for (let i = 0; i < 4; i++) dc[i] = new DcBlocker(sr);
  for (let i = 0; i < 4; i++) bandLimit[i] = new BandLimit(BAND_LIMIT_HZ, sr);
  stats = new Stats(segment, len / segment);
}

/** Renders samples [start, start+len) of both stems into BED_*, EV_* and adds them to the statistics. */
export function renderBlock(start: i32, len: i32): void {
  memory.fill(changetype<usize>(BED_L), 0, <usize>len << 2);
  memory.fill(changetype<usize>(BED_R), 0, <usize>len << 2);
  memory.fill(changetype<usize>(EV_L), 0, <usize>len << 2);
  memory.fill(changetype<usize>(EV_R), 0, <usize>len << 2);
  bed!.render(BED_L, BED_R, start, len);
  drops!.render(BED_L, BED_R, start, len);
  follower!.render(ENV, PAN, start, len);
  hum!.render(BED_L, BED_R, EV_L, EV_R, len, ENV);
  texture!.render(EV_L, EV_R, start, len, ENV, PAN);
  hits!.render(EV_L, EV_R, start, len);
  if (calls) calls!.render(EV_L, EV_R, start, len, ENV, PAN);
  if (babble) babble!.render(EV_L, EV_R, len, ENV);
  if (crackle) crackle!.render(EV_L, EV_R, start, len, ENV, PAN);
  if (creak) creak!.render(EV_L, EV_R, start, len, ENV, PAN);
  if (shards) shards!.render(EV_L, EV_R, start, len);
  if (roar) roar!.render(EV_L, EV_R, len, ENV);
  const edge = max(1, <i32>Math.round(EDGE_FADE_S * sr));
  const d0 = unchecked(dc[0]), d1 = unchecked(dc[1]), d2 = unchecked(dc[2]), d3 = unchecked(dc[3]);
  // DC blockers with their state in locals for the loop (registers, not memory).
  const r = d0.r;
  let x0 = d0.x1, y0 = d0.y1, x1 = d1.x1, y1 = d1.y1, x2 = d2.x1, y2 = d2.y1, x3 = d3.x1, y3 = d3.y1;
  for (let i = 0; i < len; i++) {
    const n = start + i;
    const fade: f64 = n < edge ? <f64>n / <f64>edge : length - 1 - n < edge ? <f64>(length - 1 - n) / <f64>edge : 1;
    const a = <f64>unchecked(BED_L[i]), b = <f64>unchecked(BED_R[i]), c = <f64>unchecked(EV_L[i]), d = <f64>unchecked(EV_R[i]);
    y0 = a - x0 + r * y0; x0 = a;
    y1 = b - x1 + r * y1; x1 = b;
    y2 = c - x2 + r * y2; x2 = c;
    y3 = d - x3 + r * y3; x3 = d;
    unchecked(BED_L[i] = <f32>(y0 * fade));
    unchecked(BED_R[i] = <f32>(y1 * fade));
    unchecked(EV_L[i] = <f32>(y2 * fade));
    unchecked(EV_R[i] = <f32>(y3 * fade));
  }
  d0.x1 = x0; d0.y1 = y0; d1.x1 = x1; d1.y1 = y1; d2.x1 = x2; d2.y1 = y2; d3.x1 = x3; d3.y1 = y3;
  unchecked(bandLimit[0]).process(BED_L, len);
  unchecked(bandLimit[1]).process(BED_R, len);
  unchecked(bandLimit[2]).process(EV_L, len);
  unchecked(bandLimit[3]).process(EV_R, len);
  stats!.push(BED_L, BED_R, EV_L, EV_R, len);
  if (start + len <= keptFrames) {
    const at = keptAt + ((<usize>start) << 4);
    const n = <usize>len << 2;
    memory.copy(at, changetype<usize>(BED_L), n);
    memory.copy(at + n, changetype<usize>(BED_R), n);
    memory.copy(at + 2 * n, changetype<usize>(EV_L), n);
    memory.copy(at + 3 * n, changetype<usize>(EV_R), n);
  }
}

/**
 * Stems kept by the engine between passes: raw memory (every byte is written before it is read,
 * so none is cleared first), each block planar (bed L, bed R, events L, events R) at 16 × start.
 */
let keptAt: usize = 0;
let keptFrames: i32 = 0;

/** Keeps the rendered stems in the engine (a short track) so passes need not be fed them. */
export function keepStems(frames: i32): void {
  keptAt = heap.alloc(<usize>frames << 4);
  keptFrames = frames;
}

/** Puts the kept stems of block [start, start+len) back into BED_*, EV_*. */
export function loadKept(start: i32, len: i32): void {
  const at = keptAt + ((<usize>start) << 4);
  const n = <usize>len << 2;
  memory.copy(changetype<usize>(BED_L), at, n);
  memory.copy(changetype<usize>(BED_R), at + n, n);
  memory.copy(changetype<usize>(EV_L), at + 2 * n, n);
  memory.copy(changetype<usize>(EV_R), at + 3 * n, n);
}

/** Starts statistics over stems the host supplies (statsPush), without voices. */
export function statsBegin(segment: i32, len: i32): void {
  length = len;
  stats = new Stats(segment, len / segment);
}

/** Adds the stems in BED_*, EV_* (`len` frames) to the statistics. */
export function statsPush(len: i32): void {
  stats!.push(BED_L, BED_R, EV_L, EV_R, len);
}

let modelOut = new StaticArray<f64>(0);

/**
 * The limiter model over the statistics so far (model.ts): limited energy per step of `perStep`
 * segments at these gains, into the buffer `modelStepsPtr` points at; returns how many steps.
 */
export function modelSteps(bedGain: f64, eventsGain: f64, ceiling: f64, releaseS: f64, perStep: i32): i32 {
  const st = stats!;
  const count = st.segments / perStep;
  if (modelOut.length < count) modelOut = new StaticArray<f64>(count);
  return limitedSteps(st.data, st.segments, perStep, sr / <f64>st.segment, bedGain, eventsGain, ceiling, releaseS, modelOut);
}
export function modelStepsPtr(): usize {
  return changetype<usize>(modelOut);
}


// Mastering pass.
let limiter: Limiter | null = null;
let bedGain: f64 = 1;
let eventsGain: f64 = 1;
let skip: i32 = 0;
let written: i32 = 0;
let meterL = new KFilter();
let meterR = new KFilter();
let step: i32 = 4800;
let inStep: i32 = 0;
let acc: f64 = 0;
let steps = new StaticArray<f64>(0);
let stepCount: i32 = 0;
const mixL = new StaticArray<f64>(BLOCK);
const mixR = new StaticArray<f64>(BLOCK);
const limL = new StaticArray<f64>(BLOCK);
const limR = new StaticArray<f64>(BLOCK);

/**
 * Starts a pass at these stem gains. `ceiling` (linear; Infinity for none) and the limiter's
 * timings; `tpBound` bounds a true peak by its taps (true-peak.ts); H must hold the filter.
 * The output is metered in steps of `stepLength` samples (100 ms).
 */
export function passBegin(gb: f64, ge: f64, ceiling: f64, tpBound: f64, lookaheadS: f64, releaseS: f64, stepLength: i32): i32 {
  bedGain = gb;
  eventsGain = ge;
  limiter = new Limiter(sr, ceiling, tpBound, lookaheadS, releaseS);
  skip = limiter!.latency;
  written = 0;
  meterL = new KFilter();
  meterR = new KFilter();
  step = stepLength;
  inStep = 0;
  acc = 0;
  if (steps.length < length / step + 2) steps = new StaticArray<f64>(length / step + 2);
  stepCount = 0;
  return limiter!.latency;
}

const meterOutL = new StaticArray<f32>(BLOCK);
const meterOutR = new StaticArray<f32>(BLOCK);
const meterKL = new StaticArray<f64>(BLOCK);
const meterKR = new StaticArray<f64>(BLOCK);

/** Drops the limiter's latency from the front, meters and interleaves; returns frames written to OUT. */
function take(frames: i32): i32 {
  const from = min(skip, frames);
  skip -= from;
  const n = min(frames - from, length - written);
  if (n <= 0) return 0;
  for (let i = 0; i < n; i++) {
    const l = <f32>unchecked(limL[from + i]);
    const r = <f32>unchecked(limR[from + i]);
    unchecked(OUT[2 * i] = l);
    unchecked(OUT[2 * i + 1] = r);
    unchecked(meterOutL[i] = l);
    unchecked(meterOutR[i] = r);
  }
  kWeight2(meterL, meterR, meterOutL, meterOutR, meterKL, meterKR, n);
  let a = acc;
  let s = inStep;
  for (let i = 0; i < n; i++) {
    const vl = unchecked(meterKL[i]);
    const vr = unchecked(meterKR[i]);
    a += vl * vl + vr * vr;
    if (++s == step) {
      if (stepCount < steps.length) unchecked(steps[stepCount++] = a);
      a = 0;
      s = 0;
    }
  }
  acc = a;
  inStep = s;
  written += n;
  return n;
}

/** Mixes the stems in BED_*, EV_* at the pass's gains, limits, meters; returns frames in OUT. */
export function passBlock(len: i32): i32 {
  const gb = bedGain, ge = eventsGain;
  for (let i = 0; i < len; i++) {
    unchecked(mixL[i] = <f64>unchecked(BED_L[i]) * gb + <f64>unchecked(EV_L[i]) * ge);
    unchecked(mixR[i] = <f64>unchecked(BED_R[i]) * gb + <f64>unchecked(EV_R[i]) * ge);
  }
  limiter!.process(mixL, mixR, len, limL, limR);
  return take(len);
}

/** Pushes `len` (≤ BLOCK) zeros through the limiter to drain it; returns frames in OUT. */
export function passFlush(len: i32): i32 {
  for (let i = 0; i < len; i++) {
    unchecked(mixL[i] = 0);
    unchecked(mixR[i] = 0);
  }
  limiter!.process(mixL, mixR, len, limL, limR);
  return take(len);
}

export function passStepsPtr(): usize {
  return changetype<usize>(steps);
}
export function passStepCount(): i32 {
  return stepCount;
}
export function passPeak(): f64 {
  return limiter!.outputPeak;
}
export function passMinGain(): f64 {
  return limiter!.minGain;
}

/** OUT[0, count) as 16-bit PCM in OUT16: × 32768, ties to even, clipped (as ffmpeg converts). */
export function pcm16(count: i32): void {
  for (let i = 0; i < count; i++) {
    const v = nearest(<f64>unchecked(OUT[i]) * 32768);
    unchecked(OUT16[i] = <i16>(v > 32767 ? 32767 : v < -32768 ? -32768 : v));
  }
}
