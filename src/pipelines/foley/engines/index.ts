/**
 * @module The Foley engines this worker has, best first: `engine: "auto"` runs the first one that
 * is available. A new engine is one folder beside `procedural/` and one line here.
 */
import type { FoleyEngine } from './engine.js';
import { HVF_ENGINES } from './hunyuan/index.js';
import { MMAUDIO_ENGINES } from './mmaudio/index.js';
import { proceduralEngine } from './procedural/index.js';

export const FOLEY_ENGINES: readonly FoleyEngine[] = [...MMAUDIO_ENGINES, ...HVF_ENGINES, proceduralEngine];
