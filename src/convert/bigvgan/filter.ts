/**
 * @module BigVGAN's anti-aliasing filter: the Kaiser-windowed sinc low-pass that upstream's
 * `kaiser_sinc_filter1d(cutoff, half_width, kernel_size)` builds (alias-free-torch, after julius),
 * and the resampling geometry of its `Activation1d` (×2 up, activation, ×2 down, 12 taps each).
 * Computed in float64 and rounded once to float32; torch computes in float32, so the taps agree
 * to a few float32 ulps (the test compares them with the buffers upstream stores in the checkpoint).
 */

/** Upstream's Activation1d defaults, which BigVGAN never overrides: up and down ratio 2, 12 taps. */
export const ALIAS_FREE = Object.freeze({ ratio: 2, kernelSize: 12 });

/** The modified Bessel function of the first kind, order 0 (power series; |x| here is below 10). */
export function besselI0(x: number): number {
  const q = (x / 2) ** 2;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 200 && term > sum * 1e-17; k++) {
    term *= q / (k * k);
    sum += term;
  }
  return sum;
}

/** torch.kaiser_window(length, periodic=False, beta): I0(β·√(1 − ((n − m)/m)²)) / I0(β), m = (length − 1)/2. */
function kaiserWindow(length: number, beta: number): Float64Array {
  const w = new Float64Array(length);
  if (length === 1) {
    w[0] = 1;
    return w;
  }
  const m = (length - 1) / 2;
  const denominator = besselI0(beta);
  for (let n = 0; n < length; n++) {
    const r = (n - m) / m;
    w[n] = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / denominator;
  }
  return w;
}

/** sin(πx)/(πx), 1 at 0 (torch.sinc). */
function sinc(x: number): number {
  return x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
}

/**
 * Upstream's `kaiser_sinc_filter1d`: Kaiser's β from the transition width (4·half_width), the sinc
 * at 2·cutoff sampled at half-integers (even length) or integers (odd), normalised to sum 1.
 */
export function kaiserSincFilter(cutoff: number, halfWidth: number, kernelSize: number): Float32Array {
  const even = kernelSize % 2 === 0;
  const halfSize = Math.floor(kernelSize / 2);
  const deltaF = 4 * halfWidth;
  const a = 2.285 * (halfSize - 1) * Math.PI * deltaF + 7.95;
  const beta = a > 50 ? 0.1102 * (a - 8.7) : a >= 21 ? 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21) : 0;
  const window = kaiserWindow(kernelSize, beta);
  const taps = new Float64Array(kernelSize);
  if (cutoff === 0) return new Float32Array(kernelSize);
  let sum = 0;
  for (let i = 0; i < kernelSize; i++) {
    const time = even ? i - halfSize + 0.5 : i - halfSize;
    taps[i] = 2 * cutoff * window[i]! * sinc(2 * cutoff * time);
    sum += taps[i]!;
  }
  return Float32Array.from(taps, (t) => t / sum);
}

/** The filter both UpSample1d and DownSample1d build for a ratio: cutoff 0.5/ratio, half-width 0.6/ratio. */
export function resampleFilter(ratio: number, kernelSize: number): Float32Array {
  return kaiserSincFilter(0.5 / ratio, 0.6 / ratio, kernelSize);
}

/**
 * The padding of upstream's UpSample1d and DownSample1d (LowPassFilter1d), both with replicate padding:
 * up pads the input by `pad` each side, transposes with stride `ratio`, and crops `cropLeft`/`cropRight`;
 * down pads `downLeft`/`downRight` and convolves with stride `ratio`.
 */
export function resampleGeometry(ratio: number, kernelSize: number) {
  const pad = Math.floor(kernelSize / ratio) - 1;
  const even = kernelSize % 2 === 0;
  return {
    pad,
    cropLeft: pad * ratio + Math.floor((kernelSize - ratio) / 2),
    cropRight: pad * ratio + Math.floor((kernelSize - ratio + 1) / 2),
    downLeft: Math.floor(kernelSize / 2) - (even ? 1 : 0),
    downRight: Math.floor(kernelSize / 2),
  };
}
