// Crowd murmur (walla): many overlapping voice-like sources, none intelligible. Each voice is a
// glottal buzz (a sawtooth at a speaking pitch with slow intonation) through two formant
// band-passes that glide to a new random vowel every syllable (4–6 a second), shaped by a syllable
// envelope, talking in phrases of a few seconds with pauses between. Summed, they blur into the
// murmur of a room full of people. Its level rises a little with the motion. Into the events stem.
import { BandPass, panGains, PAN_L, PAN_R, sinCycle } from './filters';
import { Rng } from './rng';

/** First and second formants of a few vowels (Hz): a, e, i, o, u, schwa. */
const F1: StaticArray<f64> = [730, 530, 300, 570, 320, 500];
const F2: StaticArray<f64> = [1100, 1850, 2250, 850, 900, 1500];

class Voice {
  rng: Rng;
  gl: f64;
  gr: f64;
  pitch: f64;
  phase: f64 = 0;
  /** Samples left in this syllable, and its length. */
  left: i32 = 0;
  syl: i32 = 1;
  /** Samples left in this phrase (talking) or pause (silent). */
  phraseLeft: i32 = 0;
  talking: bool = false;
  f1: f64 = 500;
  f2: f64 = 1500;
  t1: f64 = 500;
  t2: f64 = 1500;
  intonation: f64 = 0;
  sylAmp: f64 = 1;
  bp1: BandPass = new BandPass(500, 6, 48000);
  bp2: BandPass = new BandPass(1500, 8, 48000);

  constructor(seed: u32, i: i32, lowHz: f64, highHz: f64, sr: f64) {
    const rng = new Rng(seed, 200 + <u32>i);
    this.rng = rng;
    panGains(rng.next() * 1.8 - 0.9);
    this.gl = PAN_L;
    this.gr = PAN_R;
    this.pitch = lowHz * Math.pow(highHz / lowHz, rng.next());
    // Voices start part-way into a phrase or a pause, not all together.
    this.talking = rng.next() < 0.7;
    this.phraseLeft = <i32>(rng.next() * 2 * sr);
  }
}

export class Babble {
  voices: Array<Voice> = new Array<Voice>();
  glide: f64;
  tune: i32 = 0;

  constructor(count: i32, readonly level: f64, lowHz: f64, highHz: f64, readonly motion: f64, seed: u32, readonly sr: f64) {
    for (let i = 0; i < count; i++) this.voices.push(new Voice(seed, i, lowHz, highHz, sr));
    this.glide = 1 - Math.exp(-1 / (0.03 * sr));
  }

  render(L: StaticArray<f32>, R: StaticArray<f32>, len: i32, env: StaticArray<f32>): void {
    const sr = this.sr;
    const n = this.voices.length;
    const norm = this.level / Math.sqrt(<f64>max(1, n));
    for (let k = 0; k < n; k++) {
      const v = unchecked(this.voices[k]);
      const rng = v.rng;
      for (let i = 0; i < len; i++) {
        if (v.phraseLeft-- <= 0) {
          v.talking = !v.talking;
          v.phraseLeft = <i32>((v.talking ? 1 + 3 * rng.next() : 0.3 + 1.5 * rng.next()) * sr);
        }
        if (v.left-- <= 0) {
          // A new syllable: a vowel, a length, a loudness, a step of intonation.
          const q = <i32>Math.floor(rng.next() * 6) % 6;
          v.t1 = unchecked(F1[q]) * (0.9 + 0.2 * rng.next());
          v.t2 = unchecked(F2[q]) * (0.9 + 0.2 * rng.next());
          v.syl = <i32>((0.14 + 0.16 * rng.next()) * sr);
          v.left = v.syl;
          v.sylAmp = 0.5 + 0.5 * rng.next();
          v.intonation = Math.max(-0.2, Math.min(0.2, v.intonation + 0.08 * (rng.next() * 2 - 1)));
        }
        // Formants glide (30 ms); the filters are retuned every 32 samples.
        v.f1 += this.glide * (v.t1 - v.f1);
        v.f2 += this.glide * (v.t2 - v.f2);
        if (((this.tune + i) & 31) == 0) {
          v.bp1.f = 2 * Math.sin((Math.PI * v.f1) / sr);
          v.bp2.f = 2 * Math.sin((Math.PI * v.f2) / sr);
        }
        if (!v.talking) {
          v.bp1.process(0);
          v.bp2.process(0);
          continue;
        }
        const u = 1 - <f64>v.left / <f64>v.syl;
        // Syllable envelope: a raised sine, so the murmur pulses at the syllable rate.
        const senv = (0.5 - 0.5 * sinCycle(u + 0.25)) * v.sylAmp;
        v.phase += (v.pitch * (1 + v.intonation)) / sr;
        v.phase -= Math.floor(v.phase);
        const buzz = 2 * v.phase - 1 + 0.15 * rng.white();
        const x = (v.bp1.process(buzz) + 0.6 * v.bp2.process(buzz)) * senv;
        const e = Math.min(1, <f64>unchecked(env[i]));
        const out = x * norm * (1 - this.motion + this.motion * e);
        unchecked(L[i] = <f32>(<f64>unchecked(L[i]) + out * v.gl));
        unchecked(R[i] = <f32>(<f64>unchecked(R[i]) + out * v.gr));
      }
    }
    this.tune += len;
  }
}
