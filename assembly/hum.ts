// Engine hum: a saw-like harmonic tone (six harmonics from a wavetable) whose pitch and level
// follow the motion envelope, so a vehicle speeding up is heard rising. The idle part (heard when
// nothing moves) goes to the bed stem, the part that grows with motion to the events stem, so
// mastering treats an idling engine like room tone and a revving one like action.
const TABLE_SIZE: i32 = 2048;

export class Hum {
  table: StaticArray<f64>;
  phase: f64 = 0;

  constructor(readonly level: f64, readonly baseHz: f64, readonly rangeHz: f64, readonly sr: f64) {
    const table = new StaticArray<f64>(TABLE_SIZE + 1);
    if (level > 0) {
      for (let i = 0; i <= TABLE_SIZE; i++) {
        let v: f64 = 0;
        for (let h = 1; h <= 6; h++) v += Math.sin((2 * Math.PI * <f64>h * <f64>i) / <f64>TABLE_SIZE) / <f64>h;
        table[i] = v;
      }
    }
    this.table = table;
  }

  render(
    bedL: StaticArray<f32>, bedR: StaticArray<f32>, evL: StaticArray<f32>, evR: StaticArray<f32>, len: i32, env: StaticArray<f32>
  ): void {
    if (this.level <= 0) return;
    const table = this.table;
    for (let i = 0; i < len; i++) {
      const e = Math.min(1, <f64>unchecked(env[i]));
      this.phase += (this.baseHz + this.rangeHz * e) / this.sr;
      this.phase -= Math.floor(this.phase);
      const x = this.phase * <f64>TABLE_SIZE;
      const k = <i32>x;
      const v = unchecked(table[k]) + (x - <f64>k) * (unchecked(table[k + 1]) - unchecked(table[k]));
      const idle = v * this.level * 0.35;
      const moving = v * this.level * 0.65 * e;
      unchecked(bedL[i] = <f32>(<f64>unchecked(bedL[i]) + idle));
      unchecked(bedR[i] = <f32>(<f64>unchecked(bedR[i]) + idle));
      unchecked(evL[i] = <f32>(<f64>unchecked(evL[i]) + moving));
      unchecked(evR[i] = <f32>(<f64>unchecked(evR[i]) + moving));
    }
  }
}
