import type { RecordKey } from "@tessera/storage";
import type { Logger } from "../logger.js";
import { every, type Clock, type TimerHandle } from "../sync/clock.js";
import { RoomError } from "../sync/errors.js";
import type { Placement, RoomOwnership } from "../sync/ports.js";

/** What ownership needs of `RecordLeases` (storage/src/redis), stated narrowly. */
export interface LeasePort {
  acquire(
    key: RecordKey,
  ): Promise<
    { readonly kind: "acquired"; readonly lease: unknown } | { readonly kind: "held"; readonly holder: string }
  >;
  current(key: RecordKey): { readonly value: string } | null;
  release(key: RecordKey): Promise<void>;
}

/** Where a live process is reached (`ProcessRegistry.info`). */
export interface ProcessDirectory {
  info(processId: string): Promise<{ readonly url: string | null } | null>;
}

/**
 * A record this process may not write because another live process holds its lease: a `RoomError` "elsewhere"
 * (so everything that maps those still does), carrying the record and its holder for REST forwarding.
 */
export class RecordElsewhereError extends RoomError {
  constructor(
    readonly key: RecordKey,
    readonly holder: string,
  ) {
    super(
      "elsewhere",
      `record ${JSON.stringify(key.recordId)} of ${JSON.stringify(key.datasetId)} is open on another server process`,
    );
  }
}

/** A lease taken for an upgrade whose room never loaded (the client left first) is released after this. */
const UNCLAIMED_LEASE_MS = 15_000;

function nameOf(key: RecordKey): string {
  return JSON.stringify([key.datasetId, key.recordId]);
}

/**
 * Which process serves a record (docs/ARCHITECTURE.md §6): the holder of its lease. A room loads here only
 * under our lease (`claim`), an upgrade is served here or placed at the live holder (`place`), and the lease
 * goes when the room does (`released`, after its last flush). A release still in flight is awaited before the
 * same record is claimed again, so a room never runs on a lease that is being deleted under it.
 */
export class RecordOwnership implements RoomOwnership {
  /** Leases taken by `place` whose room has not loaded yet, with when they were taken. */
  private readonly unclaimed = new Map<string, { readonly key: RecordKey; readonly at: number }>();
  private readonly releasing = new Map<string, Promise<void>>();
  private readonly sweeper: TimerHandle;

  constructor(
    private readonly leases: LeasePort,
    private readonly directory: ProcessDirectory,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.sweeper = every(clock, UNCLAIMED_LEASE_MS / 3, () => this.sweep());
  }

  private async settledRelease(key: RecordKey): Promise<void> {
    await this.releasing.get(nameOf(key));
  }

  async claim(key: RecordKey): Promise<void> {
    await this.settledRelease(key);
    this.unclaimed.delete(nameOf(key));
    if (this.leases.current(key)) return;
    const got = await this.leases.acquire(key);
    if (got.kind === "held") throw new RecordElsewhereError(key, got.holder);
  }

  released(key: RecordKey): void {
    const name = nameOf(key);
    this.unclaimed.delete(name);
    const before = this.releasing.get(name) ?? Promise.resolve();
    const done = before
      .then(() => this.leases.release(key))
      .catch((err: unknown) => {
        // The lease then expires on its own (its TTL) and another process can take the record.
        this.logger.warn("could not release a record lease", { ...key, error: String(err) });
      })
      .finally(() => {
        if (this.releasing.get(name) === done) this.releasing.delete(name);
      });
    this.releasing.set(name, done);
  }

  /** Where an upgrade for `key` is served: here (taking the lease when it is free), or at its live holder. */
  async place(key: RecordKey, forwarded: boolean): Promise<Placement> {
    await this.settledRelease(key);
    if (this.leases.current(key)) return { kind: "here" };
    const got = await this.leases.acquire(key);
    if (got.kind === "acquired") {
      const name = nameOf(key);
      if (!this.unclaimed.has(name)) this.unclaimed.set(name, { key, at: this.clock.now() });
      return { kind: "here" };
    }
    // The owner a peer forwarded to lost the record meanwhile: never chain forwards; the client retries.
    if (forwarded) return { kind: "unavailable", message: "the record moved to another server process; retry" };
    const info = await this.directory.info(got.holder);
    if (!info?.url) return { kind: "unavailable", message: "the record's owner is going away; retry" };
    return { kind: "peer", url: info.url };
  }

  /** Records this process holds a lease on without a room (forgotten by {@link sweep}). */
  get unclaimedCount(): number {
    return this.unclaimed.size;
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const { key, at } of [...this.unclaimed.values()]) if (now - at >= UNCLAIMED_LEASE_MS) this.released(key);
  }

  /** Stops the sweeper and waits for releases in flight. */
  async close(): Promise<void> {
    this.sweeper.cancel();
    for (const { key } of [...this.unclaimed.values()]) this.released(key);
    await Promise.all([...this.releasing.values()]);
  }
}
