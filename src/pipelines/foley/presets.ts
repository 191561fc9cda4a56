/**
 * @module Sound presets of the procedural engine and how a prompt picks one. The keyword table is
 * documented in the README ("Presets"); keep the two in step.
 */

export interface Preset {
  name: PresetName;
  /** What it sounds like (README table). */
  description: string;
  /** Lower-case words or word stems matched at word starts in the prompt. */
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
  };
  /** Engine-like harmonic hum whose pitch follows the motion (0 = none). */
  hum: { level: number; baseHz: number; rangeHz: number };
  /** Random droplets per second in the bed, with their level (0 = none); `pitched` makes bubbles. */
  drops: { rate: number; level: number; pitched: boolean };
}

export type PresetName = 'neutral' | 'footsteps' | 'rain' | 'wind' | 'water' | 'engine' | 'impact' | 'metal' | 'rustle';

const none = { level: 0, baseHz: 0, rangeHz: 0 };
const dry = { rate: 0, level: 0, pitched: false };

export const PRESETS: readonly Preset[] = [
  {
    name: 'footsteps',
    description: 'heel strikes on a hard floor, alternating feet on a steady cadence; quiet room tone',
    keywords: ['footstep', 'step', 'walk', 'run', 'jog', 'stomp', 'stair', 'shoe', 'boot', 'heel', 'march', 'sneaker', 'tiptoe', 'pace'],
    bed: { level: 0.012, lowpassHz: 900, highpassHz: 60, gust: 0, ceilingLufs: -34 },
    texture: { level: 0.05, centerHz: 2500, q: 0.9, grains: null },
    hit: { level: 0.8, thumpHz: 110, thumpDecayS: 0.045, noiseHz: 3200, noiseQ: 0.8, noiseDecayS: 0.05, noiseMix: 0.55, modes: null, alternate: true },
    hum: none,
    drops: dry,
  },
  {
    name: 'rain',
    description: 'steady rain bed with droplet ticks; splashy hits',
    keywords: ['rain', 'drizzle', 'storm', 'shower', 'downpour', 'drip', 'thunder'],
    bed: { level: 0.05, lowpassHz: 7000, highpassHz: 400, gust: 0.15, ceilingLufs: -22 },
    texture: { level: 0.06, centerHz: 4000, q: 0.7, grains: null },
    hit: { level: 0.55, thumpHz: 220, thumpDecayS: 0.03, noiseHz: 5000, noiseQ: 0.7, noiseDecayS: 0.08, noiseMix: 0.8, modes: null, alternate: false },
    hum: none,
    drops: { rate: 40, level: 0.08, pitched: false },
  },
  {
    name: 'wind',
    description: 'gusting low wind; motion becomes whooshes',
    keywords: ['wind', 'breeze', 'gust', 'air', 'whoosh', 'swoosh', 'swing', 'fly', 'flight', 'blow', 'sword'],
    bed: { level: 0.06, lowpassHz: 700, highpassHz: 40, gust: 0.7, ceilingLufs: -24 },
    texture: { level: 0.16, centerHz: 900, q: 1.4, grains: null },
    hit: { level: 0.45, thumpHz: 80, thumpDecayS: 0.08, noiseHz: 1200, noiseQ: 1.2, noiseDecayS: 0.18, noiseMix: 0.85, modes: null, alternate: false },
    hum: none,
    drops: dry,
  },
  {
    name: 'water',
    description: 'flowing water bed with bubbles; splashes on motion',
    keywords: ['water', 'splash', 'river', 'stream', 'wave', 'ocean', 'sea', 'swim', 'pour', 'bubble', 'lake', 'fountain', 'beach'],
    bed: { level: 0.04, lowpassHz: 2500, highpassHz: 120, gust: 0.3, ceilingLufs: -24 },
    texture: { level: 0.1, centerHz: 1500, q: 1.1, grains: { rate: 30, level: 0.08, hz: 1800, durS: 0.03 } },
    hit: { level: 0.6, thumpHz: 160, thumpDecayS: 0.06, noiseHz: 2200, noiseQ: 0.9, noiseDecayS: 0.14, noiseMix: 0.75, modes: null, alternate: false },
    hum: none,
    drops: { rate: 12, level: 0.06, pitched: true },
  },
  {
    name: 'engine',
    description: 'engine hum whose pitch follows the motion; dull thuds',
    keywords: ['engine', 'car', 'motor', 'truck', 'vehicle', 'traffic', 'bike', 'drive', 'race', 'machine', 'train', 'plane', 'jet'],
    bed: { level: 0.025, lowpassHz: 500, highpassHz: 40, gust: 0.1, ceilingLufs: -28 },
    texture: { level: 0.05, centerHz: 700, q: 1, grains: null },
    hit: { level: 0.6, thumpHz: 70, thumpDecayS: 0.09, noiseHz: 1500, noiseQ: 1, noiseDecayS: 0.07, noiseMix: 0.45, modes: null, alternate: false },
    hum: { level: 0.09, baseHz: 45, rangeHz: 70 },
    drops: dry,
  },
  {
    name: 'impact',
    description: 'heavy body thuds and punches, long low decay',
    keywords: ['impact', 'hit', 'punch', 'crash', 'bang', 'slam', 'knock', 'thud', 'fight', 'fall', 'drop', 'smash', 'explosion', 'boom', 'kick', 'door'],
    bed: { level: 0.01, lowpassHz: 600, highpassHz: 40, gust: 0, ceilingLufs: -34 },
    texture: { level: 0.05, centerHz: 1200, q: 1, grains: null },
    hit: { level: 0.95, thumpHz: 65, thumpDecayS: 0.16, noiseHz: 1800, noiseQ: 0.7, noiseDecayS: 0.09, noiseMix: 0.5, modes: null, alternate: false },
    hum: none,
    drops: dry,
  },
  {
    name: 'metal',
    description: 'struck metal: a bright clank with ringing inharmonic modes',
    keywords: ['metal', 'clang', 'anvil', 'bell', 'hammer', 'chain', 'steel', 'iron', 'pipe', 'tool', 'forge'],
    bed: { level: 0.01, lowpassHz: 1500, highpassHz: 80, gust: 0, ceilingLufs: -34 },
    texture: { level: 0.04, centerHz: 3000, q: 1.2, grains: null },
    hit: {
      level: 0.7, thumpHz: 320, thumpDecayS: 0.02, noiseHz: 4500, noiseQ: 1.2, noiseDecayS: 0.02, noiseMix: 0.5,
      // Ratios of a free bar/plate's first modes: clangorous, not musical.
      modes: { ratios: [1.0, 2.76, 5.4, 8.93], decayS: 0.35, level: 0.5 },
      alternate: false,
    },
    hum: none,
    drops: dry,
  },
  {
    name: 'rustle',
    description: 'leaves, grass, cloth or gravel: granular crackle that follows the motion',
    keywords: ['rustle', 'leaf', 'leaves', 'grass', 'bush', 'forest', 'gravel', 'cloth', 'paper', 'crunch', 'snow', 'sand', 'dirt'],
    bed: { level: 0.015, lowpassHz: 2500, highpassHz: 150, gust: 0.4, ceilingLufs: -30 },
    texture: { level: 0.04, centerHz: 3500, q: 0.8, grains: { rate: 400, level: 0.25, hz: 3000, durS: 0.012 } },
    hit: { level: 0.6, thumpHz: 140, thumpDecayS: 0.03, noiseHz: 3800, noiseQ: 0.7, noiseDecayS: 0.06, noiseMix: 0.8, modes: null, alternate: true },
    hum: none,
    drops: dry,
  },
  {
    name: 'neutral',
    description: 'soft all-purpose taps and a quiet room tone (no keyword matched)',
    keywords: [],
    bed: { level: 0.015, lowpassHz: 1200, highpassHz: 60, gust: 0.2, ceilingLufs: -32 },
    texture: { level: 0.07, centerHz: 1600, q: 1, grains: null },
    hit: { level: 0.7, thumpHz: 120, thumpDecayS: 0.06, noiseHz: 2500, noiseQ: 0.8, noiseDecayS: 0.06, noiseMix: 0.5, modes: null, alternate: true },
    hum: none,
    drops: dry,
  },
];

function words(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/**
 * The preset whose keywords the prompt mentions first (earliest word wins, so "rain on a car roof"
 * is rain); presets the negative prompt mentions are excluded; `neutral` when nothing matches.
 */
export function choosePreset(prompt: string, negativePrompt = ''): Preset {
  const neutral = PRESETS.find((p) => p.name === 'neutral') as Preset;
  const matches = (p: Preset, ws: string[]): number => ws.findIndex((w) => p.keywords.some((k) => w.startsWith(k)));
  const negative = words(negativePrompt);
  const allowed = PRESETS.filter((p) => p.keywords.length > 0 && matches(p, negative) < 0);
  const ws = words(prompt);
  let best: Preset | undefined;
  let bestAt = Number.POSITIVE_INFINITY;
  for (const p of allowed) {
    const at = matches(p, ws);
    if (at >= 0 && at < bestAt) {
      best = p;
      bestAt = at;
    }
  }
  return best ?? neutral;
}
