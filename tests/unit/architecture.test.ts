// The import-boundary rule from STYLE.md 2.1, checked on the source: util ← log ← record ← store ←
// {watcher, receiver, archive, net, retention} ← {explorer, jetstream, sync, service} ← cli. A part imports another part only through its index.ts,
// explorer/model never imports ink or react, and the log never imports msgpack or record types.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/run-cli.js';

const SRC = join(REPO_ROOT, 'src');
const LAYER: Record<string, number> = { util: 0, 'errors.ts': 0, log: 1, record: 2, store: 3, watcher: 4, receiver: 4, archive: 4, net: 4, retention: 4, jetstream: 5, sync: 5, explorer: 5, service: 5, cli: 6, 'index.ts': 7 };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|tsx)$/.test(name) ? [full] : [];
  });
}

function partOf(file: string): string {
  return relative(SRC, file).split('/')[0]!;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) found.push(m[1]!);
  return found;
}

describe('architecture', () => {
  const files = sourceFiles(SRC);
  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it('imports flow only down the layers, through index.ts', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = partOf(file);
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(file), spec);
        const to = partOf(target);
        if (to === from) continue;
        const fromLayer = LAYER[from];
        const toLayer = LAYER[to];
        if (fromLayer === undefined || toLayer === undefined) continue;
        if (toLayer > fromLayer || (toLayer === fromLayer && from !== to && to !== 'util' && to !== 'errors.ts')) {
          violations.push(`${relative(SRC, file)} imports ${spec} (${from} → ${to})`);
        }
        const rest = relative(join(SRC, to), target);
        const throughIndex = rest === 'index.js' || rest === 'index.ts' || to === 'util' || to === 'errors.ts' || rest.endsWith('types.js');
        if (!throughIndex) violations.push(`${relative(SRC, file)} reaches into ${to}/${rest} instead of ${to}/index`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps the log payload-agnostic and the explorer model free of ink/react', () => {
    const bad: string[] = [];
    for (const file of files) {
      const rel = relative(SRC, file);
      const specs = importsOf(file);
      if (rel.startsWith('log/') && specs.some((s) => s.includes('msgpack') || s.includes('/record'))) bad.push(rel);
      if (rel.startsWith('explorer/model/') && specs.some((s) => s === 'ink' || s === 'react' || s.startsWith('ink-'))) bad.push(rel);
    }
    expect(bad).toEqual([]);
  });
});
