// Where each watch root lives on disk: the rootPath of the newest watch record for that root, read through the
// store's entries (watch records only) and kept current incrementally. Restore uses it to find a version's
// original location; a root never watched from this host has none, and restore asks for a target instead.
import { isAbsolute, relative, sep } from 'node:path';
import type { StoreApi } from '../../store/types.js';
import type { WatchRecord } from '../../record/types.js';

export type WatchReader = Pick<StoreApi, 'entries'>;

export class RootPaths {
  private readonly byRoot = new Map<string, string>();
  private nextSeq = 0;
  private pending: Promise<void> | undefined;

  /** `endSeq` tells how far the log is known to reach, so a later scan starts there instead of at the last watch. */
  constructor(
    private readonly store: WatchReader,
    private readonly endSeq: () => number = () => 0,
  ) {}

  /** The newest recorded absolute path of `root`, after reading any watch records appended since the last call. */
  async get(root: string): Promise<string | undefined> {
    await this.catchUp();
    return this.byRoot.get(root);
  }

  /**
   * The display path (root/rel) of a file-system path inside a watched root, using each root's newest location;
   * undefined when it is in none of them.
   */
  async displayPathOf(fsPath: string): Promise<string | undefined> {
    await this.catchUp();
    for (const [root, rootPath] of this.byRoot) {
      const rel = relative(rootPath, fsPath);
      if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) return `${root}/${rel.split(sep).join('/')}`;
    }
    return undefined;
  }

  private catchUp(): Promise<void> {
    // One scan at a time; later callers wait for it and then see its result.
    this.pending ??= this.scan().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async scan(): Promise<void> {
    const end = this.endSeq();
    for await (const stored of this.store.entries({ fromSeq: this.nextSeq, kinds: ['watch'] })) {
      const record = stored.record as WatchRecord;
      if (record.kind === 'watch' && record.rootPath.length > 0) this.byRoot.set(record.root, record.rootPath);
      this.nextSeq = stored.seq + 1;
    }
    this.nextSeq = Math.max(this.nextSeq, end);
  }
}
