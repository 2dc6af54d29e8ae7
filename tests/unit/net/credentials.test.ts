import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readClientCredentials, readServerCredentials } from '../../../src/net/index.js';
import { makeTmpDir } from '../../helpers/tmp-dir.js';

const WORDING = { overrideFix: 'pass --insecure-public', tlsPair: '--tls-cert and --tls-key' };
let dir: string;
let tokenFile: string;

beforeAll(async () => {
  dir = await makeTmpDir('synclog-credentials-');
  tokenFile = join(dir, 'tokens');
  await writeFile(tokenFile, 'read:0123456789abcdef0123\n');
});

describe('readServerCredentials', () => {
  it('loopback needs neither token nor TLS and warns of nothing', async () => {
    const creds = await readServerCredentials({ listen: '127.0.0.1:0' }, WORDING);
    expect(creds.listen).toEqual({ host: '127.0.0.1', port: 0 });
    expect(creds.tokens.required).toBe(false);
    expect(creds.warnings).toEqual([]);
  });

  it('a public address without token and TLS is refused with the caller\'s fix', async () => {
    await expect(readServerCredentials({ listen: '0.0.0.0:0' }, WORDING)).rejects.toThrow(/refusing to serve on 0\.0\.0\.0.*no token.*no TLS/);
    await expect(readServerCredentials({ listen: '0.0.0.0:0' }, WORDING)).rejects.toMatchObject({ details: { fix: 'pass --insecure-public' } });
  });

  it('the override allows it and says what is missing, once per lack', async () => {
    const creds = await readServerCredentials({ listen: '0.0.0.0:0', tokenFile, insecurePublic: true }, WORDING);
    expect(creds.tokens.required).toBe(true);
    expect(creds.warnings).toEqual(['serving on 0.0.0.0 with no TLS (tokens and data travel in clear text)']);
  });

  it('a certificate without its key is a usage error naming both', async () => {
    await expect(readServerCredentials({ listen: '127.0.0.1:0', tlsCert: tokenFile }, WORDING)).rejects.toThrow('--tls-cert and --tls-key go together');
  });

  it('an oversized token file is refused before it is read whole', async () => {
    const big = join(dir, 'big-tokens');
    await writeFile(big, 'x'.repeat(65 * 1024));
    await expect(readServerCredentials({ listen: '127.0.0.1:0', tokenFile: big }, WORDING)).rejects.toThrow(/token file/);
  });
});

describe('readClientCredentials', () => {
  it('takes the first token of the file and no CA unless named', async () => {
    expect(await readClientCredentials({ tokenFile })).toEqual({ token: '0123456789abcdef0123', ca: undefined });
  });

  it('a missing CA file is an error naming it', async () => {
    await expect(readClientCredentials({ ca: join(dir, 'no-such-ca.pem') })).rejects.toThrow(/CA certificate/);
  });
});
