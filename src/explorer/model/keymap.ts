// Every key the explorer answers to, in one table: the key handler reads it and the help overlay prints it, so the
// two cannot drift apart. Keys are described by a KeyInput (what Ink's useInput reports), never by ink itself.

/** A key press: the typed text and the special keys (Ink's `Key` has this shape). */
export interface KeyInput {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  backspace?: boolean;
  delete?: boolean;
  tab?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  shift?: boolean;
}

export const INTENTS = [
  'up',
  'down',
  'pageUp',
  'pageDown',
  'top',
  'bottom',
  'left',
  'right',
  'open',
  'back',
  'filter',
  'layout',
  'mark',
  'preview',
  'diff',
  'restore',
  'restoreTo',
  'export',
  'import',
  'help',
  'quit',
] as const;
export type Intent = (typeof INTENTS)[number];

export interface KeyBinding {
  /** How the help overlay names the keys. */
  keys: string;
  intent: Intent;
  help: string;
}

/** The key table, in the order the help overlay lists it. */
export const KEYMAP: readonly KeyBinding[] = [
  { keys: '↑ k', intent: 'up', help: 'move up' },
  { keys: '↓ j', intent: 'down', help: 'move down' },
  { keys: 'PgUp ctrl-b', intent: 'pageUp', help: 'page up' },
  { keys: 'PgDn ctrl-f', intent: 'pageDown', help: 'page down' },
  { keys: 'g Home', intent: 'top', help: 'go to the first row' },
  { keys: 'G End', intent: 'bottom', help: 'go to the last row' },
  { keys: '← h', intent: 'left', help: 'collapse folder / go to parent / back' },
  { keys: '→ l', intent: 'right', help: 'expand folder / open' },
  { keys: 'Enter', intent: 'open', help: 'open the versions of a path; preview a version' },
  { keys: 'Esc', intent: 'back', help: 'back out (close, clear the filter, previous view)' },
  { keys: '/', intent: 'filter', help: 'filter paths (or just start typing); Enter keeps it, Esc clears' },
  { keys: 't', intent: 'layout', help: 'switch between tree and flat list' },
  { keys: 'space', intent: 'mark', help: 'mark a version for diff (mark two)' },
  { keys: 'p', intent: 'preview', help: 'preview the version (newest one in the path list)' },
  { keys: 'd', intent: 'diff', help: 'diff the two marked versions, or this one against the previous' },
  { keys: 'r', intent: 'restore', help: 'restore the version to its original path (asks first)' },
  { keys: 'R', intent: 'restoreTo', help: 'restore the version to another path (asks first)' },
  { keys: 'e', intent: 'export', help: 'export: this version, the file history, or the tree at its time' },
  { keys: 'i', intent: 'import', help: 'import an archive into the log' },
  { keys: '?', intent: 'help', help: 'show or hide this help' },
  { keys: 'q ctrl-c', intent: 'quit', help: 'quit' },
];

const CHAR_INTENTS: Readonly<Record<string, Intent>> = {
  k: 'up',
  j: 'down',
  g: 'top',
  G: 'bottom',
  h: 'left',
  l: 'right',
  '/': 'filter',
  t: 'layout',
  ' ': 'mark',
  p: 'preview',
  d: 'diff',
  r: 'restore',
  R: 'restoreTo',
  e: 'export',
  i: 'import',
  '?': 'help',
  q: 'quit',
};

/** The intent of a key press outside text entry, or undefined (unbound). */
export function intentOf(input: string, key: KeyInput): Intent | undefined {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pageUp';
  if (key.pageDown) return 'pageDown';
  if (key.home) return 'top';
  if (key.end) return 'bottom';
  if (key.return) return 'open';
  if (key.escape) return 'back';
  if (key.ctrl) return input === 'c' ? 'quit' : input === 'b' ? 'pageUp' : input === 'f' ? 'pageDown' : undefined;
  if (key.meta || key.tab) return undefined;
  return CHAR_INTENTS[input];
}

/** Printable text a key press types into a filter or prompt ('' for special keys). */
export function typedText(input: string, key: KeyInput): string {
  if (key.ctrl || key.meta || key.return || key.escape || key.tab || key.backspace || key.delete) return '';
  if (key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.pageUp || key.pageDown) return '';
  // Pasted text arrives as one string; keep its printable characters only.
  return input.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
}

/** Keys that only mean something inside one dialog (listed in the help too). */
export const DIALOG_KEYS: readonly { keys: string; help: string }[] = [
  { keys: 'y / o / n', help: 'restore confirmation: restore / to another path / cancel' },
  { keys: 'v / h / t', help: 'export menu: version / file history / tree at its time' },
  { keys: 'ctrl-u', help: 'clear the filter or a prompt; Backspace deletes a character' },
];

/** The help overlay's lines: every key of the table, then the dialog keys. */
export function helpLines(): string[] {
  const width = Math.max(...KEYMAP.map((b) => b.keys.length), ...DIALOG_KEYS.map((b) => b.keys.length));
  return [...KEYMAP, ...DIALOG_KEYS].map((b) => `${b.keys.padEnd(width)}  ${b.help}`);
}

/**
 * One key event per key. Terminals deliver several keys in one read when they come fast (a paste, `tmux
 * send-keys G Enter`), and Ink reports such a read as one input string; ESC followed by a key arrives as that key
 * with meta set. Splitting them back makes "G⏎" move to the end and then open, instead of typing "G⏎".
 */
export function splitKeys(input: string, key: KeyInput): { input: string; key: KeyInput }[] {
  const special =
    key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.pageUp || key.pageDown || key.home || key.end || key.return || key.escape || key.backspace || key.delete || key.tab || key.ctrl;
  if (special) return [{ input, key }];
  const out: { input: string; key: KeyInput }[] = [];
  if (key.meta) out.push({ input: '', key: { escape: true } });
  for (const ch of input) {
    if (ch === '\r' || ch === '\n') out.push({ input: '', key: { return: true } });
    else if (ch === '\u007f' || ch === '\b') out.push({ input: '', key: { backspace: true } });
    else if (ch === '\t') out.push({ input: '', key: { tab: true } });
    else if (ch === '\u001b') out.push({ input: '', key: { escape: true } });
    else if (ch >= ' ') out.push({ input: ch, key: { shift: ch !== ch.toLowerCase() } });
  }
  return out;
}
