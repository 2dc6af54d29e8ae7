// Version deltas (docs/protocol.md "Version deltas"): a version record's chunk list written as runs copied from a
// base version's list plus the chunks the base lacks (literals). Shared by both directions of the protocol: the
// pusher sends them and the push server expands them (protocol 3); the read server sends them and the receiver
// expands them (protocol 4). Pure: no I/O. Invariant: an expansion never reads outside the base or the literals,
// uses every literal, and never grows past the caller's chunk limit; anything else is a DeltaError.
import { payloadWithChunks, type ChunkRef } from '../record/index.js';
import { PUSH_LIMITS } from '../util/limits.js';

/** A delta that does not fit its base or literals (or malformed op bytes): the receiving side refuses it. */
export class DeltaError extends Error {}

/**
 * A version's chunk list as a delta against a base version: runs of the base's chunks, and literals taken in order
 * from the record's own `chunks`. `baseSeq` names the base (its meaning is the direction's: a client seq on push, a
 * seq of the served log on read).
 */
export interface VersionDelta {
  baseSeq: number;
  ops: DeltaOp[];
}

export type DeltaOp = { copyFrom: number; count: number } | { literals: number };

const DELTA_OP = { copy: 0x00, literals: 0x01 } as const;
/** One op on the wire: `op:u8 a:u32 b:u32` (copy: from, count; literals: 0, count). */
export const DELTA_OP_BYTES = 9;

/**
 * The delta of `chunks` against `base`, or undefined when it would not be smaller than the list itself (fewer than
 * half the chunks found in the base). Literals are the chunks not in the base, in order.
 */
export function chunkDelta<T extends { id: Uint8Array }>(base: readonly { id: Uint8Array }[], chunks: readonly T[]): { ops: DeltaOp[]; literals: T[] } | undefined {
  const at = new Map<string, number>();
  base.forEach((chunk, i) => {
    const hex = Buffer.from(chunk.id).toString('hex');
    if (!at.has(hex)) at.set(hex, i);
  });
  const ops: DeltaOp[] = [];
  const literals: T[] = [];
  for (const chunk of chunks) {
    const j = at.get(Buffer.from(chunk.id).toString('hex'));
    const last = ops[ops.length - 1];
    if (j === undefined) {
      literals.push(chunk);
      if (last && 'literals' in last) last.literals++;
      else ops.push({ literals: 1 });
    } else if (last && 'copyFrom' in last && last.copyFrom + last.count === j) last.count++;
    else ops.push({ copyFrom: j, count: 1 });
  }
  return literals.length * 2 > chunks.length ? undefined : { ops, literals };
}

/** The full chunk list from a delta, its base and its literals; throws DeltaError for a delta that does not fit. */
export function expandChunkDelta<T>(ops: readonly DeltaOp[], base: readonly T[], literals: readonly T[], chunksMax: number): T[] {
  const out: T[] = [];
  let next = 0;
  for (const op of ops) {
    if ('copyFrom' in op) {
      if (op.count < 1 || op.copyFrom + op.count > base.length) throw new DeltaError(`a delta copies chunks ${op.copyFrom}..${op.copyFrom + op.count} of a base of ${base.length}`);
      if (out.length + op.count > chunksMax) throw new DeltaError(`a delta expands beyond ${chunksMax} chunks`);
      for (let i = 0; i < op.count; i++) out.push(base[op.copyFrom + i]!);
    } else {
      if (op.literals < 1 || next + op.literals > literals.length) throw new DeltaError(`a delta takes literals ${next}..${next + op.literals} of ${literals.length}`);
      if (out.length + op.literals > chunksMax) throw new DeltaError(`a delta expands beyond ${chunksMax} chunks`);
      for (let i = 0; i < op.literals; i++) out.push(literals[next++]!);
    }
  }
  if (next !== literals.length) throw new DeltaError(`a delta leaves ${literals.length - next} literal chunks unused`);
  return out;
}

/** Writes `ops` into `out` at `at` (DELTA_OP_BYTES each); returns the offset after them. */
export function writeDeltaOps(ops: readonly DeltaOp[], out: Buffer, at: number): number {
  for (const op of ops) {
    if ('copyFrom' in op) {
      out[at] = DELTA_OP.copy;
      out.writeUInt32LE(op.copyFrom, at + 1);
      out.writeUInt32LE(op.count, at + 5);
    } else {
      out[at] = DELTA_OP.literals;
      out.writeUInt32LE(0, at + 1);
      out.writeUInt32LE(op.literals, at + 5);
    }
    at += DELTA_OP_BYTES;
  }
  return at;
}

/** Reads `count` ops from `bytes` at `at` (the caller checked that `count * DELTA_OP_BYTES` bytes are there). */
export function readDeltaOps(bytes: Buffer, at: number, count: number): DeltaOp[] {
  const ops: DeltaOp[] = [];
  for (let i = 0; i < count; i++, at += DELTA_OP_BYTES) {
    const kind = bytes[at]!;
    if (kind === DELTA_OP.copy) ops.push({ copyFrom: bytes.readUInt32LE(at + 1), count: bytes.readUInt32LE(at + 5) });
    else if (kind === DELTA_OP.literals) ops.push({ literals: bytes.readUInt32LE(at + 5) });
    else throw new DeltaError(`unknown version delta op ${kind}`);
  }
  return ops;
}

/**
 * The payload a read delta stands for (docs/protocol.md "Read deltas"): the delta's payload with its literal chunks
 * replaced by the expansion against `base`. The one reconstruction: the server runs it before it sends a delta (and
 * sends the record whole unless it gives back the stored bytes exactly), the client runs it to rebuild the frame whose
 * checksum it then verifies. Throws DeltaError for ops that do not fit.
 */
export function expandVersionPayload(deltaPayload: Uint8Array, ops: readonly DeltaOp[], base: readonly ChunkRef[]): Uint8Array {
  return payloadWithChunks(deltaPayload, (literals) => expandChunkDelta(ops, base, literals, PUSH_LIMITS.deltaChunksMax));
}
