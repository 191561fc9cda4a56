/**
 * A raw FLAC stream of silence of any length that does not declare its length (STREAMINFO's
 * total-sample count 0, "unknown", as an encoder writing to a pipe leaves it). Written here frame
 * by frame from the format's definition (xiph.org/flac/format.html): each frame is a 4096-sample
 * block with one CONSTANT subframe, so a day of 44.1 kHz mono takes ~11 MB and a few hundred
 * milliseconds to make, where ffmpeg takes a minute to encode it.
 */

const BLOCK = 4096;

/** CRC-8, polynomial x^8 + x^2 + x + 1 (0x07), initial 0: the frame header's check. */
function crc8(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

/** CRC-16, polynomial x^16 + x^15 + x^2 + 1 (0x8005), initial 0: the whole frame's check. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** FLAC's "UTF-8" coding of a frame number (up to 31 bits). */
function utf8Number(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  let bytes = 2;
  while (n >= 2 ** (5 * bytes + 1)) bytes++;
  for (let i = bytes - 1; i > 0; i--) out.unshift(0x80 | ((n >>> (6 * (bytes - 1 - i))) & 0x3f));
  const lead = (0xff << (8 - bytes)) & 0xff;
  out.unshift(lead | (n >>> (6 * (bytes - 1))));
  return out;
}

/** `seconds` of 16-bit mono silence at 44.1 kHz as a FLAC file's bytes, length not declared. */
export function flacSilence(seconds: number): Buffer {
  const rate = 44_100;
  const frames = Math.ceil((seconds * rate) / BLOCK);
  const info = Buffer.alloc(34);
  info.writeUInt16BE(BLOCK, 0);
  info.writeUInt16BE(BLOCK, 2);
  // Bytes 4-9: min/max frame size unknown (0). Then 20 bits rate, 3 bits channels-1, 5 bits
  // bits-per-sample-1, 36 bits total samples (0 = unknown), 128 bits MD5 (0 = not computed).
  info[10] = (rate >>> 12) & 0xff;
  info[11] = (rate >>> 4) & 0xff;
  info[12] = ((rate & 0x0f) << 4) | (0 << 1) | (15 >>> 4);
  info[13] = (15 & 0x0f) << 4;
  const chunks: Buffer[] = [Buffer.from('fLaC', 'latin1'), Buffer.from([0x80, 0, 0, 34]), info];
  for (let n = 0; n < frames; n++) {
    // Sync + fixed blocking; block size code 12 (4096), rate code 9 (44.1 kHz); mono, 16-bit.
    const header = Uint8Array.from([0xff, 0xf8, 0xc9, 0x08, ...utf8Number(n)]);
    const frame = new Uint8Array(header.length + 1 + 3 + 2);
    frame.set(header);
    frame[header.length] = crc8(header);
    // Subframe: padding bit, type CONSTANT (000000), no wasted bits; then the 16-bit value 0.
    frame[header.length + 1] = 0x00;
    const crc = crc16(frame.subarray(0, frame.length - 2));
    frame[frame.length - 2] = crc >>> 8;
    frame[frame.length - 1] = crc & 0xff;
    chunks.push(Buffer.from(frame.buffer));
  }
  return Buffer.concat(chunks);
}
