// Owner names for version records: uid → user name, read once from /etc/passwd (falling back to os.userInfo for
// the current user) and cached. Never throws: an unknown uid simply has no name.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';

/** Parses passwd(5) text into uid → name (first entry wins, as getpwuid does). Pure. */
export function parsePasswd(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const fields = line.split(':');
    const uid = Number(fields[2]);
    if (fields.length >= 3 && fields[0] && Number.isInteger(uid) && !names.has(uid)) names.set(uid, fields[0]);
  }
  return names;
}

export class OwnerLookup {
  private names: Map<number, string> | undefined;

  constructor(private readonly passwdPath = '/etc/passwd') {}

  /** The user name for `uid`, or undefined when the system does not know it. */
  nameOf(uid: number): string | undefined {
    if (!this.names) this.names = this.load();
    return this.names.get(uid);
  }

  private load(): Map<number, string> {
    let names = new Map<number, string>();
    try {
      names = parsePasswd(readFileSync(this.passwdPath, 'utf8'));
    } catch {
      // No passwd file (containers, Windows): only the current user can be named.
    }
    try {
      const me = userInfo();
      if (me.uid >= 0 && !names.has(me.uid)) names.set(me.uid, me.username);
    } catch {
      // userInfo throws when the current uid has no entry at all.
    }
    return names;
  }
}
