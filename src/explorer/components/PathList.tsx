// The path list (tree or flat): renders only the visible rows [top, top + height), whatever the catalog's size.
import { Box } from 'ink';
import { pathRowText, wrap, type PathRow } from '../model/index.js';
import { Line } from './Line.js';

export interface PathListProps {
  rows: readonly PathRow[];
  cursor: number;
  top: number;
  height: number;
  width: number;
  emptyText: string;
}

export function PathList({ rows, cursor, top, height, width, emptyText }: PathListProps) {
  if (rows.length === 0) {
    return (
      <Box flexDirection="column" height={height}>
        {wrap(emptyText, width)
          .slice(0, height)
          .map((text, i) => (
            <Line key={i} text={text} role="note" />
          ))}
      </Box>
    );
  }
  const visible = rows.slice(top, top + height);
  return (
    <Box flexDirection="column" height={height}>
      {visible.map((row, i) => {
        const selected = top + i === cursor;
        const role = selected ? 'selected' : row.kind === 'folder' ? 'folder' : row.entry.deleted ? 'deleted' : undefined;
        return <Line key={row.key} text={pathRowText(row, selected, width)} role={role} />;
      })}
    </Box>
  );
}
