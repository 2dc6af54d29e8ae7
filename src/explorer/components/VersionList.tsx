// The versions of one path, newest first: id, time, event, size, who; '*' marks versions picked for a diff, and
// '[forgotten]' versions a forget named (until a prune removes them).
import { Box } from 'ink';
import { versionRowText, type VersionsState } from '../model/index.js';
import { Line } from './Line.js';

export function VersionList({ versions, height, width }: { versions: VersionsState; height: number; width: number }) {
  const { items, list, marks } = versions;
  const visible = items.slice(list.top, list.top + height);
  return (
    <Box flexDirection="column" height={height}>
      {visible.map((item, i) => {
        const selected = list.top + i === list.cursor;
        const marked = marks.includes(item.record.versionId);
        const forgotten = versions.forgotten.includes(item.record.versionId);
        const role = selected ? 'selected' : marked ? 'marked' : item.record.kind === 'delete' ? 'deleted' : undefined;
        return <Line key={item.record.versionId} text={versionRowText(item, selected, marked, width, forgotten)} role={role} />;
      })}
    </Box>
  );
}
