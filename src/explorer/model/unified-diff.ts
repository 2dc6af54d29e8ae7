// A unified diff of two text versions as typed lines the diff view colours (header, hunk, added, removed,
// context). Built on the `diff` package (jsdiff); pure. A diff that would take too long is reported, not hung on.
import { createTwoFilesPatch } from 'diff';
import { displayLine } from './content-kind.js';

export type DiffLineKind = 'header' | 'hunk' | 'add' | 'remove' | 'context' | 'note';

export interface DiffLine {
  kind: DiffLineKind;
  text: string;
}

export interface DiffSide {
  label: string;
  text: string;
}

/** Longest a single diff may compute before it gives up (a pathological pair of files must not freeze the UI). */
export const DIFF_TIMEOUT_MS = 2000;

function kindOf(line: string): DiffLineKind {
  if (line.startsWith('+++') || line.startsWith('---') || line.startsWith('===') || line.startsWith('Index:')) return 'header';
  if (line.startsWith('@@')) return 'hunk';
  if (line.startsWith('+')) return 'add';
  if (line.startsWith('-')) return 'remove';
  if (line.startsWith('\\')) return 'note';
  return 'context';
}

/** Unified diff lines (3 lines of context) from `before` to `after`. */
export function unifiedDiff(before: DiffSide, after: DiffSide): DiffLine[] {
  if (before.text === after.text) return [{ kind: 'note', text: 'The two versions have identical content.' }];
  const patch = createTwoFilesPatch(before.label, after.label, before.text, after.text, undefined, undefined, {
    context: 3,
    timeout: DIFF_TIMEOUT_MS,
  });
  if (patch === undefined) return [{ kind: 'note', text: `The diff took longer than ${DIFF_TIMEOUT_MS} ms and was stopped.` }];
  const lines = patch.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  // jsdiff starts with an "Index:"/"====" banner when both names are equal; the +++/--- lines say it already.
  return lines.filter((line) => !line.startsWith('====')).map((line) => ({ kind: kindOf(line), text: displayLine(line) }));
}
