/**
 * @module The sessions the default engines need, opened into the worker's session cache at
 * start-up, after warm-up and before the first job is taken: a fresh worker's first job then
 * finds its models loaded instead of paying for them (the Foley senses took ~1.4 s). Soft: a
 * model that does not load is a warning, and the job that needs it tries again as it would have.
 */
import type { Logger } from 'pino';
import { warmFoleySenses } from './foley/senses.js';
import type { TaskDeps } from '../job/task.js';

/** Opens every default engine's sessions (today the Foley senses when FOLEY_VISION is on); never throws. */
export async function warmDefaultSessions(deps: TaskDeps, log: Logger): Promise<void> {
  try {
    await warmFoleySenses(deps, log);
  } catch (e) {
    log.warn({ err: e }, 'warming the default sessions failed: jobs load their models themselves');
  }
}
