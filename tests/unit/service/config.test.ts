// The config file: a full good file resolves to absolute paths and defaults; each kind of bad file is refused
// with the line and the key it is about, unknown keys included, and every problem is listed (not only the first).
import { describe, expect, it } from 'vitest';
import { formatConfigProblem, parseConfig, type ConfigProblem } from '../../../src/service/index.js';
import { KeyLines } from '../../../src/service/config-lines.js';
import { parseDurationMs } from '../../../src/util/duration.js';

const FILE = '/etc/synclog/synclog.toml';

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, FILE);
  } catch (error) {
    const problems = (error as { details?: { problems?: ConfigProblem[] } }).details?.problems;
    if (problems) return problems.map(formatConfigProblem);
    throw error;
  }
  throw new Error('expected the config to be refused');
}

const GOOD = `# a laptop
log = "log"

[[folders]]
path = "/home/me/docs"
exclude = ["*.tmp", "node_modules/"]

[[folders]]
path = "photos"
every = "1h"
jitter = "5m"

[serve]
listen = "127.0.0.1:0"
token_file = "tokens"

[[push]]
to = "https://backup.example:8417/"
token_file = "/etc/synclog/push-token"

[[receivers]]
out = "/srv/mirror"
mode = "all-versions"

[[receivers]]
out = "/srv/remote"
from = "http://127.0.0.1:8417/"

[[hooks]]
name = "notify"
exec = ["./bin/notify", "--quiet"]
events = ["created", "modified"]
paths = ["docs/**/*.md"]
timeout = "10s"

[[hooks]]
url = "http://127.0.0.1:9000/hook"
secret_file = "hook-secret"
retries = 3
`;

