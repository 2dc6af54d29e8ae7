// Where commands find the log when --log is not given: $SYNCLOG_LOG, else `.synclog` in the current directory.
// A watcher always excludes its own log directory, so the default is safe even when watching the current directory.
import { resolve } from 'node:path';

export const DEFAULT_LOG_DIR_NAME = '.synclog';

export function defaultLogDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.SYNCLOG_LOG && env.SYNCLOG_LOG.length > 0 ? env.SYNCLOG_LOG : DEFAULT_LOG_DIR_NAME);
}

export const LOG_OPTION_HELP = `log directory (default: $SYNCLOG_LOG or ./${DEFAULT_LOG_DIR_NAME})`;
