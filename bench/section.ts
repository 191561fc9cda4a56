/**
 * @module The shape of one benchmark section of `npm run bench` (bench/run.ts).
 */
export interface BenchTable {
  title?: string;
  columns: string[];
  rows: (string | number)[][];
  note?: string;
}

export interface BenchSection {
  /** Short name: `node dist/bench/run.js <name>` runs only this section. */
  name: string;
  /** Heading printed above the tables. */
  title: string;
  /** Tables, or lines of text printed as they are. */
  run(): Promise<(BenchTable | string)[]>;
}

/** The q-quantile (0..1) of samples, nearest-rank. */
export function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

/** A section from a benchmark that reports through a line logger. */
export function linesSection(name: string, title: string, bench: (log: (line: string) => void) => Promise<void>): BenchSection {
  return {
    name,
    title,
    async run() {
      const lines: string[] = [];
      await bench((line) => {
        // Markdown (tables, headings) passes as it is; plain lines become list items.
        lines.push(/^[|#]/.test(line) ? line : `- ${line}`);
        process.stderr.write(`${line}\n`);
      });
      return [lines.join('\n')];
    },
  };
}
