// A scrollable document: a preview (text or hex) or a unified diff, coloured by line kind. Only the visible lines
// are rendered.
import { Box } from 'ink';
import { fitEnd, type DocumentState } from '../model/index.js';
import { Line } from './Line.js';
import type { Role } from './Theme.js';

const ROLE: Record<DocumentState['lines'][number]['kind'], Role | undefined> = {
  text: undefined,
  hex: undefined,
  context: undefined,
  add: 'add',
  remove: 'remove',
  hunk: 'hunk',
  header: 'header',
  note: 'note',
};

export function DocumentView({ document, height, width }: { document: DocumentState; height: number; width: number }) {
  const visible = document.lines.slice(document.top, document.top + height);
  return (
    <Box flexDirection="column" height={height}>
      {visible.map((line, i) => (
        <Line key={document.top + i} text={fitEnd(line.text, width)} role={ROLE[line.kind]} />
      ))}
    </Box>
  );
}
