// Colours, and the switch that turns them off (NO_COLOR, or a non-colour terminal): components ask for a role
// ('folder', 'add', 'error'…) and get Ink text props, or none at all when colour is off, so no colour codes are
// written then.
import { createContext, useContext } from 'react';
import type { TextProps } from 'ink';

export type Role =
  | 'title'
  | 'subtitle'
  | 'folder'
  | 'deleted'
  | 'selected'
  | 'marked'
  | 'add'
  | 'remove'
  | 'hunk'
  | 'header'
  | 'note'
  | 'info'
  | 'error'
  | 'busy'
  | 'hint'
  | 'warning';

const STYLES: Record<Role, TextProps> = {
  title: { color: 'cyan', bold: true },
  subtitle: { color: 'gray' },
  folder: { color: 'blue' },
  deleted: { color: 'gray' },
  selected: { inverse: true },
  marked: { color: 'yellow' },
  add: { color: 'green' },
  remove: { color: 'red' },
  hunk: { color: 'cyan' },
  header: { bold: true },
  note: { color: 'yellow' },
  info: { color: 'green' },
  error: { color: 'red', bold: true },
  busy: { color: 'yellow' },
  hint: { color: 'gray' },
  warning: { color: 'yellow', bold: true },
};

export const ColourContext = createContext(true);

/** Text props for a role; empty when colour is off. */
export function useRole(): (role: Role | undefined) => TextProps {
  const colour = useContext(ColourContext);
  return (role) => (colour && role ? STYLES[role] : {});
}

/** NO_COLOR (any non-empty value, per no-color.org) turns colour off. */
export function colourWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return !(env.NO_COLOR !== undefined && env.NO_COLOR !== '');
}
