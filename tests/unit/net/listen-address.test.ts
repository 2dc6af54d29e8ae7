// `--listen` parsing and the public-address rule (docs/protocol.md: serve refuses without token and TLS off loopback).
import { describe, expect, it } from 'vitest';
import { parseListenAddress, publicExposure } from '../../../src/net/index.js';

describe('listen address', () => {
  it('parses HOST:PORT, [IPv6]:PORT and HOST (default port), and refuses the rest', () => {
    expect(parseListenAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListenAddress('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(parseListenAddress('localhost')).toEqual({ host: 'localhost', port: 8417 });
    for (const bad of ['', ':80', '1.2.3.4:99999', 'a b:1', 'host:port']) expect(() => parseListenAddress(bad), bad).toThrow(/--listen/);
  });

  it('asks for token and TLS only off loopback', () => {
    expect(publicExposure('127.0.0.1', false, false)).toEqual([]);
    expect(publicExposure('::1', false, false)).toEqual([]);
    expect(publicExposure('0.0.0.0', false, false)).toHaveLength(2);
    expect(publicExposure('192.168.1.2', true, false)).toEqual([expect.stringMatching(/no TLS/)]);
    expect(publicExposure('192.168.1.2', true, true)).toEqual([]);
  });
});
