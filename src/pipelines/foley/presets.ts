/**
 * @module Sound presets of the procedural engine. The keyword table is documented in
 * docs/tasks/foley.md ("Presets"); keep the two in step. How a prompt picks one: prompt.ts.
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
  /** Crowd murmur (assembly/babble.ts): `voices` babbling sources at speaking pitches; `motion`: the share of the level that follows the motion. */
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

const none = { level: 0, baseHz: 0, rangeHz: 0 };
const dry = { rate: 0, level: 0, pitched: false };

export const PRESETS: readonly Preset[] = [
  {
    name: 'footsteps',
    description: 'heel strikes on a hard floor, alternating feet on a steady cadence; quiet room tone',
    keywords: [
      'footstep',
      'foot step',
      'step',
      'walk',
      'run',
      'jog',
      'stomp',
      'stair',
      'staircase',
      'stairway',
      'shoe',
      'boot',
      'heel',
      'march',
      'sneaker',
      'tiptoe',
      'pace',
      'stride',
      'hike',
      'trudge',
    ],
    bed: { level: 0.012, lowpassHz: 900, highpassHz: 60, gust: 0, ceilingLufs: -34 },
    texture: { level: 0.05, centerHz: 2500, q: 0.9, grains: null },
    hit: {
      level: 0.8,
      thumpHz: 110,
      thumpDecayS: 0.045,
      noiseHz: 3200,
      noiseQ: 0.8,
      noiseDecayS: 0.05,
      noiseMix: 0.55,
      modes: null,
      alternate: true,
    },
    hum: none,
    drops: dry,
  },
  {
    name: 'rain',
    description: 'steady rain bed with droplet ticks; splashy hits',
    keywords: ['rain', 'raindrop', 'rainfall', 'rainstorm', 'drizzle', 'storm', 'thunderstorm', 'shower', 'downpour', 'drip', 'thunder'],
    bed: { level: 0.05, lowpassHz: 7000, highpassHz: 400, gust: 0.15, ceilingLufs: -22 },
    texture: { level: 0.06, centerHz: 4000, q: 0.7, grains: null },
    hit: {
      level: 0.55,
      thumpHz: 220,
      thumpDecayS: 0.03,
      noiseHz: 5000,
      noiseQ: 0.7,
      noiseDecayS: 0.08,
      noiseMix: 0.8,
      modes: null,
      alternate: false,
    },
    hum: none,
    drops: { rate: 40, level: 0.08, pitched: false },
  },
  {
    name: 'wind',
    description: 'gusting low wind; motion becomes whooshes',
    keywords: ['wind', 'breeze', 'gust', 'gale', 'air', 'whoosh', 'swoosh', 'swish', 'swing', 'fly', 'flight', 'blow', 'sword'],
    bed: { level: 0.06, lowpassHz: 700, highpassHz: 40, gust: 0.7, ceilingLufs: -24 },
    texture: { level: 0.16, centerHz: 900, q: 1.4, grains: null },
    hit: {
      level: 0.45,
      thumpHz: 80,
      thumpDecayS: 0.08,
      noiseHz: 1200,
      noiseQ: 1.2,
      noiseDecayS: 0.18,
      noiseMix: 0.85,
      modes: null,
      alternate: false,
    },
    hum: none,
    drops: dry,
  },
  {
    name: 'water',
    description: 'flowing water bed with bubbles; splashes on motion',
    keywords: [
      'water',
      'underwater',
      'waterfall',
      'splash',
      'river',
      'stream',
      'creek',
      'brook',
      'wave',
      'surf',
      'ocean',
      'sea',
      'swim',
      'pour',
      'bubble',
      'lake',
      'pond',
      'puddle',
      'fountain',
      'beach',
      'boat',
      'ship',
    ],
    bed: { level: 0.04, lowpassHz: 2500, highpassHz: 120, gust: 0.3, ceilingLufs: -24 },
    texture: { level: 0.1, centerHz: 1500, q: 1.1, grains: { rate: 30, level: 0.08, hz: 1800, durS: 0.03 } },
    hit: {
      level: 0.6,
      thumpHz: 160,
      thumpDecayS: 0.06,
      noiseHz: 2200,
      noiseQ: 0.9,
      noiseDecayS: 0.14,
      noiseMix: 0.75,
      modes: null,
      alternate: false,
    },
    hum: none,
    drops: { rate: 12, level: 0.06, pitched: true },
  },
  {
    name: 'engine',
    description: 'engine hum whose pitch follows the motion; dull thuds',
    keywords: [
      'engine',
      'car',
      'motor',
      'motorcycle',
      'motorbike',
      'truck',
      'bus',
      'van',
      'tractor',
      'vehicle',
      'traffic',
      'bike',
      'drive',
      'race',
      'racecar',
      'machine',
      'machinery',
      'train',
      'plane',
      'airplane',
      'aeroplane',
      'aircraft',
      'jet',
    ],
    bed: { level: 0.025, lowpassHz: 500, highpassHz: 40, gust: 0.1, ceilingLufs: -28 },
    texture: { level: 0.05, centerHz: 700, q: 1, grains: null },
    hit: {
      level: 0.6,
      thumpHz: 70,
      thumpDecayS: 0.09,
      noiseHz: 1500,
      noiseQ: 1,
      noiseDecayS: 0.07,
      noiseMix: 0.45,
      modes: null,
      alternate: false,
    },
    hum: { level: 0.09, baseHz: 45, rangeHz: 70 },
    drops: dry,
  },
  {
    name: 'impact',
    description: 'heavy body thuds and punches, long low decay',
    keywords: [
      'impact',
      'hit',
      'punch',
      'crash',
      'collision',
      'bang',
      'slam',
      'knock',
      'thud',
      'thump',
      'fight',
      'fall',
      'drop',
      'smash',
      'explosion',
      'explode',
      'blast',
      'boom',
      'kick',
      'slap',
    ],
    bed: { level: 0.01, lowpassHz: 600, highpassHz: 40, gust: 0, ceilingLufs: -34 },
    texture: { level: 0.05, centerHz: 1200, q: 1, grains: null },
    hit: {
      level: 0.95,
      thumpHz: 65,
      thumpDecayS: 0.16,
      noiseHz: 1800,
      noiseQ: 0.7,
      noiseDecayS: 0.09,
      noiseMix: 0.5,
      modes: null,
      alternate: false,
    },
    hum: none,
    drops: dry,
  },
  {
    name: 'metal',
    description: 'struck metal: a bright clank with ringing inharmonic modes',
    keywords: ['metal', 'metallic', 'clang', 'clank', 'anvil', 'bell', 'hammer', 'chain', 'steel', 'iron', 'pipe', 'tool', 'forge'],
    bed: { level: 0.01, lowpassHz: 1500, highpassHz: 80, gust: 0, ceilingLufs: -34 },
    texture: { level: 0.04, centerHz: 3000, q: 1.2, grains: null },
    hit: {
      level: 0.7,
      thumpHz: 320,
      thumpDecayS: 0.02,
      noiseHz: 4500,
      noiseQ: 1.2,
      noiseDecayS: 0.02,
      noiseMix: 0.5,
      // Ratios of a free bar/plate's first modes: clangorous, not musical.
      modes: { ratios: [1.0, 2.76, 5.4, 8.93], decayS: 0.35, level: 0.5 },
      alternate: false,
    },
    hum: none,
    drops: dry,
  },
  {
    name: 'rustle',
    description: 'leaves, grass, paper or gravel: granular crackle that follows the motion',
    keywords: ['rustle', 'leaf', 'leaves', 'foliage', 'grass', 'bush', 'shrub', 'gravel', 'paper', 'crunch', 'snow', 'sand', 'dirt'],
    bed: { level: 0.015, lowpassHz: 2500, highpassHz: 150, gust: 0.4, ceilingLufs: -30 },
    texture: { level: 0.04, centerHz: 3500, q: 0.8, grains: { rate: 400, level: 0.25, hz: 3000, durS: 0.012 } },
    hit: {
      level: 0.6,
      thumpHz: 140,
      thumpDecayS: 0.03,
      noiseHz: 3800,
      noiseQ: 0.7,
      noiseDecayS: 0.06,
      noiseMix: 0.8,
      modes: null,
      alternate: true,
    },
    hum: none,
    drops: dry,
  },
  {
    name: 'fire',
    description: 'a burning fire: a low gusting roar with crackle and pops in clusters that quicken with the flames',
    keywords: [
      'fire',
      'flame',
      'blaze',
      'bonfire',
      'campfire',
      'fireplace',
      'wildfire',
      'inferno',
      'crackle',
      'burn',
      'ember',
      'torch',
      'firewood',
    ],
    bed: { level: 0.06, lowpassHz: 400, highpassHz: 30, gust: 0.6, ceilingLufs: -22 },
    texture: { level: 0.05, centerHz: 300, q: 0.7, grains: null },
    hit: {
      level: 0.5,
      thumpHz: 180,
      thumpDecayS: 0.03,
      noiseHz: 2500,
      noiseQ: 0.8,
      noiseDecayS: 0.03,
      noiseMix: 0.7,
      modes: null,
      alternate: false,
    },
    hum: none,
    drops: dry,
    crackle: { rate: 6, motionRate: 14, level: 0.5 },
    roar: { level: 0.25, hz: 250 },
  },
  {
    name: 'birds',
    description: 'birdsong: bursts of short chirps and trills sweeping across 2–6 kHz over quiet open air; soft wing flutters on motion',
    keywords: [
      'bird',
      'birdsong',
      'songbird',
      'chirp',
      'tweet',
      'warble',
      'sparrow',
      'robin',
      'finch',
      'canary',
      'forest',
      'woodland',
      'jungle',
      'dawn chorus',
    ],
    bed: { level: 0.012, lowpassHz: 3000, highpassHz: 200, gust: 0.3, ceilingLufs: -30 },
    texture: { level: 0.03, centerHz: 2500, q: 0.8, grains: null },
    hit: {
      level: 0.25,
      thumpHz: 200,
      thumpDecayS: 0.02,
      noiseHz: 1500,
      noiseQ: 0.7,
      noiseDecayS: 0.05,
      noiseMix: 0.9,
      modes: null,
      alternate: false,
      attackS: 0.005,
    },
    hum: none,
    drops: dry,
    calls: {
      kind: 'chirp',
      level: 0.35,
      rate: 1.2,
      motionRate: 1.5,
      perBurst: [2, 7],
      gapS: 0.04,
      durS: 0.07,
      loHz: 2500,
      hiHz: 4500,
      sweep: 1.35,
    },
  },
  {
    name: 'dogs',
    description: 'dogs barking: voiced barks at 300–600 Hz through formants, two to four a burst, more often when things move',
    keywords: ['dog', 'doggy', 'puppy', 'pup', 'hound', 'canine', 'bark', 'woof', 'yelp', 'growl'],
    bed: { level: 0.012, lowpassHz: 1500, highpassHz: 80, gust: 0.2, ceilingLufs: -32 },
    texture: { level: 0.03, centerHz: 1500, q: 0.9, grains: null },
    hit: {
      level: 0.3,
      thumpHz: 110,
      thumpDecayS: 0.04,
      noiseHz: 2500,
      noiseQ: 0.8,
      noiseDecayS: 0.04,
      noiseMix: 0.6,
      modes: null,
      alternate: true,
    },
    hum: none,
    drops: dry,
    calls: {
      kind: 'bark',
      level: 1.2,
      rate: 1,
      motionRate: 1.5,
      perBurst: [2, 4],
      gapS: 0.12,
      durS: 0.18,
      loHz: 320,
      hiHz: 560,
      sweep: 0.8,
      formantHz: 1000,
      noise: 0.25,
    },
  },
  {
    name: 'crowd',
    description: 'crowd walla: the murmur of many overlapping voices, none intelligible, over room tone; a little livelier with motion',
    keywords: [
      'crowd',
      'crowded',
      'audience',
      'walla',
      'murmur',
      'chatter',
      'babble',
      'cheer',
      'spectator',
      'stadium',
      'restaurant',
      'cafe',
      'market',
      'party',
      'people talk',
      'people chat',
    ],
    bed: { level: 0.02, lowpassHz: 1500, highpassHz: 80, gust: 0.2, ceilingLufs: -30 },
    texture: { level: 0.02, centerHz: 1200, q: 1, grains: null },
    hit: {
      level: 0.2,
      thumpHz: 120,
      thumpDecayS: 0.04,
      noiseHz: 2500,
      noiseQ: 0.8,
      noiseDecayS: 0.05,
      noiseMix: 0.5,
      modes: null,
      alternate: true,
    },
    hum: none,
    drops: dry,
    babble: { voices: 14, level: 0.5, lowHz: 95, highHz: 240, motion: 0.3 },
  },
  {
    name: 'glass',
    description: 'glass: bright clinks with high inharmonic ringing; strong hits shatter into a scatter of tinkling shards',
    keywords: ['glass', 'glassware', 'shatter', 'clink', 'tinkle', 'bottle', 'window', 'jar', 'crystal', 'mirror', 'wineglass'],
    bed: { level: 0.008, lowpassHz: 2000, highpassHz: 80, gust: 0, ceilingLufs: -36 },
    texture: { level: 0.02, centerHz: 5000, q: 1, grains: null },
    hit: {
      level: 0.6,
      thumpHz: 1800,
      thumpDecayS: 0.04,
      noiseHz: 7000,
      noiseQ: 1,
      noiseDecayS: 0.015,
      noiseMix: 0.35,
      // Partials of a glass bowl/plate, well above the thump: bright, inharmonic.
      modes: { ratios: [1.0, 2.32, 4.25, 6.63], decayS: 0.2, level: 0.5 },
      alternate: false,
    },
    hum: none,
    drops: dry,
    shards: { perHit: 16, level: 0.6, spreadS: 0.45 },
  },
  {
    name: 'door',
    description: 'a door: hinge creaks while it moves; a latch click and a wooden thud on each hit',
    keywords: ['door', 'doorway', 'trapdoor', 'gate', 'hinge', 'creak', 'squeak', 'latch', 'cupboard', 'cabinet', 'wardrobe', 'closet'],
    bed: { level: 0.008, lowpassHz: 900, highpassHz: 60, gust: 0, ceilingLufs: -36 },
    texture: { level: 0.005, centerHz: 800, q: 1, grains: null },
    hit: {
      level: 0.8,
      thumpHz: 85,
      thumpDecayS: 0.1,
      noiseHz: 3000,
      noiseQ: 1.5,
      noiseDecayS: 0.012,
      noiseMix: 0.45,
      // The latch: a small metal click far above the thud (2.5–5 kHz).
      modes: { ratios: [30, 41, 57], decayS: 0.05, level: 0.35 },
      alternate: false,
    },
    hum: none,
    drops: dry,
    creak: { rate: 3, level: 1.5, baseHz: 420 },
  },
  {
    name: 'cloth',
    description: 'cloth and clothing: soft whooshes and rustle that follow the motion, no hard hits',
    keywords: [
      'cloth',
      'clothes',
      'clothing',
      'fabric',
      'garment',
      'cotton',
      'silk',
      'coat',
      'jacket',
      'shirt',
      'dress',
      'cape',
      'cloak',
      'robe',
      'blanket',
      'towel',
      'curtain',
      'flag',
      'sleeve',
      'costume',
    ],
    bed: { level: 0.008, lowpassHz: 1200, highpassHz: 60, gust: 0.2, ceilingLufs: -36 },
    texture: { level: 0.2, centerHz: 1000, q: 0.9, grains: { rate: 150, level: 0.05, hz: 2200, durS: 0.025 } },
    hit: {
      level: 0.45,
      thumpHz: 100,
      thumpDecayS: 0.05,
      noiseHz: 1600,
      noiseQ: 0.6,
      noiseDecayS: 0.14,
      noiseMix: 0.92,
      modes: null,
      alternate: false,
      attackS: 0.035,
    },
    hum: none,
    drops: dry,
  },
  {
    name: 'neutral',
    description: 'soft all-purpose taps and a quiet room tone (no keyword matched)',
    keywords: [],
    bed: { level: 0.015, lowpassHz: 1200, highpassHz: 60, gust: 0.2, ceilingLufs: -32 },
    texture: { level: 0.07, centerHz: 1600, q: 1, grains: null },
    hit: {
      level: 0.7,
      thumpHz: 120,
      thumpDecayS: 0.06,
      noiseHz: 2500,
      noiseQ: 0.8,
      noiseDecayS: 0.06,
      noiseMix: 0.5,
      modes: null,
      alternate: true,
    },
    hum: none,
    drops: dry,
  },
];

/** The preset of this name. */
export function presetByName(name: PresetName): Preset {
  const p = PRESETS.find((x) => x.name === name);
  if (!p) throw new RangeError(`no preset named ${name}`);
  return p;
}
