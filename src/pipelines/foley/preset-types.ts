/**
 * @module What a preset of the procedural engine is: its name, the words that choose it, and the
 * settings of each layer the engine renders. The presets themselves: presets-actions.ts and
 * presets-places.ts, gathered in presets.ts.
 */

export interface Preset {
  name: PresetName;
  /** What it sounds like (the table in docs/tasks/foley.md). */
  description: string;
  /**
   * Lower-case base words (their inflections match too: "steps", "stepping") or phrases of them
   * ("foot step"), matched as whole words (prompt.ts).
   */
  keywords: readonly string[];
  /**
   * Constant ambience under everything. `ceilingLufs`: the loudest the bed alone may be after
   * mastering, so a still video stays a quiet bed instead of noise pushed up to the target.
   */
  bed: { level: number; lowpassHz: number; highpassHz: number; gust: number; ceilingLufs: number };
  /** Band-passed noise that follows how much moves on screen, with optional motion-driven grains. */
  texture: { level: number; centerHz: number; q: number; grains: { rate: number; level: number; hz: number; durS: number } | null };
  /**
   * One sound per onset: a pitched body "thump" plus a noise burst, optional resonant modes
   * (frequency ratios to the thump) for hard materials; `alternate` varies steps of a cadence.
   */
  hit: {
    level: number;
    thumpHz: number;
    thumpDecayS: number;
    noiseHz: number;
    noiseQ: number;
    noiseDecayS: number;
    noiseMix: number;
    modes: { ratios: readonly number[]; decayS: number; level: number } | null;
    alternate: boolean;
    /** Attack ramp (s); default 1 ms (a strike). Longer is a swish, not a hit. */
    attackS?: number;
  };
  /** Engine-like harmonic hum whose pitch follows the motion (0 = none). */
  hum: { level: number; baseHz: number; rangeHz: number };
  /** Random droplets per second in the bed, with their level (0 = none); `pitched` makes bubbles. */
  drops: { rate: number; level: number; pitched: boolean };
  /**
   * Animal calls in bursts (assembly/calls.ts): `chirp`, a fast sine sweep with a trill (birds), or
   * `bark`, a voiced harmonic tone through formants with breath noise (dogs). Bursts per second
   * at rest and added at full motion; calls per burst; gap and length (s); start pitch range (Hz)
   * and `sweep` (end pitch over start); barks' formant (Hz) and noise share.
   */
  calls?: {
    kind: 'chirp' | 'bark';
    level: number;
    rate: number;
    motionRate: number;
    perBurst: readonly [number, number];
    gapS: number;
    durS: number;
    loHz: number;
    hiHz: number;
    sweep: number;
    formantHz?: number;
    noise?: number;
  };
  /**
   * Crowd murmur (assembly/babble.ts): `voices` babbling sources at speaking pitches;
   * `motion`: the share of the level that follows the motion.
   */
  babble?: { voices: number; level: number; lowHz: number; highHz: number; motion: number };
  /** Fire crackle (assembly/crackle.ts): clusters of pops per second at rest and added at full motion. */
  crackle?: { rate: number; motionRate: number; level: number };
  /** Hinge creaks (assembly/creak.ts): creaks per second at full motion, level, the wood's lowest resonance (Hz). */
  creak?: { rate: number; level: number; baseHz: number };
  /** A deep roar under everything (assembly/roar.ts): level, low-pass corner (Hz, 24 dB an octave); swells with the motion. */
  roar?: { level: number; hz: number };
  /** Glass fragments after each hit (assembly/shards.ts): how many for a full-strength hit, level, spread (s). */
  shards?: { perHit: number; level: number; spreadS: number };
}

export type PresetName =
  | 'neutral'
  | 'footsteps'
  | 'rain'
  | 'wind'
  | 'water'
  | 'engine'
  | 'impact'
  | 'metal'
  | 'rustle'
  | 'fire'
  | 'birds'
  | 'dogs'
  | 'crowd'
  | 'glass'
  | 'door'
  | 'cloth';
