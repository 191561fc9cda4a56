/**
 * @module Which engine runs a job, and what the worker says about its engines when it starts.
 * `auto` takes the first available engine of the list (best first) and says why it passed over
 * the others; a named engine runs only if it is available, else ENGINE_NOT_AVAILABLE with its
 * reason. Loaded engines are kept across jobs; a failed load is forgotten, so the next job retries.
 */
import { WorkerError } from '../../../errors.js';
import type { RepoSpec } from '../../../models/spec.js';
import { HVF_DEFAULT, isHvfEngineName, isMmaudioEngineName, MMAUDIO_DEFAULT } from '../../../models/engine-files.js';
import type { ModelRegistry } from '../../../models/registry.js';
import type { EngineDeps, FoleyEngine, LoadedEngine } from './engine.js';

/** An engine passed over by `auto`, and why. */
export interface SkippedEngine {
  name: string;
  reason: string;
}

export interface EngineChoice {
  engine: FoleyEngine;
  /** Engines `auto` passed over before this one (empty for a named engine). */
  skipped: SkippedEngine[];
}

/** The engines available now (their names), for error messages. */
function availableNames(engines: readonly FoleyEngine[], deps: EngineDeps): string[] {
  return engines.filter((e) => e.available(deps) === true).map((e) => e.name);
}

function notAvailable(requested: string, reason: string | undefined, engines: readonly FoleyEngine[], deps: EngineDeps): WorkerError {
  const available = ['auto', ...availableNames(engines, deps)];
  const why = reason === undefined ? '' : `: ${reason}`;
  return new WorkerError('ENGINE_NOT_AVAILABLE', `engine: "${requested}" is not available${why}; available: ${available.join(', ')}`, {
    details: { field: 'engine', available, ...(reason === undefined ? {} : { engine: requested, reason }) },
  });
}

/**
 * `auto` tries the operator's engine (FOLEY_ENGINE) first, then the rest best first; `mmaudio`
 * (`hunyuan-foley`) means the operator's network of that family, else its default.
 */
export function preferenceOrder(engines: readonly FoleyEngine[], deps: EngineDeps): FoleyEngine[] {
  const preferred = deps.config.models.foleyEngine;
  const first = engines.filter((e) => e.name === preferred);
  return [...first, ...engines.filter((e) => e.name !== preferred)];
}

/** A payload's engine name with `mmaudio` made the network it means on this worker. */
export function resolveEngineAlias(requested: string, deps: EngineDeps): string {
  const configured = deps.config.models.foleyEngine ?? '';
  if (requested === 'mmaudio') return isMmaudioEngineName(configured) ? configured : MMAUDIO_DEFAULT;
  if (requested === 'hunyuan-foley') return isHvfEngineName(configured) ? configured : HVF_DEFAULT;
  return requested;
}

/**
 * Whether the operator asked for the engine: always for one without licensed weights; for a
 * learned one, when FOLEY_ENGINE names it or MODELS lists all its repos. `auto` passes over a
 * learned engine nobody asked for without a word (it is not a problem, only a choice not made).
 */
export function askedFor(
  engine: Pick<FoleyEngine, 'name' | 'models' | 'licence'>,
  o: { specs: readonly RepoSpec[]; wanted?: string | undefined },
): boolean {
  if (engine.licence === undefined || engine.name === o.wanted) return true;
  return engine.models.every((m) => o.specs.some((s) => s.repo === m));
}

function askedIn(deps: EngineDeps): { specs: readonly RepoSpec[]; wanted?: string | undefined } {
  return { specs: deps.config.models.specs, wanted: deps.config.models.foleyEngine };
}

/** The engine `requested` names (`auto`: the first available), or ENGINE_NOT_AVAILABLE. */
export function chooseEngine(asked: string, all: readonly FoleyEngine[], deps: EngineDeps): EngineChoice {
  const requested = resolveEngineAlias(asked, deps);
  const engines = preferenceOrder(all, deps);
  if (requested !== 'auto') {
    const engine = engines.find((e) => e.name === requested);
    if (!engine) throw notAvailable(requested, undefined, engines, deps);
    const ok = engine.available(deps);
    if (ok !== true) throw notAvailable(requested, ok, engines, deps);
    return { engine, skipped: [] };
  }
  const skipped: SkippedEngine[] = [];
  for (const engine of engines) {
    const ok = engine.available(deps);
    if (ok === true) return { engine, skipped };
    if (askedFor(engine, askedIn(deps))) skipped.push({ name: engine.name, reason: ok });
  }
  throw new WorkerError(
    'ENGINE_NOT_AVAILABLE',
    `engine: "auto" found no available engine (${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})`,
    {
      details: { field: 'engine', available: [], unavailable: Object.fromEntries(skipped.map((s) => [s.name, s.reason])) },
    },
  );
}

