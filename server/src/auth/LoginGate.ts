import { FailureBackoff, Semaphore, TokenBuckets, type Now } from "./limiter.js";
import { hashPassword, generatePassword, verifyPassword } from "./password.js";
import type { UserRecord } from "./UserStore.js";

/**
 * Login throttling (README "Accounts and roles"). Three limits, checked before any password
 * is hashed, so a flood costs the server nothing but a map lookup:
 *
 * - attempts per client address: a token bucket (`addressBurst`, then `addressPerMinute`);
 * - failures per username: after `freeFailures`, each further failure locks the name for
 *   `baseLockMs · 2^k` (up to `maxLockMs`) — whichever address they come from; a success clears it;
 *   and at most `perNameInFlight` checks of one name at once, so a burst cannot slip guesses in
 *   before the first failures are counted;
 * - password hashes in flight: scrypt runs on libuv's small thread pool, which file reads share,
 *   so at most `concurrent` run and `queued` wait.
 *
 * Refusals are 429 with `Retry-After`. Unknown usernames cost the same scrypt as known ones, so
 * timing does not tell which accounts exist.
 */
export interface LoginLimits {
  readonly addressBurst: number;
  readonly addressPerMinute: number;
  readonly freeFailures: number;
  readonly baseLockMs: number;
  readonly maxLockMs: number;
  readonly perNameInFlight: number;
  readonly concurrent: number;
  readonly queued: number;
}

const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  addressBurst: 20,
  addressPerMinute: 20,
  freeFailures: 5,
  baseLockMs: 1000,
  maxLockMs: 15 * 60_000,
  perNameInFlight: 1,
  concurrent: 2,
  queued: 16,
};

export type LoginVerdict =
  | { readonly ok: true; readonly user: UserRecord }
  | { readonly ok: false; readonly status: 401 | 429; readonly detail: string; readonly retryAfter?: number };

/**
 * The address bucket and the per-name backoff kept where several processes see them (the scaled
 * mode: `server/src/cluster/live/ClusterLoginCounters.ts`): a guesser spreading attempts over the
 * processes meets the same limits. The hashing limits stay per process (they guard its CPU).
 */
export interface SharedLoginCounters {
  /** Takes one attempt of `address`: 0 when granted, else the seconds to wait. */
  takeAddress(address: string, burst: number, perMinute: number): Promise<number>;
  /** Seconds until `name` may try again (0: now). */
  nameWait(name: string): Promise<number>;
  failed(name: string, limits: { free: number; baseMs: number; maxMs: number }): Promise<void>;
  succeeded(name: string): Promise<void>;
}

export class LoginGate {
  readonly limits: LoginLimits;
  private readonly addresses: TokenBuckets;
  private readonly names: FailureBackoff;
  private readonly hashing: Semaphore;
  private readonly inFlight = new Map<string, number>();
  private dummy: Promise<string> | null = null;

  constructor(
    limits: Partial<LoginLimits>,
    now: Now,
    private readonly shared: SharedLoginCounters | null = null,
  ) {
    this.limits = { ...DEFAULT_LOGIN_LIMITS, ...limits };
    this.addresses = new TokenBuckets(this.limits.addressBurst, this.limits.addressPerMinute / 60, now);
    this.names = new FailureBackoff(this.limits.freeFailures, this.limits.baseLockMs, this.limits.maxLockMs, now);
    this.hashing = new Semaphore(this.limits.concurrent, this.limits.queued);
  }

  /** Prepares the hash unknown usernames are checked against. */
  async ready(): Promise<void> {
    this.dummy ??= hashPassword(generatePassword());
    await this.dummy;
  }

  private static tooMany(seconds: number, what: string): LoginVerdict {
    return {
      ok: false,
      status: 429,
      detail: `Too many login attempts ${what}; retry in ${seconds} s.`,
      retryAfter: seconds,
    };
  }

  /**
   * Checks a password for `nameKey` (the normalised username, or the raw attempt when it is not
   * a valid one) coming from `address`; `user` is the account, or null when there is none.
   */
  async attempt(address: string, nameKey: string, user: UserRecord | null, password: string): Promise<LoginVerdict> {
    const key = nameKey.slice(0, 64);
    const shared = this.shared;
    const fromAddress = shared
      ? await shared.takeAddress(address, this.limits.addressBurst, this.limits.addressPerMinute)
      : this.addresses.take(address);
    if (fromAddress > 0) return LoginGate.tooMany(fromAddress, "from this address");
    const forName = shared ? await shared.nameWait(key) : this.names.wait(key);
    if (forName > 0) return LoginGate.tooMany(forName, "for this account");
    const busy = this.inFlight.get(key) ?? 0;
    if (busy >= this.limits.perNameInFlight) return LoginGate.tooMany(1, "for this account");
    const slot = this.hashing.acquire();
    if (!slot) return LoginGate.tooMany(1, "at the moment");
    this.inFlight.set(key, busy + 1);
    let ok: boolean;
    try {
      const release = await slot;
      try {
        ok = await verifyPassword(
          password,
          user?.passwordHash ?? (await (this.dummy ??= hashPassword(generatePassword()))),
        );
      } finally {
        release();
      }
    } finally {
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(key);
      else this.inFlight.set(key, left);
    }
    if (!ok || !user) {
      if (shared)
        await shared.failed(key, {
          free: this.limits.freeFailures,
          baseMs: this.limits.baseLockMs,
          maxMs: this.limits.maxLockMs,
        });
      else this.names.failed(key);
      return { ok: false, status: 401, detail: "Invalid username or password." };
    }
    if (shared) await shared.succeeded(key);
    else this.names.succeeded(key);
    return { ok: true, user };
  }
}