describe('service config', () => {
  it('reads a full file: paths from the config folder, defaults decided', () => {
    const config = parseConfig(GOOD, FILE);
    expect(config.log).toBe('/etc/synclog/log');
    expect(config.folders).toEqual([
      { path: '/home/me/docs', exclude: ['*.tmp', 'node_modules/'], everyMs: undefined, jitterMs: 0, poll: false, debounceMs: undefined },
      { path: '/etc/synclog/photos', exclude: [], everyMs: 3_600_000, jitterMs: 300_000, poll: false, debounceMs: undefined },
    ]);
    expect(config.serve).toMatchObject({ listen: '127.0.0.1:0', tokenFile: '/etc/synclog/tokens', acceptPush: false, insecurePublic: false });
    expect(config.push).toEqual([{ to: 'https://backup.example:8417/', tokenFile: '/etc/synclog/push-token', ca: undefined, as: [] }]);
    expect(config.receivers.map((r) => [r.out, r.mode, r.from])).toEqual([
      ['/srv/mirror', 'all-versions', undefined],
      ['/srv/remote', 'latest', 'http://127.0.0.1:8417/'],
    ]);
    expect(config.hooks[0]).toMatchObject({ name: 'notify', exec: ['/etc/synclog/bin/notify', '--quiet'], cwd: '/etc/synclog', events: ['created', 'modified'], paths: ['docs/**/*.md'], timeoutMs: 10_000 });
    expect(config.hooks[1]).toMatchObject({ name: 'hooks[1]', url: 'http://127.0.0.1:9000/hook', secretFile: '/etc/synclog/hook-secret', retries: 3, events: [] });
  });

  it('names the line and the key of a wrong type', () => {
    expect(problemsOf('log = "l"\n\n[[folders]]\npath = "a"\n\n[[folders]]\npath = "b"\nexclude = "x"\n')).toEqual(['synclog.toml:8: folders[1].exclude: expected a list of strings']);
  });

  it('refuses unknown keys (a typo is never silently ignored), at any depth', () => {
    expect(problemsOf('log = "l"\nlgo = "x"\n[[folders]]\npath = "a"\nexlude = ["x"]\n[serve]\nlisten = "127.0.0.1:0"\nport = 3\n')).toEqual([
      'synclog.toml:2: lgo: unknown key (known here: log, folders, serve, push, receivers, hooks)',
      'synclog.toml:5: folders[0].exlude: unknown key (known here: path, exclude, every, jitter, poll, debounce)',
      'synclog.toml:8: serve.port: unknown key (known here: listen, token_file, tls_cert, tls_key, insecure_public, accept_push, append_only, retain, retain_every)',
    ]);
  });

  it('reads server-side retention (retain, retain_every, append_only) and refuses it where it does not fit', () => {
    const config = parseConfig('log = "l"\n[serve]\naccept_push = true\nappend_only = true\nretain = "keep-daily=7, keep-within=30d"\nretain_every = "6h"\n', FILE);
    expect(config.serve).toMatchObject({ acceptPush: true, appendOnly: true, retain: { policy: { keepDaily: 7, keepWithinMs: 30 * 86_400_000 }, policyText: 'keep-daily=7, keep-within=30d', everyMs: 6 * 3_600_000 } });
    expect(parseConfig('log = "l"\n[serve]\naccept_push = true\nretain = "keep-last=2"\n', FILE).serve?.retain?.everyMs).toBe(86_400_000);
    expect(parseConfig('log = "l"\n[serve]\n', FILE).serve).toMatchObject({ appendOnly: false, retain: undefined });
    expect(problemsOf('log = "l"\n[serve]\nretain = "keep-last=2"\nappend_only = true\n')).toEqual([
      'synclog.toml:3: serve.retain: goes with accept_push = true: only a server that takes pushes writes its log',
      'synclog.toml:4: serve.append_only: goes with accept_push = true',
    ]);
    expect(problemsOf('log = "l"\n[serve]\naccept_push = true\nretain = "keep-dayly=7"\nretain_every = "10ms"\n')).toEqual([
      expect.stringMatching(/^synclog\.toml:4: serve\.retain: bad retention rule "keep-dayly=7"/),
      'synclog.toml:5: serve.retain_every: must be at least 1000 ms',
    ]);
    expect(problemsOf('log = "l"\n[serve]\naccept_push = true\nretain_every = "1h"\n')).toEqual(['synclog.toml:4: serve.retain_every: goes with retain']);
  });

  it('lists every problem in file order', () => {
    const problems = problemsOf(
      ['log = "l"', '[[folders]]', 'path = "a"', 'every = "hourly"', '[[receivers]]', 'mode = "newest"', '[[hooks]]', 'exec = "notify $SYNCLOG_PATH"', 'events = ["created", "made"]'].join('\n'),
    );
    expect(problems).toEqual([
      'synclog.toml:4: folders[0].every: expected a duration such as "500ms", "30s", "5m", "1h" or "1d"',
      'synclog.toml:5: receivers[0]: missing out: the destination folder',
      'synclog.toml:6: receivers[0].mode: expected "latest" or "all-versions"',
      'synclog.toml:8: hooks[0].exec: expected a list (the program, then each argument): a command line is never given to a shell',
      'synclog.toml:9: hooks[0].events[1]: unknown event kind "made" (known: created, modified, renamed, deleted, restored, snapshot, error)',
    ]);
  });

  it('says where TOML itself is broken', () => {
    expect(problemsOf('log = "l"\n[[folders]]\npath = "a\n')).toEqual([expect.stringMatching(/^synclog\.toml:3: not valid TOML: /)]);
  });

  it('refuses a missing log, nothing to run, one writer twice, a webhook without a secret, a bad listen address', () => {
    expect(problemsOf('[serve]\nlisten = "127.0.0.1:0"\n')).toEqual(['synclog.toml: log: missing: where the log lives (log = "/var/lib/synclog/log")']);
    expect(problemsOf('log = "l"\n')).toEqual(['synclog.toml: nothing to run: add [[folders]], [serve], [[push]] or [[receivers]]']);
    expect(problemsOf('log = "l"\n[[folders]]\npath = "a"\n[serve]\naccept_push = true\n')).toEqual([
      'synclog.toml:5: serve.accept_push: does not go with [[folders]]: a log has one writer (watch on the client and push here)',
    ]);
    expect(problemsOf('log = "l"\n[serve]\n[[hooks]]\nurl = "http://127.0.0.1:1/"\n')).toEqual(['synclog.toml:3: hooks[0]: a webhook needs secret_file: the key its HMAC-SHA256 signature is made with']);
    expect(problemsOf('log = "l"\n[serve]\nlisten = "a b"\n')).toEqual(['synclog.toml:3: serve.listen: expected HOST:PORT, e.g. "127.0.0.1:8417" (port 0: any free port)']);
    expect(problemsOf('log = "l"\n[[folders]]\npath = "a"\n[[folders]]\npath = "a"\n')).toEqual(['synclog.toml:5: folders[1].path: the same as folders[0].path']);
  });

  it('push[].as takes a root name or a list of NAME / ROOT=NAME, as push --as does, and refuses what --as refuses', () => {
    const push = (as: string) => parseConfig(`log = "l"\n[[push]]\nto = "http://127.0.0.1:1/"\nas = ${as}\n`, FILE).push[0]!.as;
    expect(push('"laptop-docs"')).toEqual(['laptop-docs']);
    expect(push('["docs=laptop-docs", "photos=laptop-photos"]')).toEqual(['docs=laptop-docs', 'photos=laptop-photos']);
    expect(problemsOf('log = "l"\n[[push]]\nto = "http://127.0.0.1:1/"\nas = "a/b"\n')).toEqual(['synclog.toml:4: push[0].as: as "a/b" is not a root name']);
    expect(problemsOf('log = "l"\n[[push]]\nto = "http://127.0.0.1:1/"\nas = ["x", "y"]\n')).toEqual(['synclog.toml:4: push[0].as: as NAME (for every root) given twice']);
    expect(problemsOf('log = "l"\n[[push]]\nto = "http://127.0.0.1:1/"\nas = 3\n')).toEqual(['synclog.toml:4: push[0].as: expected a list of strings']);
  });

  it('places keys of inline tables and dotted keys through their parent', () => {
    const lines = KeyLines.scan('log = "l"\nserve = { listen = "x" }\n[a.b]\nc.d = 1\n[[e]]\n[[e]]\nf = """\ng = 2\n"""\nh = 3\n');
    expect(lines.lineOf('serve.listen')).toBe(2);
    expect(lines.lineOf('a.b.c.d')).toBe(4);
    expect(lines.lineOf('e[1].f')).toBe(7);
    expect(lines.lineOf('e[1].g')).toBe(6); // inside a multi-line string: not a key
    expect(lines.lineOf('e[1].h')).toBe(10);
  });

  it('reads durations and refuses bare numbers', () => {
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs('60')).toBeUndefined();
    expect(parseDurationMs('1 hour')).toBeUndefined();
  });
});

