// Types for scripts/doc-fields.mjs (imported by test/docs/fields.test.ts).
export declare const TASK_DOCS: Record<'foley' | 'upscale' | 'interpolate' | 'animate', string>;
export declare function begin(task: string): string;
export declare function end(task: string): string;
export declare function renderFieldTable(schema: object, task: string): string;
export declare function spliceFieldTable(doc: string, schema: object, task: string): string;
