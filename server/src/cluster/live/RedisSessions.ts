import {
  newSession,
  parseSession,
  renewedExpiry,
  SessionStore,
  type CredentialOwner,
  type LegacyOwner,
  type SessionBackend,
  type SessionRecord,
  type SessionTimes,
} from "../../auth/credentialFiles.js";
import { digest } from "../../auth/secrets.js";
import type { LiveCluster } from "./LiveCluster.js";

/**
 * Sessions of the scaled mode: one Redis key per session (`tessera:sessions:<digest>`, JSON of the
 * record, expiring with it by PEXPIREAT), so a login on one process is valid on every process at
 * once and a logout, expiry or password change ends it everywhere at once — each request asks
 * Redis, no process holds a copy that could be stale. Only the digest of the cookie's secret is a
 * key; the secret is never stored.
 */
export class RedisSessionStore implements SessionBackend {
  constructor(
    private readonly cluster: LiveCluster,
    private readonly dataDir: string,
    readonly times: SessionTimes,
    private readonly now: () => number,
    private readonly onWriteError: (err: unknown) => void,
  ) {}

  private key(digestOf: string): string {
    return this.cluster.keys.session(digestOf);
  }

  private async put(s: SessionRecord, mode: "NX" | "XX" | null): Promise<boolean> {
    const json = JSON.stringify(s);
    const key = this.key(s.digest);
    const r =
      mode === null
        ? await this.cluster.redis.set(key, json, "PXAT", s.expiresAt)
        : mode === "NX"
          ? await this.cluster.redis.set(key, json, "PXAT", s.expiresAt, "NX")
          : await this.cluster.redis.set(key, json, "PXAT", s.expiresAt, "XX");
    return r === "OK";
  }

  /** Sessions of the one-process mode (`sessions.json`) stay valid: copied in once, never over a newer one. */
  async load(legacy: LegacyOwner): Promise<void> {
    const file = new SessionStore(this.dataDir, this.times, this.now, this.onWriteError);
    await file.load(legacy);
    for (const s of file.records()) await this.put(s, "NX");
  }

  async create(owner: CredentialOwner, epoch: number): Promise<{ id: string; session: SessionRecord }> {
    const made = newSession(owner, epoch, this.times, this.now());
    await this.put(made.session, null);
    return made;
  }

  async lookup(id: string): Promise<SessionRecord | null> {
    const text = await this.cluster.redis.get(this.key(digest(id)));
    if (text === null) return null;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      value = null;
    }
    const s = parseSession(value);
    // Not ours, or past its end (Redis drops it at expiry; clocks of processes may differ a little).
    if (!s || s.uid === "" || s.expiresAt <= this.now()) return null;
    return s;
  }

  touch(s: SessionRecord): boolean {
    const next = renewedExpiry(s, this.times, this.now());
    if (next === null) return false;
    s.expiresAt = next;
    s.renewedAt = this.now();
    // XX: a session ended meanwhile (logout on another process) is not brought back by its renewal.
    this.put(s, "XX").catch(this.onWriteError);
    return true;
  }

  async end(digestOf: string): Promise<boolean> {
    return (await this.cluster.redis.del(this.key(digestOf))) > 0;
  }

  /** Every session (a SCAN over the session keys: for account changes, which are rare). */
  private async all(): Promise<SessionRecord[]> {
    const out: SessionRecord[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await this.cluster.redis.scan(
        cursor,
        "MATCH",
        this.cluster.keys.sessionPattern,
        "COUNT",
        500,
      );
      cursor = next;
      if (keys.length === 0) continue;
      const values = await this.cluster.redis.mget(...keys);
      for (const text of values) {
        if (text === null) continue;
        let v: unknown;
        try {
          v = JSON.parse(text);
        } catch (err) {
          if (!(err instanceof SyntaxError)) throw err;
          continue;
        }
        const s = parseSession(v);
        if (s) out.push(s);
      }
    } while (cursor !== "0");
    return out;
  }

  async prune(keep: (s: SessionRecord) => boolean): Promise<SessionRecord[]> {
    const gone = (await this.all()).filter((s) => !keep(s));
    if (gone.length > 0) await this.cluster.redis.del(...gone.map((s) => this.key(s.digest)));
    return gone;
  }
}
