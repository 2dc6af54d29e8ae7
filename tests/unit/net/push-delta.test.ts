// Version deltas (docs/protocol.md "Version deltas"): a chunk list as runs of a base's chunks and literals, and its
// wire form in a record push. The expansion refuses a delta that reaches outside its base or its literals, leaves
// literals unused, or grows beyond its limit; a delta that would not be smaller than the list is not made.
import { describe, expect, it } from 'vitest';
import { chunkDelta, decodeRecordsBody, DeltaError, encodeRecordHeadForPush, encodeRecordsHead, expandChunkDelta, PushBodyError, type PushedRecord } from '../../../src/net/push-protocol.js';

const chunk = (n: number) => ({ id: new Uint8Array(32).fill(n), size: 1000 + n });

describe('chunkDelta / expandChunkDelta', () => {
  it('an edit in the middle is two copies around one literal, and expands back to the list', () => {
    const base = Array.from({ length: 100 }, (_, i) => chunk(i));
    const edited = [...base.slice(0, 50), chunk(200), ...base.slice(51)];
    const delta = chunkDelta(base, edited)!;
    expect(delta.ops).toEqual([{ copyFrom: 0, count: 50 }, { literals: 1 }, { copyFrom: 51, count: 49 }]);
    expect(delta.literals).toEqual([chunk(200)]);
    expect(expandChunkDelta(delta.ops, base, delta.literals, 1000)).toEqual(edited);
  });

  it('is not made when most chunks are new', () => {
    expect(chunkDelta([chunk(1), chunk(2)], [chunk(3), chunk(4), chunk(1)])).toBeUndefined();
  });

  it('refuses a copy outside the base, literals overrun or left over, and an expansion past the limit', () => {
    const base = [chunk(1), chunk(2)];
    expect(() => expandChunkDelta([{ copyFrom: 1, count: 2 }], base, [], 10)).toThrow(DeltaError);
    expect(() => expandChunkDelta([{ literals: 2 }], base, [chunk(3)], 10)).toThrow(DeltaError);
    expect(() => expandChunkDelta([{ copyFrom: 0, count: 1 }], base, [chunk(3)], 10)).toThrow(/unused/);
    expect(() => expandChunkDelta(Array.from({ length: 6 }, () => ({ copyFrom: 0, count: 2 })), base, [], 10)).toThrow(/beyond 10/);
    expect(() => expandChunkDelta([{ copyFrom: 0, count: 0 }], base, [], 10)).toThrow(DeltaError);
  });
});

describe('version delta messages in a record push', () => {
  it('round-trips next to a whole record, and a cut delta head is refused', () => {
    const whole: PushedRecord = { seq: 4, tag: 2, payload: Uint8Array.of(0x80) };
    const delta: PushedRecord = { seq: 9, tag: 2, payload: Uint8Array.of(0x81, 0xa1, 0x61, 0x01), delta: { baseSeq: 4, ops: [{ copyFrom: 3, count: 7 }, { literals: 2 }] } };
    const body = Buffer.concat([encodeRecordsHead('0-1111111111111111'), ...[whole, delta].flatMap((r) => [encodeRecordHeadForPush(r), r.payload]), Uint8Array.of(3)]);
    const decoded = decodeRecordsBody(body);
    expect(decoded.records.map((r) => ({ ...r, payload: [...r.payload] }))).toEqual([whole, delta].map((r) => ({ ...r, payload: [...r.payload] })));
    expect(() => decodeRecordsBody(body.subarray(0, body.length - 12))).toThrow(PushBodyError);
  });
});
