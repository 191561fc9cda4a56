/**
 * @module A restricted unpickler for `torch.save`'s data.pkl, written here rather than trusting
 * any general one: it knows only the opcodes state dicts use (protocol 2, plus protocol 4's
 * STACK_GLOBAL/MEMOIZE/FRAME) and builds plain values. A global is looked up in the caller's
 * allow-list the moment it is named (GLOBAL, STACK_GLOBAL); any other name is `MODEL_UNSAFE`
 * naming it, before anything is called — which is also all that ever gets "called": the caller's
 * handler for an allowed name, with the argument tuple's values. This is the rule
 * `torch.load(weights_only=True)` applies, minus everything a state dict does not need.
 * Opcodes that reach the extension registry or call classes (INST, OBJ, NEWOBJ, EXT*) are
 * `MODEL_UNSAFE`; unknown or malformed bytes are `MODEL_LOAD_FAILED`. Memory is bounded by the
 * pickle's size: every opcode reads at least one byte and makes at most one value.
 */
import { WorkerError } from '../../errors.js';

/** A tuple (immutable in Python; kept apart from lists so a persistent id or argument list is recognisable). */
export class PickleTuple {
  constructor(readonly items: readonly unknown[]) {}
}

/** An allowed global, as a value (a storage type inside a persistent id). */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** What REDUCE does with an allowed global's arguments; `null`: the global may be named, not called. */
export type PickleCallable = ((args: readonly unknown[]) => unknown) | null;

export interface UnpickleOptions {
  /** The file's base name, for messages. */
  file: string;
  /** `module.name` → its handler. Any name not here is refused. */
  globals: ReadonlyMap<string, PickleCallable>;
  /** BINPERSID: the persistent id (torch: a storage tuple) → its value. */
  persistentLoad(pid: unknown): unknown;
  /** Values the pickle may make before it is refused (each opcode makes at most one; a real state dict makes ~15 per tensor). */
  maxValues: number;
}

const MARK = Symbol('mark');

/** Opcodes that resolve or call code by other ways than GLOBAL + REDUCE: refused as unsafe. */
const UNSAFE_OPCODES: Readonly<Record<number, string>> = {
  105: 'INST',
  111: 'OBJ',
  129: 'NEWOBJ',
  146: 'NEWOBJ_EX',
  130: 'EXT1',
  131: 'EXT2',
  132: 'EXT4',
  80: 'PERSID',
};

