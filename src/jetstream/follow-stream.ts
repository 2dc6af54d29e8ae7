// A JetStream stream as the source of a receiver run and of a replica (docs/jetstream.md "Followers"): the same
// receiver session and the same replicator as over HTTP (src/net's RemoteSource and replicateFrom), reading through
// StreamLog instead of RemoteLog. Owns only the wiring: the destination's cursor names the log by its id (as over
// HTTP), so a destination may switch between `serve` and a stream of the same log, and never another log's.
import { localChunksFor, RemoteSource, remoteLogIdentity, replicateFrom, type OpenedRemoteSource, type RemoteRun, type ReplicateOptions, type ReplicaState } from '../net/index.js';
import type { JetStreamConnectOptions } from './connection.js';
import { StreamLog } from './stream-log.js';

/** One receiver run's source: `new LogReceiver({ …, source: { open: (run) => openStreamSource(servers, stream, options, run) } })`. */
export async function openStreamSource(servers: string, stream: string, options: JetStreamConnectOptions = {}, run?: RemoteRun): Promise<OpenedRemoteSource> {
  const log = await StreamLog.open(servers, stream, options);
  try {
    const local = run?.mode === 'latest' ? await localChunksFor(log, run.outputPath) : undefined;
    return {
      source: new RemoteSource(log, local),
      logIdentity: remoteLogIdentity(log.logId),
      endSeq: async () => (await log.info()).durableSeq,
      close: () => log.close(),
    };
  } catch (error) {
    await log.close();
    throw error;
  }
}

export interface StreamReplicateOptions extends JetStreamConnectOptions, Pick<ReplicateOptions, 'logDir' | 'follow' | 'signal' | 'onCaughtUp'> {
  servers: string;
  stream: string;
}

/** `replicate --from nats://…`: a replica of the log the stream holds, each record checked before it is appended. */
export async function replicateFromStream(options: StreamReplicateOptions): Promise<ReplicaState> {
  const log = await StreamLog.open(options.servers, options.stream, options, options.signal);
  try {
    return await replicateFrom(log, options);
  } finally {
    await log.close();
  }
}
