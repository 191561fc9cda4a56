// The master's band limit: an 8th-order Butterworth low-pass (four biquads) at 16 kHz on every
// stem. AAC at 192 kb/s (what MP4 and M4A outputs carry) keeps nothing over about 18 kHz: noise
// the engine makes up there (rain ticks, crackle, hiss) counted in the loudness and the true peak
// of the PCM but vanished in the encoder, so a track mastered to −16 LUFS came out over 1 LU
// quieter after AAC, and the ringing of the cut added to its peaks. Band-limited first, the track
// measures the same before and after the encoder, and the limiter sees what will be delivered.

/** Q of each biquad of an 8th-order Butterworth: 1 / (2 cos θk), θk = (2k+1)π/16. */
const QS: StaticArray<f64> = [0.5097955791041592, 0.6013448869350453, 0.8999762231364156, 2.5629154477415055];

export class BandLimit {
  b0: StaticArray<f64> = new StaticArray<f64>(4);
  b1: StaticArray<f64> = new StaticArray<f64>(4);
  a1: StaticArray<f64> = new StaticArray<f64>(4);
  a2: StaticArray<f64> = new StaticArray<f64>(4);
  /** Direct form II transposed state, two values per section. */
  s1: StaticArray<f64> = new StaticArray<f64>(4);
  s2: StaticArray<f64> = new StaticArray<f64>(4);

  constructor(hz: f64, sr: f64) {
    // Bilinear transform (RBJ low-pass); b2 = b0 for a low-pass.
    const w = (2 * Math.PI * Math.min(hz, 0.45 * sr)) / sr;
    const cw = Math.cos(w), sw = Math.sin(w);
    for (let k = 0; k < 4; k++) {
      const alpha = sw / (2 * unchecked(QS[k]));
      const a0 = 1 + alpha;
      unchecked(this.b0[k] = (1 - cw) / 2 / a0);
      unchecked(this.b1[k] = (1 - cw) / a0);
      unchecked(this.a1[k] = (-2 * cw) / a0);
      unchecked(this.a2[k] = (1 - alpha) / a0);
    }
  }

  /** Filters x[0, len) in place. */
  process(x: StaticArray<f32>, len: i32): void {
    for (let k = 0; k < 4; k++) {
      const b0 = unchecked(this.b0[k]), b1 = unchecked(this.b1[k]), a1 = unchecked(this.a1[k]), a2 = unchecked(this.a2[k]);
      let s1 = unchecked(this.s1[k]), s2 = unchecked(this.s2[k]);
      for (let i = 0; i < len; i++) {
        const v = <f64>unchecked(x[i]);
        const y = b0 * v + s1;
        s1 = b1 * v - a1 * y + s2;
        s2 = b0 * v - a2 * y;
        unchecked(x[i] = <f32>y);
      }
      unchecked(this.s1[k] = s1);
      unchecked(this.s2[k] = s2);
    }
  }
}
