/**
 * @module A JPEG's EXIF orientation (tag 0x0112), and the ffmpeg filter that turns the stored
 * pixels upright. Phones store a portrait photo as landscape pixels plus this tag; every viewer
 * applies it, and ffmpeg's image decoders (in the builds we ship) do not. Read from the file's
 * first bytes: the APP1 segment comes right after the start-of-image marker.
 */

/** 1 (upright) … 8, as EXIF numbers them. */
export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

/** Bytes of a JPEG's head that hold its EXIF segment (APP segments are at most 64 KB each). */
export const EXIF_HEAD_BYTES = 256 * 1024;

function tiffOrientation(tiff: Uint8Array): Orientation {
  if (tiff.length < 8) return 1;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const order = String.fromCharCode(tiff[0] ?? 0, tiff[1] ?? 0);
  if (order !== 'II' && order !== 'MM') return 1;
  const le = order === 'II';
  if (view.getUint16(2, le) !== 42) return 1;
  const ifd = view.getUint32(4, le);
  if (ifd + 2 > tiff.length) return 1;
  const count = view.getUint16(ifd, le);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return 1;
    // Orientation is a SHORT (type 3) with one value, held in the entry itself.
    if (view.getUint16(entry, le) === 0x0112 && view.getUint16(entry + 2, le) === 3) {
      const value = view.getUint16(entry + 8, le);
      return value >= 1 && value <= 8 ? (value as Orientation) : 1;
    }
  }
  return 1;
}

/** The orientation of a JPEG from its first bytes; 1 when it has none (or is not a JPEG). */
export function jpegOrientation(head: Uint8Array): Orientation {
  if (head[0] !== 0xff || head[1] !== 0xd8) return 1;
  let at = 2;
  while (at + 4 <= head.length) {
    if (head[at] !== 0xff) return 1;
    const marker = head[at + 1] ?? 0;
    // Start of scan or end of image: no EXIF before the picture.
    if (marker === 0xda || marker === 0xd9) return 1;
    const length = ((head[at + 2] ?? 0) << 8) | (head[at + 3] ?? 0);
    if (length < 2) return 1;
    const body = head.subarray(at + 4, Math.min(head.length, at + 2 + length));
    if (marker === 0xe1 && body.length >= 6 && String.fromCharCode(...body.subarray(0, 6)) === 'Exif\0\0')
      return tiffOrientation(body.subarray(6));
    at += 2 + length;
  }
  return 1;
}

/** Whether the upright picture's width is the stored height (orientations 5–8 turn it a quarter). */
export function swapsSides(o: Orientation): boolean {
  return o >= 5;
}

/**
 * The ffmpeg filters that make stored pixels upright, or '' for 1. transpose's numbers:
 * 0 = quarter turn counter-clockwise and flipped (the main-diagonal mirror), 1 = clockwise,
 * 2 = counter-clockwise, 3 = clockwise and flipped (the anti-diagonal mirror).
 */
export function uprightFilter(o: Orientation): string {
  return ['', '', 'hflip', 'hflip,vflip', 'vflip', 'transpose=0', 'transpose=1', 'transpose=3', 'transpose=2'][o] ?? '';
}
