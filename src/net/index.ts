// The network (src/net): one log served over HTTP(S), and remote readers of it (docs/protocol.md). The only import
// point for other parts.
export { LogServer, type LogServerOptions } from './server.js';
export { TokenSet, clientToken, type TokenCheck } from './tokens.js';
export { PROTOCOL_VERSION, DEFAULT_PORT, type LogInfo, type Scope } from './protocol.js';
export { readServerCredentials, readClientCredentials, type ServerCredentials, type ServerCredentialFiles, type ClientCredentials, type ExposureWording } from './credentials.js';
export { parseListenAddress, publicExposure, isLoopback, DEFAULT_LISTEN, type ListenAddress } from './listen-address.js';
export { RemoteLog, type RemoteLogOptions, type RemoteLogStats } from './remote-log.js';
export { RemoteSource, openRemoteSource, remoteLogIdentity, localChunksFor, type ChunkedLogSource, type OpenedRemoteSource, type RemoteRun } from './remote-source.js';
export { isRetryable, type TransportOptions } from './http-client.js';
export { replicate, replicateFrom, type ReplicateOptions, type ReplicaState, type ReplicationSource } from './replicator.js';
export { Backoff, Outage, retrying, sleep, type ErrorClassifier, type OutageOptions } from './backoff.js';
export { nextOrIdle } from './next-or-idle.js';
export { push, type PushOptions, type PushState, type RootNames } from './pusher.js';
export { parseRootNames } from './push-root-names.js';
export { readPushTargets, measurePushQueue, PUSH_CURSOR_FILE_NAME, type PushTarget, type PushQueue } from './push-cursor.js';
export type { PushStats, PushEvent } from './push-server.js';
