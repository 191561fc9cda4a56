/**
 * @module One block of a rendered track, as the engine's two layers: what ignores the picture (the
 * bed) and what follows it (events), each stereo. The offline renderer and the scene timeline
 * both produce them; the master consumes them.
 */
export interface Stems {
  start: number;
  len: number;
  /** What does not follow the picture: ambience, drops, the engine's idle hum. */
  bedL: Float32Array;
  bedR: Float32Array;
  /** What follows the picture: motion texture, hits, the engine's revving. */
  evL: Float32Array;
  evR: Float32Array;
}
