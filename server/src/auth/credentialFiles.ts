import path from "node:path";
import { AuthFileError, readJsonFile, writeFileAtomic } from "./atomicFile.js";
import { digest, newPublicId, newSecret, newToken } from "./secrets.js";

/**
 * Sessions and API tokens: written by the server only (the CLI never touches them), kept in
 * memory and mirrored to `DATA_DIR/.tessera/{sessions,tokens}.json` so a restart logs nobody out.
 * Only digests of the secrets are stored. Writes are serialised; each rewrites the whole (small)
 * file atomically.
 */
class MirroredFile<T> {
  private writes: Promise<void> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly key: string,
    private readonly parse: (v: unknown) => T | null,
  ) {}

  async read(): Promise<T[]> {
    const raw = await readJsonFile(this.file);
    if (raw === null) return [];
    const list = (raw as Record<string, unknown>)[this.key];
    if (!Array.isArray(list)) throw new AuthFileError("corrupt", `${path.basename(this.file)} has no ${this.key} list`);
    return list.map(this.parse).filter((x): x is T => x !== null);
  }

  /** Queues a rewrite with what `snapshot` returns when the write starts; resolves when it is on disk. */
  write(snapshot: () => readonly T[]): Promise<void> {
    const next = this.writes.then(() =>
      writeFileAtomic(this.file, `${JSON.stringify({ version: 1, [this.key]: snapshot() })}\n`),
    );
    // The chain continues after a failed write: the next one rewrites everything anyway.
    this.writes = next.catch(() => undefined);
    return next;
  }
}

/** Whose credential it is: the account's uid (what counts) and its username (for lists and logs). */
export interface CredentialOwner {
  readonly uid: string;
  readonly username: string;
}

/**
 * Credentials written before accounts had a uid carry only a username: on load they are bound to
 * the uid that username has now (the account they were issued to, as far as anyone can tell), and
 * dropped when the name no longer exists.
 */
export type LegacyOwner = (username: string) => string | null;

export interface SessionRecord {
  readonly digest: string;
  /** The account's uid: a session never opens another account that later took the same name. */
  readonly uid: string;
  readonly username: string;
  /** The user's password epoch when the session opened. */
  readonly epoch: number;
  readonly createdAt: number;
  expiresAt: number;
  renewedAt: number;
}

export interface SessionTimes {
  /** A session unused this long ends (sliding). */
  readonly idleMs: number;
  /** A session ends this long after login, however active. */
  readonly absoluteMs: number;
  /** The expiry slides (and the cookie is re-sent) at most this often. */
  readonly renewEveryMs: number;
}

export const DEFAULT_SESSION_TIMES: SessionTimes = {
  idleMs: 7 * 24 * 3600_000,
  absoluteMs: 30 * 24 * 3600_000,
  renewEveryMs: 3600_000,
};

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

export class SessionStore {
  private readonly byDigest = new Map<string, SessionRecord>();
  private readonly mirror: MirroredFile<SessionRecord>;

  constructor(
    dataDir: string,
    readonly times: SessionTimes,
    private readonly now: () => number,
    private readonly onWriteError: (err: unknown) => void,
  ) {
    this.mirror = new MirroredFile(path.join(dataDir, ".tessera", "sessions.json"), "sessions", (v) => {
      const o = v as Record<string, unknown> | null;
      if (!o || typeof o.digest !== "string" || typeof o.username !== "string") return null;
      if (o.uid !== undefined && typeof o.uid !== "string") return null;
      const [epoch, createdAt, expiresAt, renewedAt] = [
        num(o.epoch),
        num(o.createdAt),
        num(o.expiresAt),
        num(o.renewedAt),
      ];
      if (epoch === null || createdAt === null || expiresAt === null || renewedAt === null) return null;
      return {
        digest: o.digest,
        uid: typeof o.uid === "string" ? o.uid : "",
        username: o.username,
        epoch,
        createdAt,
        expiresAt,
        renewedAt,
      };
    });
  }

  /** Reads the sessions file; sessions from before uids are bound through `legacy` (and saved so). */
  async load(legacy: LegacyOwner): Promise<void> {
    let migrated = false;
    for (const s of await this.mirror.read()) {
      if (s.expiresAt <= this.now()) continue;
      if (s.uid !== "") {
        this.byDigest.set(s.digest, s);
        continue;
      }
      migrated = true;
      const uid = legacy(s.username);
      if (uid !== null) this.byDigest.set(s.digest, { ...s, uid });
    }
    if (migrated) await this.persist();
  }

  private persist(): Promise<void> {
    return this.mirror.write(() => {
      const now = this.now();
      for (const [k, s] of this.byDigest) if (s.expiresAt <= now) this.byDigest.delete(k);
      return [...this.byDigest.values()];
    });
  }

  /** Background write of a renewal: failing it only shortens the session after a restart. */
  private persistSoon(): void {
    this.persist().catch(this.onWriteError);
  }

  /** Opens a session; returns the secret for the cookie (never stored). */
  async create(owner: CredentialOwner, epoch: number): Promise<{ id: string; session: SessionRecord }> {
    const id = newSecret();
    const now = this.now();
    const session: SessionRecord = {
      digest: digest(id),
      uid: owner.uid,
      username: owner.username,
      epoch,
      createdAt: now,
      expiresAt: Math.min(now + this.times.idleMs, now + this.times.absoluteMs),
      renewedAt: now,
    };
    this.byDigest.set(session.digest, session);
    await this.persist();
    return { id, session };
  }

