// The pusher's window of batches in flight (docs/protocol.md "Push", "Pipelining"): a batch is shipped in two
// stages, `prepare` (ask which chunks the server lacks, queue their uploads) and `commit` (push its records once its
// chunks are durable, then save the cursor). Prepares run one after another, in order, and may run ahead of older
// batches' commits; commits run strictly one after another, in order, each only after the one before succeeded.
// Owns the bound on what is in flight (batchesInFlightMax batches, batchBytesInFlightMax bytes: what the batches
// hold in memory). Never starts a commit before the previous commit succeeded, nor a prepare after one failed.

export interface ShipStages<B, P> {
  prepare(batch: B): Promise<P>;
  commit(batch: B, prepared: P): Promise<void>;
}

export interface ShipWindow {
  batchesMax: number;
  bytesMax: number;
}

interface InFlight {
  bytes: number;
  committed: Promise<void>;
}

export class ShipPipeline<B, P> {
  private preparing: Promise<unknown> = Promise.resolve();
  private committing: Promise<void> = Promise.resolve();
  private readonly inFlight: InFlight[] = [];
  private bytesInFlight = 0;
  /** Every stage promise not yet settled: `settled()` waits for them (a failed session ends only once all stop). */
  private readonly running = new Set<Promise<unknown>>();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly stages: ShipStages<B, P>,
    private readonly window: ShipWindow,
  ) {}

  /**
   * Starts shipping `batch` (of `bytes` held in memory); resolves once the window has room for the next batch.
   * Rejects with the first failure of any batch (that batch and every later one are then not committed).
   */
  async submit(batch: B, bytes: number): Promise<void> {
    this.throwIfFailed();
    const prepared = this.preparing.then(() => this.stages.prepare(batch));
    const committed = Promise.all([this.committing, prepared]).then(([, value]) => this.stages.commit(batch, value));
    this.preparing = prepared;
    this.committing = committed;
    this.track(prepared);
    this.track(committed);
    this.inFlight.push({ bytes, committed });
    this.bytesInFlight += bytes;
    while (this.inFlight.length >= this.window.batchesMax || (this.inFlight.length > 0 && this.bytesInFlight >= this.window.bytesMax)) await this.settleOldest();
  }

  /** Resolves once every submitted batch is committed; rejects with the first failure. */
  async drain(): Promise<void> {
    while (this.inFlight.length > 0) await this.settleOldest();
    this.throwIfFailed();
  }

  /** Resolves once no stage runs any more, whatever became of them (call after a failure, before reconnecting). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private async settleOldest(): Promise<void> {
    const oldest = this.inFlight[0]!;
    await oldest.committed;
    this.inFlight.shift();
    this.bytesInFlight -= oldest.bytes;
  }

  private track(promise: Promise<unknown>): void {
    this.running.add(promise);
    // Handled here, so a batch that fails while nobody awaits it is no unhandled rejection; its failure is kept.
    void promise.then(
      () => this.running.delete(promise),
      (error: unknown) => {
        this.running.delete(promise);
        this.failure ??= { error };
      },
    );
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
