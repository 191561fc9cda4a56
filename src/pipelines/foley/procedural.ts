/**
 * @module The old home of the procedural engine (now src/pipelines/foley/engines/procedural/).
 * Only the senses' type is left here, for src/tasks/foley/senses.ts, which is being reworked
 * separately; it should import FoleyVision from engines/engine.js, and this file then goes.
 */
export type { FoleyVision } from './engines/engine.js';