/** A Hub repo id as MODELS spells it. */
const REPO_RE = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

/**
 * The start-up check of the engines' declared models against MODELS and the registry: one line
 * per engine that will not be available for want of a repo (for the worker's log). A declared
 * model that is not a repo id, or two engines of one name, are the code's mistakes: TypeError.
 */
export function checkEngineModels(
  engines: readonly FoleyEngine[],
  o: { specs: readonly RepoSpec[]; registry?: ModelRegistry | undefined; wanted?: string | undefined },
): string[] {
  const names = new Set<string>();
  const problems: string[] = [];
  for (const engine of engines) {
    if (engine.name === 'auto' || names.has(engine.name))
      throw new TypeError(`Foley engine name "${engine.name}" is reserved or used twice`);
    names.add(engine.name);
    const bad = engine.models.filter((m) => !REPO_RE.test(m));
    if (bad.length > 0)
      throw new TypeError(`Foley engine "${engine.name}" declares models that are not Hub repo ids (org/name): ${bad.join(', ')}`);
    const listed = new Set(o.specs.map((s) => s.repo));
    const unlisted = engine.models.filter((m) => !listed.has(m));
    // A learned engine nobody asked for is not a problem worth a line at every start.
    if (!askedFor(engine, o)) continue;
    if (unlisted.length > 0) {
      problems.push(
        `engine "${engine.name}" needs ${unlisted.join(', ')}, not in MODELS: it is unavailable until MODELS lists ${unlisted.join(',')}`,
      );
      continue;
    }
    const notReady = o.registry ? engine.models.filter((m) => !o.registry?.has(m)) : engine.models;
    if (notReady.length > 0)
      problems.push(
        `engine "${engine.name}" needs ${notReady.join(', ')}, listed in MODELS but not ready (warm-up failed?): it is unavailable`,
      );
  }
  return problems;
}

/** Loaded engines, one per name, shared by the jobs of a worker. */
export class LoadedEngines {
  private readonly loading = new Map<string, Promise<LoadedEngine>>();

  constructor(private readonly deps: EngineDeps) {}

  get(engine: FoleyEngine): Promise<LoadedEngine> {
    let p = this.loading.get(engine.name);
    if (!p) {
      p = engine.load(this.deps);
      this.loading.set(engine.name, p);
      // A failed load is not kept: the next job tries again.
      p.catch(() => {
        if (this.loading.get(engine.name) === p) this.loading.delete(engine.name);
      });
    }
    return p;
  }
}

export interface ReadyEngine extends EngineChoice {
  loaded: LoadedEngine;
}

/**
 * Loads the chosen engine. A named engine's failed load is the job's error; under `auto` it is
 * one more reason to pass the engine over, and the next available engine is loaded instead.
 */
export async function loadChoice(
  choice: EngineChoice,
  o: { auto: boolean; engines: readonly FoleyEngine[]; deps: EngineDeps; loaded: LoadedEngines },
): Promise<ReadyEngine> {
  if (!o.auto) return { ...choice, loaded: await o.loaded.get(choice.engine) };
  const skipped = [...choice.skipped];
  let failure: unknown;
  const order = preferenceOrder(o.engines, o.deps);
  for (const engine of order.slice(order.indexOf(choice.engine))) {
    const ok = engine === choice.engine ? true : engine.available(o.deps);
    if (ok !== true) {
      if (askedFor(engine, askedIn(o.deps))) skipped.push({ name: engine.name, reason: ok });
      continue;
    }
    try {
      return { engine, skipped, loaded: await o.loaded.get(engine) };
    } catch (e) {
      failure = e;
      skipped.push({ name: engine.name, reason: `it failed to load (${e instanceof Error ? e.message : String(e)})` });
    }
  }
  throw failure;
}
