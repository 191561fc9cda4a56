/**
 * @module Engine hum: a saw-like harmonic tone (six harmonics from a wavetable) whose pitch and
 * level follow the motion envelope, so a vehicle speeding up is heard rising. The idle part (heard
 * when nothing moves) goes to the bed stem, the part that grows with motion to the events stem, so
 * mastering treats an idling engine like room tone and a revving one like action.
 */
import type { Preset } from '../presets.js';

const TABLE_SIZE = 2048;
const TABLE = (() => {
  const t = new Float64Array(TABLE_SIZE + 1);
  for (let i = 0; i <= TABLE_SIZE; i++) {
    let v = 0;
    for (let h = 1; h <= 6; h++) v += Math.sin((2 * Math.PI * h * i) / TABLE_SIZE) / h;
    t[i] = v;
  }
  return t;
})();

export class HumVoice {
  private phase = 0;
  constructor(
    private readonly p: Preset['hum'],
    private readonly sr: number,
  ) {}

  render(bedL: Float32Array, bedR: Float32Array, evL: Float32Array, evR: Float32Array, len: number, env: Float32Array): void {
    if (this.p.level <= 0) return;
    const { baseHz, rangeHz, level } = this.p;
    for (let i = 0; i < len; i++) {
      const e = Math.min(1, env[i] as number);
      this.phase += (baseHz + rangeHz * e) / this.sr;
      this.phase -= Math.floor(this.phase);
      const x = this.phase * TABLE_SIZE;
      const k = x | 0;
      const v = (TABLE[k] as number) + (x - k) * ((TABLE[k + 1] as number) - (TABLE[k] as number));
      const idle = v * level * 0.35;
      const moving = v * level * 0.65 * e;
      bedL[i] = (bedL[i] as number) + idle;
      bedR[i] = (bedR[i] as number) + idle;
      evL[i] = (evL[i] as number) + moving;
      evR[i] = (evR[i] as number) + moving;
    }
  }
}
