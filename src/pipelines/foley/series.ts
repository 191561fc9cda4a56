/**
 * @module A growable Float64 column: per-frame scalars of a long video without an object per frame
 * (a few bytes a frame, so even hours of frames stay small next to the audio).
 */
export class Series {
  private data: Float64Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Float64Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }
  /** The values so far, without a copy; valid until the next push. */
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
  /** A trimmed copy as Float64Array. */
  toFloat64(): Float64Array {
    return this.data.slice(0, this.length);
  }
  toFloat32(): Float32Array {
    return Float32Array.from(this.data.subarray(0, this.length));
  }
}
