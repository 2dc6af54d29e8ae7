// How the explorer writes sizes, times and ids for people. Pure; local time, fixed widths so columns line up.
import { formatSize } from '../../util/format-size.js';

/** 1023 B, 1.5 KiB, 12 MiB: at most 8 characters. */
export function formatBytes(size: number): string {
  return formatSize(size, { compact: true });
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `YYYY-MM-DD HH:MM:SS` in local time (19 characters). */
export function formatTime(timeMs: number): string {
  const d = new Date(timeMs);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Cuts `text` to `width` characters, marking the cut with '…' (keeps the end of paths, which matters most). */
export function fitStart(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  return width === 1 ? '…' : '…' + text.slice(text.length - width + 1);
}

/** Cuts `text` to `width` characters, marking the cut with '…' at the end. */
export function fitEnd(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  return width === 1 ? '…' : text.slice(0, width - 1) + '…';
}

/** Pads or cuts to exactly `width` characters. */
export function column(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const fitted = fitEnd(text, width);
  return align === 'left' ? fitted.padEnd(width) : fitted.padStart(width);
}

/** Word-wraps a sentence to `width` (long words are cut, not lost: they continue on the next line). */
export function wrap(text: string, width: number): string[] {
  if (width <= 0) return [];
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    let rest = word;
    while (rest.length > width) {
      if (line) out.push(line), (line = '');
      out.push(rest.slice(0, width));
      rest = rest.slice(width);
    }
    if (!line) line = rest;
    else if (line.length + 1 + rest.length <= width) line += ' ' + rest;
    else out.push(line), (line = rest);
  }
  if (line) out.push(line);
  return out;
}
