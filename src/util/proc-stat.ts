// The fields of a Linux /proc/<pid>/stat line. The command name (field 2) is in parentheses and may hold spaces or
// parentheses itself, so the fields are counted from the last ')'. Pure: the caller reads the file.

/**
 * The fields from field 3 (state) on: index i is field i + 3 (proc(5)), so start time (field 22) is index 19 and
 * utime (field 14) index 11. Undefined for a line without the command's closing parenthesis.
 */
export function procStatFields(line: string): string[] | undefined {
  const end = line.lastIndexOf(')');
  return end < 0 ? undefined : line.slice(end + 2).split(' ');
}