  /** The live session behind a cookie value, or null (unknown or expired). */
  lookup(id: string): SessionRecord | null {
    const s = this.byDigest.get(digest(id));
    if (!s) return null;
    if (s.expiresAt <= this.now()) {
      this.byDigest.delete(s.digest);
      this.persistSoon();
      return null;
    }
    return s;
  }

  /** Slides the expiry of a used session; true when it moved (the cookie should be re-sent). */
  touch(s: SessionRecord): boolean {
    const now = this.now();
    if (now - s.renewedAt < this.times.renewEveryMs) return false;
    const next = Math.min(now + this.times.idleMs, s.createdAt + this.times.absoluteMs);
    if (next <= s.expiresAt) return false;
    s.expiresAt = next;
    s.renewedAt = now;
    this.persistSoon();
    return true;
  }

  async end(digestOf: string): Promise<boolean> {
    const had = this.byDigest.delete(digestOf);
    if (had) await this.persist();
    return had;
  }

  /** Ends every session `keep` refuses (removed users, older password epochs); returns their digests. */
  async prune(keep: (s: SessionRecord) => boolean): Promise<SessionRecord[]> {
    const gone: SessionRecord[] = [];
    for (const s of this.byDigest.values()) if (!keep(s)) gone.push(s);
    for (const s of gone) this.byDigest.delete(s.digest);
    if (gone.length > 0) await this.persist();
    return gone;
  }

  get size(): number {
    return this.byDigest.size;
  }
}

export interface TokenRecord {
  readonly id: string;
  readonly digest: string;
  /** The account's uid: a token never opens another account that later took the same name. */
  readonly uid: string;
  readonly username: string;
  readonly name: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
}

/** An API token as its owner sees it (never the secret, which is shown once at creation). */
export interface TokenView {
  readonly id: string;
  readonly name: string;
  readonly created_at: string;
  readonly expires_at: string | null;
}

export function tokenView(t: TokenRecord): TokenView {
  return { id: t.id, name: t.name, created_at: t.createdAt, expires_at: t.expiresAt };
}

export class TokenStore {
  private readonly byDigest = new Map<string, TokenRecord>();
  private readonly mirror: MirroredFile<TokenRecord>;

  constructor(
    dataDir: string,
    private readonly now: () => number,
  ) {
    this.mirror = new MirroredFile(path.join(dataDir, ".tessera", "tokens.json"), "tokens", (v) => {
      const o = v as Record<string, unknown> | null;
      if (!o || typeof o.id !== "string" || typeof o.digest !== "string" || typeof o.username !== "string") return null;
      if (o.uid !== undefined && typeof o.uid !== "string") return null;
      return {
        id: o.id,
        digest: o.digest,
        uid: typeof o.uid === "string" ? o.uid : "",
        username: o.username,
        name: typeof o.name === "string" ? o.name : "",
        createdAt: typeof o.createdAt === "string" ? o.createdAt : "",
        expiresAt: typeof o.expiresAt === "string" ? o.expiresAt : null,
      };
    });
  }

  /** Reads the tokens file; tokens from before uids are bound through `legacy` (and saved so). */
  async load(legacy: LegacyOwner): Promise<void> {
    let migrated = false;
    for (const t of await this.mirror.read()) {
      if (t.uid !== "") {
        this.byDigest.set(t.digest, t);
        continue;
      }
      migrated = true;
      const uid = legacy(t.username);
      if (uid !== null) this.byDigest.set(t.digest, { ...t, uid });
    }
    if (migrated) await this.persist();
  }

  private persist(): Promise<void> {
    return this.mirror.write(() => [...this.byDigest.values()]);
  }

  private expired(t: TokenRecord): boolean {
    return t.expiresAt !== null && Date.parse(t.expiresAt) <= this.now();
  }

  async create(
    owner: CredentialOwner,
    name: string,
    expiresAt: string | null,
  ): Promise<{ token: string; record: TokenRecord }> {
    const token = newToken();
    const record: TokenRecord = {
      id: newPublicId(),
      digest: digest(token),
      uid: owner.uid,
      username: owner.username,
      name,
      createdAt: new Date(this.now()).toISOString(),
      expiresAt,
    };
    this.byDigest.set(record.digest, record);
    await this.persist();
    return { token, record };
  }

  lookup(token: string): TokenRecord | null {
    const t = this.byDigest.get(digest(token));
    return t && !this.expired(t) ? t : null;
  }

  list(owner: CredentialOwner): TokenRecord[] {
    return [...this.byDigest.values()]
      .filter((t) => t.uid === owner.uid)
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
  }

  /** Revokes one of `owner`'s tokens; false when they own no token with this id. */
  async revoke(owner: CredentialOwner, id: string): Promise<boolean> {
    const t = [...this.byDigest.values()].find((x) => x.id === id && x.uid === owner.uid);
    if (!t) return false;
    this.byDigest.delete(t.digest);
    await this.persist();
    return true;
  }

  /** Drops the tokens of removed users and expired ones. */
  async prune(keep: (t: TokenRecord) => boolean): Promise<number> {
    let n = 0;
    for (const [k, t] of this.byDigest) {
      if (keep(t) && !this.expired(t)) continue;
      this.byDigest.delete(k);
      n++;
    }
    if (n > 0) await this.persist();
    return n;
  }
}
