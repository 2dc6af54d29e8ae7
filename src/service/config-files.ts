// What `run --check` and `service install` look at beyond the file's own text: the folders it records are
// directories, the files it names (tokens, TLS, CAs, webhook secrets) can be read, each exec hook's program can be
// run. A config that passes the text checks but names a folder that is not there would otherwise pass `--check`
// and then fail at every start (exit 1, so systemd restarts it every 10 s). `run` itself does not make these checks
// a bad config: a folder on a disk mounted later is a start failure worth restarting on. Reads only.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { ServiceConfig } from './config.js';
import { readSecretFile } from './hooks.js';

/** A problem found on disk, by key path; the caller adds the file and line. */
export interface FileProblem {
  key: string;
  message: string;
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
}

async function directoryProblem(path: string): Promise<string | undefined> {
  try {
    return (await stat(path)).isDirectory() ? undefined : 'is not a directory';
  } catch (error) {
    return reasonOf(error);
  }
}

async function readableProblem(path: string): Promise<string | undefined> {
  try {
    if (!(await stat(path)).isFile()) return 'is not a file';
    await access(path, constants.R_OK);
    return undefined;
  } catch (error) {
    return reasonOf(error);
  }
}

/** A program as spawn finds it: a path as given (absolute once the config is read), else the first on $PATH. */
async function programProblem(program: string): Promise<string | undefined> {
  const candidates = program.includes('/') ? [program] : (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, program));
  for (const candidate of candidates) {
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) {
      if ((await stat(candidate)).isFile()) return undefined;
    }
  }
  return program.includes('/') ? `${program} is not an executable file` : `${program} is not found on $PATH (under systemd, PATH is its default: better give the program's absolute path)`;
}

/** Every such problem of `config`, in the order of its keys. */
export async function fileProblems(config: ServiceConfig): Promise<FileProblem[]> {
  const problems: FileProblem[] = [];
  const file = async (key: string, path: string | undefined) => {
    const problem = path === undefined ? undefined : await readableProblem(path);
    if (problem) problems.push({ key, message: `${path} ${problem}` });
  };
  for (const [index, folder] of config.folders.entries()) {
    const problem = await directoryProblem(folder.path);
    if (problem) problems.push({ key: `folders[${index}].path`, message: `${folder.path} ${problem}` });
  }
  if (config.serve) {
    await file('serve.token_file', config.serve.tokenFile);
    await file('serve.tls_cert', config.serve.tlsCert);
    await file('serve.tls_key', config.serve.tlsKey);
  }
  for (const [index, push] of config.push.entries()) {
    await file(`push[${index}].token_file`, push.tokenFile);
    await file(`push[${index}].ca`, push.ca);
  }
  for (const [index, receiver] of config.receivers.entries()) {
    await file(`receivers[${index}].token_file`, receiver.tokenFile);
    await file(`receivers[${index}].ca`, receiver.ca);
  }
  for (const [index, hook] of config.hooks.entries()) {
    if (hook.exec) {
      const problem = await programProblem(hook.exec[0]!);
      if (problem) problems.push({ key: `hooks[${index}].exec`, message: problem });
    }
    if (hook.secretFile !== undefined) {
      const before = problems.length;
      await file(`hooks[${index}].secret_file`, hook.secretFile);
      if (problems.length === before) await readSecretFile(hook.secretFile).catch((error: Error) => problems.push({ key: `hooks[${index}].secret_file`, message: error.message }));
    }
  }
  return problems;
}
