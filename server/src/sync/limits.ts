/**
 * Bounds of the sync endpoint. Defaults follow collaboration.md §2.6 and §3: updates are tens of
 * bytes, a record document is kilobytes, so an 8 MB update is abuse; awareness states are small
 * and coalesced per tick; stock clients expect traffic at least every 30 s.
 */
export interface SyncLimits {
  /** Largest accepted document update (step 2 or update); larger → close 4413. */
  readonly maxUpdateBytes: number;
  /**
   * The websocket's own frame cap (`ws` `maxPayload`). Frames between `maxUpdateBytes` and this
   * are read and refused with 4413 (a code stock clients treat as final); beyond it `ws` closes
   * with 1009 without handing the frame over. Kept well above `maxUpdateBytes` so ordinary abuse
   * gets the final code.
   */
  readonly maxPayloadBytes: number;
  /** Largest awareness state (JSON) per client; a frame carrying a larger one is dropped. */
  readonly maxAwarenessStateBytes: number;
  /** Awareness frames per connection per second (burst = this); excess frames are dropped. */
  readonly awarenessPerSecond: number;
  /** Awareness relay window: a change in an idle room goes out at once; changes within the window after a send go
   * out as one frame (the latest state per client) when it closes. */
  readonly awarenessCoalesceMs: number;
  /**
   * A room's awareness frames times its connections, per second, that the relay aims to stay under: the window
   * widens to `1000 × connections / awarenessSendsPerSecond` ms when that is longer than `awarenessCoalesceMs`
   * (a crowded room coalesces more, so the relay's CPU does not grow with the square of its size).
   */
  readonly awarenessSendsPerSecond: number;
  /** Invalid (repaired) updates a connection may send per minute before it is closed with 4422. */
  readonly maxInvalidPerMinute: number;
  /** Connections over the whole endpoint; more → 503 at the upgrade. */
  readonly maxConnections: number;
  /** Connections on one record; more → 503 at the upgrade. */
  readonly maxConnectionsPerRecord: number;
  /**
   * A connection's intake: frames it sent that the room has not handled yet (queued while its record
   * loads, or while earlier ones are applied), plus its applied updates not yet durable. Past
   * `intakePauseFrames` frames or `intakePauseBytes` bytes the server stops reading its socket (TCP
   * back-pressure on the sender) until the backlog halves.
   */
  readonly intakePauseFrames: number;
  readonly intakePauseBytes: number;
  /** Hard bound on frames (or bytes) queued in a connection's intake; past it → close 4429. */
  readonly maxPendingFrames: number;
  readonly maxPendingBytes: number;
  /**
   * Frames handled per turn of the event loop for one connection; consecutive document updates
   * among them are merged into one transaction and one log append.
   */
  readonly intakeBatchFrames: number;
  /** Time one such batch should take; batches are sized from what earlier ones cost. */
  readonly intakeSliceMs: number;
  /** Entries in one awareness frame beyond the room's own states (a client has one awareness client id, and stock
   * y-websocket clients echo the states they receive); more → close 4430. */
  readonly maxAwarenessEntriesPerFrame: number;
  /** Distinct awareness client ids one connection may introduce; more → close 4430. */
  readonly maxAwarenessClientsPerConnection: number;
  /** Bytes buffered towards a slow client before it is closed with 1013. */
  readonly maxBufferedBytes: number;
  /** Websocket ping period; a peer that missed one pong is terminated at the next. */
  readonly pingIntervalMs: number;
  /**
   * A connection nothing was sent to for this long gets an empty awareness frame: stock clients
   * drop a socket after 30 s without a message (pings are invisible to browser code), and a client
   * with awareness off has no renewals to be echoed. Checked every quarter of this period.
   */
  readonly keepAliveMs: number;
  /** A room nobody holds stays loaded this long (consecutive REST writes reuse it), then flushes and unloads. */
  readonly idleUnloadMs: number;
  /** Flush this long after the last update… */
  readonly flushDebounceMs: number;
  /** …but at most this long after the first unflushed one. */
  readonly flushMaxWaitMs: number;
  /** First retry delay of a failed flush or log append; doubles up to `retryMaxMs`. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
}

export const DEFAULT_LIMITS: SyncLimits = {
  maxUpdateBytes: 8 * 1024 * 1024,
  maxPayloadBytes: 64 * 1024 * 1024,
  maxAwarenessStateBytes: 4 * 1024,
  awarenessPerSecond: 30,
  awarenessCoalesceMs: 5,
  awarenessSendsPerSecond: 10_000,
  maxInvalidPerMinute: 20,
  maxConnections: 10_000,
  maxConnectionsPerRecord: 200,
  intakePauseFrames: 1_000,
  intakePauseBytes: 8 * 1024 * 1024,
  maxPendingFrames: 10_000,
  maxPendingBytes: 48 * 1024 * 1024,
  intakeBatchFrames: 500,
  intakeSliceMs: 10,
  maxAwarenessEntriesPerFrame: 8,
  maxAwarenessClientsPerConnection: 8,
  maxBufferedBytes: 32 * 1024 * 1024,
  pingIntervalMs: 30_000,
  keepAliveMs: 20_000,
  idleUnloadMs: 1_000,
  flushDebounceMs: 1_500,
  flushMaxWaitMs: 10_000,
  retryBaseMs: 200,
  retryMaxMs: 10_000,
};

export function resolveLimits(partial: Partial<SyncLimits> = {}): SyncLimits {
  return { ...DEFAULT_LIMITS, ...partial };
}

/** Exponential backoff: `base · 2^(attempt-1)`, capped. */
export function backoffMs(limits: SyncLimits, attempt: number): number {
  return Math.min(limits.retryMaxMs, limits.retryBaseMs * 2 ** Math.max(0, attempt - 1));
}
