// Where each key of a config file is written: a map from a key path as errors name it (`folders[1].exclude`,
// `serve.listen`) to its 1-based line. The parsers (smol-toml, JSON.parse) return plain values without positions,
// so a light scanner reads the text a second time: for TOML, table headers and `key =` lines; for JSON, every
// member name and array element. It never decides what the file means: a key it cannot place (inside a TOML inline
// table, say) is found through its nearest placed parent, so an error names the line of the enclosing table rather
// than none. Pure.

/** Line of every key path the scanner could place; `lineOf` looks a path up with the parent fallback. */
export class KeyLines {
  private constructor(private readonly lines: ReadonlyMap<string, number>) {}

  static scan(text: string): KeyLines {
    return new KeyLines(scanKeyLines(text));
  }

  /**
   * The same for a JSON text JSON.parse accepted. `duplicates` are member names given twice in one object (their
   * second line): JSON.parse silently keeps the last, where TOML refuses the file, so the config reports them.
   */
  static scanJson(text: string): { lines: KeyLines; duplicates: { key: string; line: number }[] } {
    const scanner = new JsonScanner(text);
    scanner.value('');
    return { lines: new KeyLines(scanner.lines), duplicates: scanner.duplicates };
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

/** The 1-based line of a JSON syntax error: the position JSON.parse names, else the scanner's stop, else the end. */
export function jsonErrorLine(text: string, message: string): number {
  const at = /at position (\d+)/.exec(message);
  let position = at ? Number(at[1]) : text.length;
  if (!at) {
    try {
      new JsonScanner(text).value('');
    } catch (error) {
      if (error instanceof JsonStop) position = error.position;
    }
  }
  return lineAt(text, position);
}

function lineAt(text: string, position: number): number {
  let line = 1;
  for (let i = 0; i < position && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

class JsonStop extends Error {
  constructor(readonly position: number) {
    super(`JSON scan stopped at ${position}`);
  }
}

/** The text of a number, true, false or null: up to the next space, comma or closing bracket (sticky). */
const LITERAL_TEXT = /[^\s,\]}]*/y;
const JSON_LITERAL = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)$/;

/** Walks a JSON text recording the line of each member and element by key path. Stops (JsonStop) where it is not JSON. */
class JsonScanner {
  readonly lines = new Map<string, number>();
  readonly duplicates: { key: string; line: number }[] = [];
  private at = 0;
  private line = 1;

  constructor(private readonly text: string) {}

  value(path: string): void {
    this.space();
    const c = this.text[this.at];
    if (c === '{') return this.object(path);
    if (c === '[') return this.array(path);
    if (c === '"') return void this.string();
    LITERAL_TEXT.lastIndex = this.at;
    const literal = LITERAL_TEXT.exec(this.text)![0];
    if (!JSON_LITERAL.test(literal)) throw new JsonStop(this.at);
    this.at += literal.length;
  }

  private object(path: string): void {
    this.at++;
    const seen = new Set<string>();
    for (let first = true; ; first = false) {
      this.space();
      if (this.text[this.at] === '}' && first) return void this.at++;
      if (this.text[this.at] !== '"') throw new JsonStop(this.at);
      const line = this.line;
      const name = this.string();
      const key = path === '' ? name : `${path}.${name}`;
      if (seen.has(name)) this.duplicates.push({ key, line });
      seen.add(name);
      if (!this.lines.has(key)) this.lines.set(key, line);
      this.space();
      if (this.text[this.at] !== ':') throw new JsonStop(this.at);
      this.at++;
      this.value(key);
      if (this.end('}')) return;
    }
  }

  private array(path: string): void {
    this.at++;
    for (let index = 0; ; index++) {
      this.space();
      if (this.text[this.at] === ']' && index === 0) return void this.at++;
      this.lines.set(`${path}[${index}]`, this.line);
      this.value(`${path}[${index}]`);
      if (this.end(']')) return;
    }
  }

  /** After a member or element: true at the closing bracket, false after a comma. */
  private end(close: string): boolean {
    this.space();
    const c = this.text[this.at];
    if (c !== ',' && c !== close) throw new JsonStop(this.at);
    this.at++;
    return c === close;
  }

  /** Reads a string at the cursor and returns its value. */
  private string(): string {
    const start = this.at;
    for (this.at++; this.at < this.text.length; this.at++) {
      const c = this.text[this.at];
      if (c === '\\') this.at++;
      else if (c === '\n') throw new JsonStop(this.at);
      else if (c === '"') {
        this.at++;
        try {
          return JSON.parse(this.text.slice(start, this.at)) as string;
        } catch {
          throw new JsonStop(start);
        }
      }
    }
    throw new JsonStop(this.at);
  }

  private space(): void {
    for (; this.at < this.text.length; this.at++) {
      const c = this.text[this.at];
      if (c === '\n') this.line++;
      else if (c !== ' ' && c !== '\t' && c !== '\r') return;
    }
  }
}
