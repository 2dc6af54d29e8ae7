// A client folder that grows round by round, recorded into the client's log through the store (LogBuilder), for the
// push fault tests: each round adds files, rewrites one and deletes one, so a push always has something left to do
// when a kill lands. Also: what a log holds as comparable rows, and the check every push fault test ends with.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { EntryRecord } from '../../src/record/index.js';
import { openStore } from '../../src/store/index.js';
import { LogBuilder } from '../integration/receiver-log-builder.js';
import { seededBytes } from './seeded-bytes.js';
import { snapshotTree } from './tree-snapshot.js';

export class GrowingTree {
  private round = 0;
  private readonly alive: string[] = [];

  constructor(
    readonly sourceDir: string,
    readonly logDir: string,
  ) {}

  /** Writes `files` files (every 50th one 1-2 MB, the rest 1-60 KB, in 8 folders) and records them in one go. */
  async grow(files: number): Promise<void> {
    const round = this.round++;
    const rels: string[] = [];
    for (let i = 0; i < files; i++) {
      const dir = `d${i % 8}`;
      await mkdir(join(this.sourceDir, dir), { recursive: true });
      const rel = `${dir}/r${round}-f${i}.bin`;
      const size = i % 50 === 7 ? 1_000_000 + ((i * 7919) % 1_000_000) : 1000 + ((i * 7919 + round * 104_729) % 60_000);
      await writeFile(join(this.sourceDir, rel), seededBytes(size, round * 100_003 + i + 1));
      rels.push(rel);
    }
    if (this.alive.length > 1) {
      // A rewrite of an earlier file and a delete of another: versions of paths the server already holds.
      const rewritten = this.alive[round % this.alive.length]!;
      await writeFile(join(this.sourceDir, rewritten), seededBytes(5000 + round, 900_000 + round));
      const deleted = this.alive.splice((round * 7) % this.alive.length, 1)[0]!;
      if (deleted !== rewritten) {
        await rm(join(this.sourceDir, deleted));
        rels.push(rewritten, deleted);
      } else rels.push(rewritten);
    }
    this.alive.push(...rels.filter((rel) => rel.includes(`r${round}-`)));
    const builder = await LogBuilder.open(this.logDir, this.sourceDir);
    try {
      const dirs = [...new Set(rels.map((rel) => rel.split('/')[0]!))];
      await builder.record(...(round === 0 ? dirs : []), ...rels);
    } finally {
      await builder.close();
    }
  }
}

export interface EntryRow {
  versionId: string;
  seq: number;
  originSeq?: number;
}

/** The version and delete records of a log, in log order. */
export async function entryRows(logDir: string): Promise<EntryRow[]> {
  const store = await openStore(logDir, { readOnly: true, workers: 0 });
  const rows: EntryRow[] = [];
  try {
    for await (const { seq, record } of store.entries({ kinds: ['version', 'delete'] })) {
      const entry = record as EntryRecord;
      rows.push({ versionId: entry.versionId, seq, ...(entry.origin ? { originSeq: entry.origin.seq } : {}) });
    }
  } finally {
    await store.close();
  }
  return rows;
}

/**
 * The server's log holds every version of the client's log exactly once and in the client's order, each stamped
 * with the client seq it came from; and (when given) the server's tree equals the client's folder.
 */
export async function expectPushedExactlyOnce(clientLog: string, serverLog: string, trees?: { out: string; sourceDir: string }): Promise<void> {
  const client = await entryRows(clientLog);
  const server = await entryRows(serverLog);
  expect(server.map((row) => row.versionId)).toEqual(client.map((row) => row.versionId));
  expect(server.map((row) => row.originSeq)).toEqual(client.map((row) => row.seq));
  if (trees) expect(await snapshotTree(trees.out)).toEqual(await snapshotTree(trees.sourceDir));
}
