// JetStream (src/jetstream): a log published to a NATS JetStream stream, and followers reading it (docs/jetstream.md).
// The only import point for other parts.
export { publishLog, type PublishOptions, type PublishState } from './publisher.js';
export { StreamLog, truncatedError, type StreamLogInfo, type StreamLogStats } from './stream-log.js';
export { openStreamSource, replicateFromStream, type StreamReplicateOptions } from './follow-stream.js';
export { connectJetStream, isNatsUrl, parseNatsServers, type JetStreamConnectOptions, type JetStreamConnection } from './connection.js';
export * from './mapping.js';
