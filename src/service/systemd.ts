// systemd units for `synclog run` (docs/config.md "systemd"): the text `synclog service install` writes and that
// contrib/systemd/ ships (a test keeps the shipped files equal to what this renders). A system unit runs at boot
// as root; a --user unit runs in the user's session (`loginctl enable-linger` keeps it past logout). Pure.

/** What contrib/systemd/ ships: synclog installed as /usr/local/bin/synclog, the config in its usual place. */
export const SHIPPED_UNITS = {
  'synclog.service': { user: false, synclog: ['/usr/local/bin/synclog'], config: '/etc/synclog/synclog.toml' },
  'synclog-user.service': { user: true, synclog: ['/usr/local/bin/synclog'], config: '%h/.config/synclog/synclog.toml', configSpecifiers: true },
} as const satisfies Record<string, UnitOptions>;

export interface UnitOptions {
  user: boolean;
  /** The command that starts synclog: [program, ...arguments], e.g. ["/usr/bin/node", "/opt/synclog/bin/synclog.js"]. */
  synclog: readonly string[];
  config: string;
  /** The config path uses systemd specifiers (`%h/.config/synclog/synclog.toml`): passed on unescaped. */
  configSpecifiers?: boolean;
}

/** One ExecStart word, quoted for systemd when needed (`%` and `$` doubled so systemd expands nothing). */
export function quoteUnitWord(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function renderUnit(options: UnitOptions): string {
  const config = options.configSpecifiers ? options.config : quoteUnitWord(options.config);
  const exec = [...[...options.synclog, 'run', '--config'].map(quoteUnitWord), config].join(' ');
  const lines = [
    '# synclog: records folders into an append-only log and serves, pushes and mirrors it, as the config says.',
    '# Written by `synclog service install`. Change the config, not this file; check it with',
    '# `synclog run --check --config FILE`, then restart the unit. See docs/config.md.',
    '[Unit]',
    'Description=synclog: continuous history of folders',
    ...(options.user ? [] : ['Wants=network-online.target', 'After=network-online.target']),
    '',
    '[Service]',
    'Type=exec',
    `ExecStart=${exec}`,
    // SIGTERM: synclog flushes and fsyncs what it saw, saves cursors, ships the last pushes, then exits 0.
    'KillSignal=SIGTERM',
    'TimeoutStopSec=120s',
    'Restart=on-failure',
    'RestartSec=10s',
    // Exit 2 is a bad config or usage: restarting would fail the same way.
    'RestartPreventExitStatus=2',
    'Environment=SYNCLOG_NO_PROGRESS=1',
    'NoNewPrivileges=yes',
    ...(options.user ? [] : ['PrivateTmp=yes', 'LimitNOFILE=65536']),
    '',
    '[Install]',
    `WantedBy=${options.user ? 'default.target' : 'multi-user.target'}`,
    '',
  ];
  return lines.join('\n');
}
