// The text of a config file as a plain document: TOML through smol-toml, or JSON for a FILE.json (docs/config.md
// "Why TOML"), with the line of every key (config-lines.ts). A syntax error is one problem with its line; what the
// document means is config.ts's to judge. Pure.
import { parse, TomlError } from 'smol-toml';
import { jsonErrorLine, KeyLines } from './config-lines.js';

export type Table = Record<string, unknown>;

export function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

export function isJsonFile(file: string): boolean {
  return file.toLowerCase().endsWith('.json');
}

export interface ParsedText {
  document: Table;
  lines: KeyLines;
  /** JSON member names given twice in one object (TOML refuses those itself). */
  duplicates: { key: string; line: number }[];
}

/** The document and its key lines, or the one syntax problem (with its line) that stops the file being read. */
export function parseConfigText(text: string, file: string): ParsedText | { problem: { line: number | undefined; message: string } } {
  return isJsonFile(file) ? parseJson(text) : parseToml(text);
}

function parseToml(text: string): ParsedText | { problem: { line: number | undefined; message: string } } {
  try {
    return { document: parse(text) as Table, lines: KeyLines.scan(text), duplicates: [] };
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const reason = (error.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '');
    return { problem: { line: error.line, message: `not valid TOML: ${reason}` } };
  }
}

function parseJson(text: string): ParsedText | { problem: { line: number | undefined; message: string } } {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    const reason = error.message.replace(/ in JSON at position \d+.*$/, '').replace(/, "[\s\S]*" is not valid JSON$/, '');
    return { problem: { line: jsonErrorLine(text, error.message), message: `not valid JSON: ${reason}` } };
  }
  if (!isTable(document)) return { problem: { line: 1, message: 'expected a JSON object ({"log": …, "folders": […]})' } };
  const { lines, duplicates } = KeyLines.scanJson(text);
  return { document, lines, duplicates };
}