describe('service config in JSON (a FILE.json)', () => {
  const JSON_FILE = '/etc/synclog/synclog.json';
  function jsonProblemsOf(text: string): string[] {
    try {
      parseConfig(text, JSON_FILE);
    } catch (error) {
      const problems = (error as { details?: { problems?: ConfigProblem[] } }).details?.problems;
      if (problems) return problems.map(formatConfigProblem);
      throw error;
    }
    throw new Error('expected the config to be refused');
  }

  it('reads the same keys as TOML, relative paths from the file folder', () => {
    const config = parseConfig('{"log": "log", "folders": [{"path": "docs", "every": "1h"}], "serve": {"listen": "127.0.0.1:0"}}', JSON_FILE);
    expect(config.log).toBe('/etc/synclog/log');
    expect(config.folders).toEqual([expect.objectContaining({ path: '/etc/synclog/docs', everyMs: 3_600_000, jitterMs: 360_000 })]);
    expect(config.serve?.listen).toBe('127.0.0.1:0');
  });

  it('names the line and the key of an unknown key, a wrong type and a bad duration', () => {
    const text = ['{', '  "log": "log",', '  "folders": [', '    {"path": "a"},', '    {', '      "path": "b",', '      "exlude": ["*.tmp"],', '      "every": 5', '    }', '  ],', '  "serve": {"listen": 8417}', '}', ''].join('\n');
    expect(jsonProblemsOf(text)).toEqual([
      'synclog.json:7: folders[1].exlude: unknown key (known here: path, exclude, every, jitter, poll, debounce)',
      'synclog.json:8: folders[1].every: expected a duration such as "500ms", "30s", "5m", "1h" or "1d"',
      'synclog.json:11: serve.listen: expected a non-empty string',
    ]);
  });

  it('refuses a key given twice (JSON.parse would keep the last silently)', () => {
    expect(jsonProblemsOf('{"log": "a",\n "serve": {},\n "log": "b"}')).toEqual(['synclog.json:3: log: given twice (JSON would keep only the last)']);
  });

  it('says on which line JSON itself is broken, also where JSON.parse gives no position', () => {
    expect(jsonProblemsOf('{"log": "l",\n "serve": {\n "listen": "x",\n }\n}')).toEqual([expect.stringMatching(/^synclog\.json:4: not valid JSON: /)]);
    expect(jsonProblemsOf('{"log": "l",\n "serve": {\n "append_only": tru\n }\n}')).toEqual([expect.stringMatching(/^synclog\.json:3: not valid JSON: Unexpected token/)]);
    expect(jsonProblemsOf('{"log": "l",\n "serve": {')).toEqual([expect.stringMatching(/^synclog\.json:2: not valid JSON: /)]);
    expect(jsonProblemsOf('["log"]')).toEqual(['synclog.json:1: expected a JSON object ({"log": …, "folders": […]})']);
  });

  it('places members and elements by key path', () => {
    const { lines, duplicates } = KeyLines.scanJson('{"a": {\n "b": [1,\n {"c": "x\\"y"}]},\n "d": null}');
    expect(lines.lineOf('a.b')).toBe(2);
    expect(lines.lineOf('a.b[1].c')).toBe(3);
    expect(lines.lineOf('d')).toBe(4);
    expect(duplicates).toEqual([]);
  });
});

