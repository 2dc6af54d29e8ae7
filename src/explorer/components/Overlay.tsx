// Overlays that take the body's place: help (every key, from the keymap), the restore confirmation (what will be
// written and what it overwrites), the export menu and text prompts.
import { Box } from 'ink';
import { describeRestore, fitEnd, fitStart, helpLines, wrap, type Overlay } from '../model/index.js';
import { Line } from './Line.js';

export function OverlayView({ overlay, height, width }: { overlay: Overlay; height: number; width: number }) {
  const fitToWidth = (text: string) => fitEnd(text, width);
  let body: { text: string; role?: 'header' | 'warning' | 'hint' | 'note' }[];
  switch (overlay.kind) {
    case 'help': {
      const lines = helpLines();
      body = lines.slice(overlay.top).map((text) => ({ text }));
      break;
    }
    case 'confirm-restore': {
      const { action, consequence } = describeRestore(overlay.plan);
      body = [
        { text: 'Restore', role: 'header' },
        ...wrap(action, width).map((text) => ({ text })),
        ...wrap(consequence, width).map((text) => ({ text, role: overlay.plan.existing ? ('warning' as const) : undefined })),
        { text: '' },
        { text: 'y restore · o restore to another path · n or Esc cancel', role: 'hint' },
      ];
      break;
    }
    case 'export-menu':
      body = [
        { text: `Export from ${overlay.version.record.root}/${overlay.version.record.path}`, role: 'header' },
        { text: `v  this version (${overlay.version.record.versionId})` },
        { text: 'h  the history of this file (every version)' },
        { text: "t  the whole tree as it was at this version's time" },
        { text: '' },
        { text: 'Esc cancel', role: 'hint' },
      ];
      break;
    case 'prompt':
      body = [
        { text: overlay.label, role: 'header' },
        { text: fitStart(`${overlay.value}▏`, width) },
        { text: '' },
        { text: 'Enter accept · Esc cancel · ctrl-u clear', role: 'hint' },
      ];
      break;
  }
  return (
    <Box flexDirection="column" height={height}>
      {body.slice(0, height).map((line, i) => (
        <Line key={i} text={fitToWidth(line.text)} role={line.role} />
      ))}
    </Box>
  );
}
