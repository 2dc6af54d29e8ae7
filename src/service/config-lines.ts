// Where each key of a TOML config file is written: a map from a key path as errors name it (`folders[1].exclude`,
// `serve.listen`) to its 1-based line. The parser (smol-toml) returns plain values without positions, so this light
// scanner reads the text a second time for table headers and `key =` lines. It never decides what the file means:
// a key it cannot place (inside an inline table, say) is found through its nearest placed parent, so an error
// names the line of the enclosing table rather than none. Pure.

/** Line of every key path the scanner could place; `lineOf` looks a path up with the parent fallback. */
export class KeyLines {
  private constructor(private readonly lines: ReadonlyMap<string, number>) {}

  static scan(text: string): KeyLines {
    return new KeyLines(scanKeyLines(text));
  }

  /** The line of `path`, else of its nearest parent that has one, else undefined. */
  lineOf(path: string): number | undefined {
    for (let p: string | undefined = path; p !== undefined && p !== ''; p = parentOf(p)) {
      const line = this.lines.get(p);
      if (line !== undefined) return line;
    }
    return undefined;
  }
}

/** `a.b[2].c` → `a.b[2]` → `a.b` → `a` → undefined. */
export function parentOf(path: string): string | undefined {
  const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
  return cut <= 0 ? undefined : path.slice(0, cut);
}

const BARE_KEY = /^[A-Za-z0-9_-]+/;

/** Splits `a."b.c".d` into its parts (quotes removed); undefined when it is not a key. */
function parseDottedKey(text: string): { parts: string[]; rest: string } | undefined {
  const parts: string[] = [];
  let rest = text.trimStart();
  for (;;) {
    let part: string;
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      const end = rest.indexOf(quote, 1);
      if (end < 0) return undefined;
      part = rest.slice(1, end);
      rest = rest.slice(end + 1);
    } else {
      const bare = BARE_KEY.exec(rest);
      if (!bare) return undefined;
      part = bare[0];
      rest = rest.slice(part.length);
    }
    parts.push(part);
    rest = rest.trimStart();
    if (rest[0] !== '.') return { parts, rest };
    rest = rest.slice(1).trimStart();
  }
}

function scanKeyLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  const arrayCounts = new Map<string, number>();
  let table = '';
  let inMultiline: string | undefined;
  const rows = text.split(/\r?\n/);
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]!;
    if (inMultiline !== undefined) {
      if (row.includes(inMultiline)) inMultiline = undefined;
      continue;
    }
    const trimmed = row.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const line = index + 1;
    if (trimmed.startsWith('[[')) {
      const key = parseDottedKey(trimmed.slice(2));
      if (!key) continue;
      const name = key.parts.join('.');
      const n = arrayCounts.get(name) ?? 0;
      arrayCounts.set(name, n + 1);
      table = `${name}[${n}]`;
      if (!lines.has(name)) lines.set(name, line);
      lines.set(table, line);
      continue;
    }
    if (trimmed.startsWith('[')) {
      const key = parseDottedKey(trimmed.slice(1));
      if (!key) continue;
      table = key.parts.join('.');
      lines.set(table, line);
      continue;
    }
    const key = parseDottedKey(trimmed);
    if (!key || key.rest[0] !== '=') continue;
    const path = table === '' ? key.parts.join('.') : `${table}.${key.parts.join('.')}`;
    if (!lines.has(path)) lines.set(path, line);
    const value = key.rest.slice(1);
    for (const delimiter of ['"""', "'''"]) {
      const at = value.indexOf(delimiter);
      if (at >= 0 && value.indexOf(delimiter, at + 3) < 0) inMultiline = delimiter;
    }
  }
  return lines;
}