describe('docs/config.md', () => {
  it('lists every key the parser takes in its Keys table, and no other', async () => {
    const { readFile } = await import('node:fs/promises');
    const { CONFIG_KEYS } = await import('../../../src/service/config.js');
    const doc = await readFile(new URL('../../../docs/config.md', import.meta.url), 'utf8');
    const table = doc.slice(doc.indexOf('## Keys'), doc.indexOf('\n\n', doc.indexOf('| --- |')));
    const documented = new Set<string>();
    for (const row of table.split('\n').filter((line) => line.startsWith('| `'))) {
      for (const match of row.split(' | ')[0]!.matchAll(/`([^`]+)`/g)) documented.add(match[1]!);
    }
    const parsed = new Set<string>();
    for (const [table, keys] of Object.entries(CONFIG_KEYS)) {
      for (const key of keys) {
        if (table === '' && key !== 'log') continue; // the tables themselves: documented by their keys
        parsed.add(table === '' ? key : `${table}${table === 'serve' ? '' : '[]'}.${key}`);
      }
    }
    expect([...documented].sort()).toEqual([...parsed].sort());
  });

  it('holds a full example that is a valid config', async () => {
    const { readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { REPO_ROOT } = await import('../../helpers/run-cli.js');
    const doc = await readFile(join(REPO_ROOT, 'docs', 'config.md'), 'utf8');
    const example = /## A full example\n\n```toml\n([\s\S]*?)```/.exec(doc)![1]!;
    const config = parseConfig(example, '/etc/synclog/synclog.toml');
    expect(config.folders.map((f) => f.everyMs)).toEqual([undefined, 3_600_000]);
    expect(config.hooks.map((h) => h.name)).toEqual(['new-documents', 'chat']);
    expect(config.receivers[1]!.from).toBe('http://127.0.0.1:9417/');
  });
});
