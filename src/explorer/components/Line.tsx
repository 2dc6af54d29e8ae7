// One screen line: text already fitted to the width, in one colour role. Never wraps (a wrapped line would push the
// layout past the terminal height).
import { Text } from 'ink';
import { useRole, type Role } from './Theme.js';

export function Line({ text, role }: { text: string; role?: Role | undefined }) {
  const style = useRole();
  return (
    <Text wrap="truncate-end" {...style(role)}>
      {text.length > 0 ? text : ' '}
    </Text>
  );
}
