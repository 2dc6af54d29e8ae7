// One screen line: text already fitted to the width, in one colour role. Never wraps (a wrapped line would push the
// layout past the terminal height). The last guard before the terminal: a control character in the text (a name the
// model forgot to escape) is shown as a visible escape, never written raw.
import { Text } from 'ink';
import { visibleText } from '../../util/display-name.js';
import { useRole, type Role } from './Theme.js';

export function Line({ text, role }: { text: string; role?: Role | undefined }) {
  const style = useRole();
  return (
    <Text wrap="truncate-end" {...style(role)}>
      {text.length > 0 ? visibleText(text) : ' '}
    </Text>
  );
}
