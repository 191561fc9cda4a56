// Per-segment statistics of the stems (the layout and use: src/pipelines/foley/dsp/stem-stats.ts):
// sample peaks of bed, events and their sum, and their K-weighted energies, FIELDS numbers a segment.
import { KFilter, kWeight4 } from './kweight';

/** Values kept per segment, at these offsets. */
export const FIELDS: i32 = 6;
export const BED_PEAK = 0, EVENTS_PEAK = 1, MIX_PEAK = 2, BED_ENERGY = 3, EVENTS_ENERGY = 4, MIX_ENERGY = 5;
const KB_L = new StaticArray<f64>(4096);
const KB_R = new StaticArray<f64>(4096);
const KE_L = new StaticArray<f64>(4096);
const KE_R = new StaticArray<f64>(4096);

export class Stats {
  data: StaticArray<f32>;
  segments: i32 = 0;
  inSegment: i32 = 0;
  pb: f64 = 0; pe: f64 = 0; pm: f64 = 0; eb: f64 = 0; ee: f64 = 0; em: f64 = 0;
  kbl: KFilter = new KFilter();
  kbr: KFilter = new KFilter();
  kel: KFilter = new KFilter();
  ker: KFilter = new KFilter();

  constructor(readonly segment: i32, maxSegments: i32) {
    this.data = new StaticArray<f32>(FIELDS * max(1, maxSegments));
  }

  push(bedL: StaticArray<f32>, bedR: StaticArray<f32>, evL: StaticArray<f32>, evR: StaticArray<f32>, len: i32): void {
    let pb = this.pb, pe = this.pe, pm = this.pm, eb = this.eb, ee = this.ee, em = this.em;
    let inSegment = this.inSegment;
    const segment = this.segment;
    // The four channels are K-weighted in place first (filter state in locals: registers, not
    // memory), then the segment sums read them back.
    kWeight4(this.kbl, this.kbr, this.kel, this.ker, bedL, bedR, evL, evR, KB_L, KB_R, KE_L, KE_R, len);
    for (let i = 0; i < len; i++) {
      const bl = <f64>unchecked(bedL[i]), br = <f64>unchecked(bedR[i]), el = <f64>unchecked(evL[i]), er = <f64>unchecked(evR[i]);
      // Comparisons, not max(): f64.max spends instructions on NaN and −0, which cannot occur here.
      const abl = abs(bl), abr = abs(br), ael = abs(el), aer = abs(er), aml = abs(bl + el), amr = abs(br + er);
      if (abl > pb) pb = abl;
      if (abr > pb) pb = abr;
      if (ael > pe) pe = ael;
      if (aer > pe) pe = aer;
      if (aml > pm) pm = aml;
      if (amr > pm) pm = amr;
      const xbl = unchecked(KB_L[i]), xbr = unchecked(KB_R[i]), xel = unchecked(KE_L[i]), xer = unchecked(KE_R[i]);
      eb += xbl * xbl + xbr * xbr;
      ee += xel * xel + xer * xer;
      const ml = xbl + xel, mr = xbr + xer;
      em += ml * ml + mr * mr;
      if (++inSegment == segment) {
        const at = FIELDS * this.segments;
        if (at + FIELDS <= this.data.length) {
          unchecked(this.data[at + BED_PEAK] = <f32>pb);
          unchecked(this.data[at + EVENTS_PEAK] = <f32>pe);
          unchecked(this.data[at + MIX_PEAK] = <f32>pm);
          unchecked(this.data[at + BED_ENERGY] = <f32>eb);
          unchecked(this.data[at + EVENTS_ENERGY] = <f32>ee);
          unchecked(this.data[at + MIX_ENERGY] = <f32>em);
          this.segments++;
        }
        pb = 0; pe = 0; pm = 0; eb = 0; ee = 0; em = 0;
        inSegment = 0;
      }
    }
    this.pb = pb; this.pe = pe; this.pm = pm; this.eb = eb; this.ee = ee; this.em = em;
    this.inSegment = inSegment;
  }
}
