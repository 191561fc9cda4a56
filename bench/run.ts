/**
 * @module `npm run bench`: runs each benchmark section in turn and prints its tables as Markdown,
 * ready for BENCHMARKS.md. A new benchmark is one more `BenchSection` in `SECTIONS`.
 */
import { availableParallelism, cpus } from 'node:os';
import { runAnimateBench } from './animate-bench.js';
import { runFoleyBench } from './foley-bench.js';
import { runInterpolateBench } from './interpolate-bench.js';
import { runLoudnessBench } from './loudness-bench.js';
import { runHvfBench } from './hvf-bench.js';
import { runMmaudioBench } from './mmaudio-bench.js';
import { runModelsBench } from './models-bench.js';
import { runRangedBench } from './ranged-bench.js';
import { runtimeBench } from './runtime-bench.js';
import { runSoakBench } from './soak-bench.js';
import { runUpscaleBench } from './upscale-bench.js';
import { runVisionBench } from './vision-bench.js';
import { linesSection, type BenchSection, type BenchTable } from './section.js';

const SECTIONS: BenchSection[] = [
  runtimeBench,
  linesSection('models', 'Models on the volume', runModelsBench),
  linesSection('ranged', 'Large model files: parallel ranged download', runRangedBench),
  linesSection('foley', 'Procedural engine', runFoleyBench),
  { name: 'loudness', title: 'Loudness of the output', run: runLoudnessBench },
  { name: 'upscale', title: 'Upscale (super-resolution)', run: runUpscaleBench },
  { name: 'interpolate', title: 'Interpolate (frame rate)', run: runInterpolateBench },
  { name: 'animate', title: 'Animate (still + audio)', run: runAnimateBench },
  { name: 'vision', title: 'Foley: what the worker sees and hears', run: runVisionBench },
  { name: 'soak', title: 'Soak', run: runSoakBench },
  { name: 'mmaudio', title: 'MMAudio (learned Foley) on this CPU', run: runMmaudioBench },
  linesSection('hvf', 'HunyuanVideo-Foley on this CPU', runHvfBench),
];

function renderTable(t: BenchTable | string): string {
  if (typeof t === 'string') return t;
  const line = (cells: readonly (string | number)[]): string => `| ${cells.join(' | ')} |`;
  const out = [t.title ? `**${t.title}**\n` : '', line(t.columns), line(t.columns.map(() => '---')), ...t.rows.map(line)];
  if (t.note) out.push('', t.note);
  return out.filter((x) => x !== '').join('\n');
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  process.stdout.write(
    `Machine: ${availableParallelism()} cores (${cpu}), Node ${process.versions.node}, ${new Date().toISOString().slice(0, 10)}\n\n`,
  );
  for (const section of SECTIONS) {
    if (only.length > 0 && !only.includes(section.name)) continue;
    process.stdout.write(`## ${section.title}\n\n`);
    const tables = await section.run();
    process.stdout.write(`${tables.map(renderTable).join('\n\n')}\n\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
