import { describe, expect, it } from 'vitest';
import { bodyHeight, clampIndex, moveCursor, moveList, scrollDocument, scrollTop } from '../../../src/explorer/model/index.js';

describe('viewport', () => {
  it('clamps to the list and handles an empty list', () => {
    expect(clampIndex(5, 3)).toBe(2);
    expect(clampIndex(-1, 3)).toBe(0);
    expect(clampIndex(4, 0)).toBe(0);
  });
  it('moves by one, by a page, and to both ends', () => {
    expect(moveCursor(0, 'up', 10, 5)).toBe(0);
    expect(moveCursor(0, 'down', 10, 5)).toBe(1);
    expect(moveCursor(0, 'pageDown', 10, 5)).toBe(4);
    expect(moveCursor(9, 'pageUp', 10, 5)).toBe(5);
    expect(moveCursor(3, 'bottom', 10, 5)).toBe(9);
    expect(moveCursor(3, 'top', 10, 5)).toBe(0);
  });
  it('scrolls only as far as needed to keep the cursor visible', () => {
    expect(scrollTop(3, 0, 5, 100)).toBe(0);
    expect(scrollTop(5, 0, 5, 100)).toBe(1);
    expect(scrollTop(2, 4, 5, 100)).toBe(2);
    expect(scrollTop(99, 0, 5, 100)).toBe(95);
    expect(scrollTop(0, 50, 5, 3)).toBe(0);
  });
  it('keeps the cursor inside the window over a walk through 100,000 rows', () => {
    let position = { cursor: 0, top: 0 };
    const count = 100_000;
    const height = bodyHeight(24);
    const moves = ['pageDown', 'down', 'pageDown', 'up', 'bottom', 'pageUp', 'up', 'top', 'down'] as const;
    for (let i = 0; i < 2000; i++) {
      position = moveList(position, moves[i % moves.length]!, count, height);
      expect(position.cursor).toBeGreaterThanOrEqual(position.top);
      expect(position.cursor).toBeLessThan(position.top + height);
      expect(position.top).toBeLessThanOrEqual(count - height);
    }
  });
  it('scrolls a document within its lines', () => {
    expect(scrollDocument(0, 'up', 100, 10)).toBe(0);
    expect(scrollDocument(0, 'bottom', 100, 10)).toBe(90);
    expect(scrollDocument(85, 'pageDown', 100, 10)).toBe(90);
    expect(scrollDocument(0, 'pageDown', 5, 10)).toBe(0);
  });
  it('leaves at least one body line on a tiny terminal', () => {
    expect(bodyHeight(2)).toBe(1);
    expect(bodyHeight(24)).toBe(20);
  });
});
