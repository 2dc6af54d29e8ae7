// Cursor and scroll arithmetic for virtualised lists: only rows [top, top + height) are ever rendered, and the
// cursor always stays inside that window. Pure integer functions; every result is clamped to the list.

export const MOVES = ['up', 'down', 'pageUp', 'pageDown', 'top', 'bottom'] as const;
export type Move = (typeof MOVES)[number];

/**
 * Screen lines not given to a view's body: the title line, the sub-title line, the status line, and one spare line
 * so the frame never fills the terminal (Ink clears the whole screen on every render of a frame that does).
 */
export const CHROME_LINES = 4;

/** Lines left for a view's body on a terminal `height` lines tall (at least 1). */
export function bodyHeight(height: number): number {
  return Math.max(1, height - CHROME_LINES);
}

export function clampIndex(index: number, count: number): number {
  if (count <= 0) return 0;
  return Math.min(Math.max(0, index), count - 1);
}

/** The cursor after a move in a list of `count` rows shown `height` at a time. */
export function moveCursor(cursor: number, move: Move, count: number, height: number): number {
  const page = Math.max(1, height - 1);
  switch (move) {
    case 'up':
      return clampIndex(cursor - 1, count);
    case 'down':
      return clampIndex(cursor + 1, count);
    case 'pageUp':
      return clampIndex(cursor - page, count);
    case 'pageDown':
      return clampIndex(cursor + page, count);
    case 'top':
      return 0;
    case 'bottom':
      return clampIndex(count - 1, count);
  }
}

/** The first visible row: unchanged when the cursor is already visible, else scrolled just enough to show it. */
export function scrollTop(cursor: number, top: number, height: number, count: number): number {
  const maxTop = Math.max(0, count - height);
  let next = Math.min(Math.max(0, top), maxTop);
  if (cursor < next) next = cursor;
  else if (cursor >= next + height) next = cursor - height + 1;
  return Math.min(Math.max(0, next), maxTop);
}

/** Scrolling a document with no cursor (preview, diff, help): the new first line. */
export function scrollDocument(top: number, move: Move, lineCount: number, height: number): number {
  const maxTop = Math.max(0, lineCount - height);
  const page = Math.max(1, height - 1);
  const next =
    move === 'up' ? top - 1 : move === 'down' ? top + 1 : move === 'pageUp' ? top - page : move === 'pageDown' ? top + page : move === 'top' ? 0 : maxTop;
  return Math.min(Math.max(0, next), maxTop);
}

/** A list position: where the cursor is and which row is first on screen. */
export interface ListPosition {
  cursor: number;
  top: number;
}

export function moveList(position: ListPosition, move: Move, count: number, height: number): ListPosition {
  const cursor = moveCursor(position.cursor, move, count, height);
  return { cursor, top: scrollTop(cursor, position.top, height, count) };
}

/** Puts the cursor on `index` (clamped) and scrolls to show it. */
export function placeCursor(position: ListPosition, index: number, count: number, height: number): ListPosition {
  const cursor = clampIndex(index, count);
  return { cursor, top: scrollTop(cursor, position.top, height, count) };
}
