/**
 * @module Sound presets of the procedural engine. The keyword table is documented in
 * docs/tasks/foley.md ("Presets"); keep the two in step. How a prompt picks one: prompt.ts.
 */
import type { Preset, PresetName } from './preset-types.js';
import { ACTION_PRESETS } from './presets-actions.js';
import { PLACE_PRESETS } from './presets-places.js';

export type { Preset, PresetName } from './preset-types.js';

/** Every preset, in the order the prompt reading breaks ties (prompt.ts). */
const ORDER: readonly PresetName[] = [
  'footsteps',
  'rain',
  'wind',
  'water',
  'engine',
  'impact',
  'metal',
  'rustle',
  'fire',
  'birds',
  'dogs',
  'crowd',
  'glass',
  'door',
  'cloth',
  'neutral',
];

const BY_NAME = new Map([...ACTION_PRESETS, ...PLACE_PRESETS].map((p) => [p.name, p]));

export const PRESETS: readonly Preset[] = ORDER.map((name) => BY_NAME.get(name) as Preset);

/** The preset of this name. */
export function presetByName(name: PresetName): Preset {
  const p = PRESETS.find((x) => x.name === name);
  if (!p) throw new RangeError(`no preset named ${name}`);
  return p;
}
