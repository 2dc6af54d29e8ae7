// The one way sizes are written for people (CLI lines, tables, the explorer, messages). Binary units, like ls -h.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/**
 * `512 B`, `1.5 KiB`, `12.0 MiB`. `compact` drops the decimal from 10 units up (`12 MiB`): at most 8 characters, for
 * the explorer's fixed-width columns.
 */
export function formatSize(bytes: number, options: { compact?: boolean } = {}): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} B`;
  const digits = options.compact && value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}