/** Decodes one pickle; returns the value STOP leaves on the stack. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  return new Machine(bytes, options).run();
}

class Machine {
  private pos = 0;
  private stack: unknown[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, unknown>();
  private values = 0;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private fail(message: string): WorkerError {
    return new WorkerError('MODEL_LOAD_FAILED', `${this.options.file}: data.pkl ${message} (at byte ${this.pos})`, {
      details: { file: this.options.file, offset: this.pos },
    });
  }

  private unsafe(what: string): WorkerError {
    return new WorkerError(
      'MODEL_UNSAFE',
      `${this.options.file}: refused to load: the pickle names ${what}, which a weights file has no reason to use; nothing was run`,
      { details: { file: this.options.file, global: what } },
    );
  }

  private take(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.bytes.length) throw this.fail(`ends inside an argument of ${n} bytes`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private u8(): number {
    return this.take(1)[0]!;
  }

  private u16(): number {
    const at = this.pos;
    this.take(2);
    return this.view.getUint16(at, true);
  }

  private u32(): number {
    const at = this.pos;
    this.take(4);
    return this.view.getUint32(at, true);
  }

  private i32(): number {
    const at = this.pos;
    this.take(4);
    return this.view.getInt32(at, true);
  }

  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw this.fail('ends inside a GLOBAL name');
    return new TextDecoder('utf-8').decode(this.take(end - this.pos + 1).subarray(0, -1));
  }

  private text(n: number): string {
    return new TextDecoder('utf-8').decode(this.take(n));
  }

  /** Every new value goes through here, so a pickle of millions of empty lists is refused, not built. */
  private push(value: unknown): void {
    if (++this.values > this.options.maxValues) throw this.fail(`makes more than ${this.options.maxValues} values`);
    this.stack.push(value);
  }

  private pop(): unknown {
    if (this.stack.length === 0) throw this.fail('pops an empty stack');
    const v = this.stack.pop();
    if (v === MARK) throw this.fail('pops a MARK');
    return v;
  }

  private top(): unknown {
    const v = this.stack[this.stack.length - 1];
    if (this.stack.length === 0 || v === MARK) throw this.fail('reads an empty stack');
    return v;
  }

  /** Everything since the last MARK, removing it and the mark. */
  private popMark(): unknown[] {
    const at = this.marks.pop();
    if (at === undefined) throw this.fail('has no MARK to pop to');
    const items = this.stack.splice(at);
    items.shift();
    return items;
  }

  private global(module: string, name: string): PickleGlobal {
    const qualified = `${module}.${name}`;
    if (!this.options.globals.has(qualified)) throw this.unsafe(qualified);
    return new PickleGlobal(module, name);
  }

  private memoGet(index: number): unknown {
    if (!this.memo.has(index)) throw this.fail(`reads memo ${index}, never stored`);
    return this.memo.get(index);
  }

  private long(n: number): number | bigint {
    let v = 0n;
    const b = this.take(n);
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (n > 0 && b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  private setItems(target: unknown, items: unknown[]): void {
    if (!(target instanceof Map)) throw this.fail('sets items on something that is not a dict');
    if (items.length % 2 !== 0) throw this.fail('has an odd number of SETITEMS values');
    for (let i = 0; i < items.length; i += 2) target.set(items[i], items[i + 1]);
  }

  private append(target: unknown, items: unknown[]): void {
    if (!Array.isArray(target)) throw this.fail('appends to something that is not a list');
    for (const item of items) target.push(item);
  }

  private reduce(): void {
    const args = this.pop();
    const callee = this.pop();
    if (!(callee instanceof PickleGlobal)) throw this.fail('calls something that is not a global');
    const handler = this.options.globals.get(callee.qualified);
    if (!handler) throw this.unsafe(`${callee.qualified} (as a call)`);
    if (!(args instanceof PickleTuple)) throw this.fail(`calls ${callee.qualified} without an argument tuple`);
    this.push(handler(args.items));
  }

  private build(): void {
    const state = this.pop();
    const target = this.top();
    // OrderedDict's state is state_dict's `_metadata` (module versions): not needed to read weights.
    if (target instanceof Map && (state instanceof Map || state === null)) return;
    throw this.fail('sets the state of something that is not a dict');
  }

  run(): unknown {
    for (;;) {
      const op = this.u8();
      switch (op) {
        case 0x80: // PROTO
          if (this.u8() > 5) throw this.fail('is a pickle protocol above 5');
          break;
        case 0x95: // FRAME: only a size hint
          this.take(8);
          break;
        case 0x2e: // STOP
          if (this.stack.length !== 1 || this.marks.length > 0) throw this.fail('stops with a stack that is not one value');
          return this.pop();
        case 0x63: // GLOBAL
          this.push(this.global(this.line(), this.line()));
          break;
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') throw this.fail('names a global with non-strings');
          this.push(this.global(module, name));
          break;
        }
        case 0x51: // BINPERSID
          this.push(this.options.persistentLoad(this.pop()));
          break;
        case 0x52: // REDUCE
          this.reduce();
          break;
        case 0x62: // BUILD
          this.build();
          break;
        case 0x28: // MARK
          this.marks.push(this.stack.length);
          this.push(MARK);
          break;
        case 0x30: // POP
          this.pop();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x74: // TUPLE
          this.push(new PickleTuple(this.popMark()));
          break;
        case 0x29: // EMPTY_TUPLE
          this.push(new PickleTuple([]));
          break;
        case 0x85: // TUPLE1
        case 0x86: // TUPLE2
        case 0x87: {
          // TUPLE3
          const n = op - 0x84;
          if (this.stack.length < n) throw this.fail('builds a tuple from too few values');
          const items = this.stack.splice(this.stack.length - n);
          if (items.includes(MARK)) throw this.fail('builds a tuple over a MARK');
          this.push(new PickleTuple(items));
          break;
        }
        case 0x7d: // EMPTY_DICT
          this.push(new Map());
          break;
        case 0x5d: // EMPTY_LIST
          this.push([]);
          break;
        case 0x6c: // LIST
          this.push(this.popMark());
          break;
        case 0x64: {
          // DICT
          const m = new Map();
          this.setItems(m, this.popMark());
          this.push(m);
          break;
        }
        case 0x61: {
          // APPEND
          const v = this.pop();
          this.append(this.top(), [v]);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark();
          this.append(this.top(), items);
          break;
        }
        case 0x73: {
          // SETITEM
          const v = this.pop();
          const k = this.pop();
          this.setItems(this.top(), [k, v]);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark();
          this.setItems(this.top(), items);
          break;
        }
        case 0x71: // BINPUT
          this.memo.set(this.u8(), this.top());
          break;
        case 0x72: // LONG_BINPUT
          this.memo.set(this.u32(), this.top());
          break;
        case 0x94: // MEMOIZE
          this.memo.set(this.memo.size, this.top());
          break;
        case 0x68: // BINGET
          this.push(this.memoGet(this.u8()));
          break;
        case 0x6a: // LONG_BINGET
          this.push(this.memoGet(this.u32()));
          break;
        case 0x4a: // BININT
          this.push(this.i32());
          break;
        case 0x4b: // BININT1
          this.push(this.u8());
          break;
        case 0x4d: // BININT2
          this.push(this.u16());
          break;
        case 0x8a: // LONG1
          this.push(this.long(this.u8()));
          break;
        case 0x47: {
          // BINFLOAT: big-endian
          const at = this.pos;
          this.take(8);
          this.push(this.view.getFloat64(at, false));
          break;
        }
        case 0x58: // BINUNICODE
          this.push(this.text(this.u32()));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(this.text(this.u8()));
          break;
        case 0x54: // BINSTRING (Python 2 str; latin-1 is what torch.load's default encoding would give)
          this.push(Buffer.from(this.take(this.i32())).toString('latin1'));
          break;
        case 0x55: // SHORT_BINSTRING
          this.push(Buffer.from(this.take(this.u8())).toString('latin1'));
          break;
        case 0x88: // NEWTRUE
          this.push(true);
          break;
        case 0x89: // NEWFALSE
          this.push(false);
          break;
        case 0x4e: // NONE
          this.push(null);
          break;
        case 0x69: // INST: module and name inline, then a call; named in the refusal
          throw this.unsafe(`${this.line()}.${this.line()} (by INST)`);
        default: {
          const unsafe = UNSAFE_OPCODES[op];
          if (unsafe) throw this.unsafe(`the opcode ${unsafe}`);
          throw this.fail(`has an opcode this reader does not take (0x${op.toString(16).padStart(2, '0')})`);
        }
      }
    }
  }
}
