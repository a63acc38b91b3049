import { promises as fs } from "node:fs";
import path from "node:path";
import { AuthFileError, readJsonFile, withFileLock, writeFileAtomic } from "./atomicFile.js";
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

/**
 * Where sessions live: this file-mirrored store (one process), or Redis in the scaled mode
 * (`server/src/cluster/live/RedisSessions.ts`), so a session made on one process holds on all.
 */
export interface SessionBackend {
  readonly times: SessionTimes;
  load(legacy: LegacyOwner): Promise<void>;
  create(owner: CredentialOwner, epoch: number): Promise<{ id: string; session: SessionRecord }>;
  lookup(id: string): SessionRecord | null | Promise<SessionRecord | null>;
  touch(s: SessionRecord): boolean;
  end(digestOf: string): Promise<boolean>;
  prune(keep: (s: SessionRecord) => boolean): Promise<SessionRecord[]>;
}

/** A session record read from untrusted JSON (a file, Redis), or null when it has not the shape. */
export function parseSession(v: unknown): SessionRecord | null {
  const o = v as Record<string, unknown> | null;
  if (!o || typeof o !== "object" || typeof o.digest !== "string" || typeof o.username !== "string") return null;
  if (o.uid !== undefined && typeof o.uid !== "string") return null;
  const [epoch, createdAt, expiresAt, renewedAt] = [num(o.epoch), num(o.createdAt), num(o.expiresAt), num(o.renewedAt)];
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
}

/** When a used session's expiry slides: the new expiry, or null when it does not move now. */
export function renewedExpiry(s: SessionRecord, times: SessionTimes, now: number): number | null {
  if (now - s.renewedAt < times.renewEveryMs) return null;
  const next = Math.min(now + times.idleMs, s.createdAt + times.absoluteMs);
  return next <= s.expiresAt ? null : next;
}

/** A new session for `owner` (the secret goes in the cookie, only its digest is kept). */
export function newSession(
  owner: CredentialOwner,
  epoch: number,
  times: SessionTimes,
  now: number,
): { id: string; session: SessionRecord } {
  const id = newSecret();
  return {
    id,
    session: {
      digest: digest(id),
      uid: owner.uid,
      username: owner.username,
      epoch,
      createdAt: now,
      expiresAt: Math.min(now + times.idleMs, now + times.absoluteMs),
      renewedAt: now,
    },
  };
}

export class SessionStore implements SessionBackend {
  private readonly byDigest = new Map<string, SessionRecord>();
  private readonly mirror: MirroredFile<SessionRecord>;

  constructor(
    dataDir: string,
    readonly times: SessionTimes,
    private readonly now: () => number,
    private readonly onWriteError: (err: unknown) => void,
  ) {
    this.mirror = new MirroredFile(path.join(dataDir, ".tessera", "sessions.json"), "sessions", parseSession);
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
    const { id, session } = newSession(owner, epoch, this.times, this.now());
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
    const next = renewedExpiry(s, this.times, now);
    if (next === null) return false;
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

  /** The sessions held (unexpired), for a move to the scaled mode's store. */
  records(): SessionRecord[] {
    const now = this.now();
    return [...this.byDigest.values()].filter((s) => s.expiresAt > now);
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

/**
 * API tokens, in memory and in `tokens.json`. With `shared` (the scaled mode: several processes on
 * one data directory), every change is a read-modify-write of the file under its lock file — a
 * process never writes back a stale copy over another's token — and {@link reloadIfChanged}
 * picks up the others' changes (a stat per call, a read when the file changed).
 */
export class TokenStore {
  private byDigest = new Map<string, TokenRecord>();
  private readonly mirror: MirroredFile<TokenRecord>;
  private stamp = "";

  constructor(
    dataDir: string,
    private readonly now: () => number,
    private readonly options: { readonly shared?: boolean } = {},
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
    this.stamp = await fileStamp(this.mirror.file);
    for (const t of await this.mirror.read()) {
      if (t.uid !== "") {
        this.byDigest.set(t.digest, t);
        continue;
      }
      migrated = true;
      const uid = legacy(t.username);
      if (uid !== null) this.byDigest.set(t.digest, { ...t, uid });
    }
    if (migrated)
      await this.change(
        () => undefined,
        (fresh) => this.bindLegacy(fresh, legacy),
      );
  }

  private bindLegacy(tokens: Map<string, TokenRecord>, legacy: LegacyOwner): void {
    for (const [k, t] of [...tokens]) {
      if (t.uid !== "") continue;
      const uid = legacy(t.username);
      if (uid === null) tokens.delete(k);
      else tokens.set(k, { ...t, uid });
    }
  }

  /** Re-reads the file when another process changed it; true when it did. */
  async reloadIfChanged(): Promise<boolean> {
    const stamp = await fileStamp(this.mirror.file);
    if (stamp === this.stamp) return false;
    const fresh = new Map((await this.mirror.read()).filter((t) => t.uid !== "").map((t) => [t.digest, t]));
    this.byDigest = fresh;
    this.stamp = stamp;
    return true;
  }

  /**
   * One change: `fn` edits the map. Alone, the map in memory is the truth and the file its
   * mirror; shared, the file is re-read under its lock first (`prepare` fixes it up) and `fn`
   * edits what it holds.
   */
  private async change<T>(
    fn: (tokens: Map<string, TokenRecord>) => T,
    prepare?: (tokens: Map<string, TokenRecord>) => void,
  ): Promise<T> {
    if (!this.options.shared) {
      const result = fn(this.byDigest);
      await this.mirror.write(() => [...this.byDigest.values()]);
      return result;
    }
    return withFileLock(this.mirror.file, async () => {
      const fresh = new Map((await this.mirror.read()).map((t) => [t.digest, t]));
      prepare?.(fresh);
      const result = fn(fresh);
      await writeFileAtomic(this.mirror.file, `${JSON.stringify({ version: 1, tokens: [...fresh.values()] })}\n`);
      this.byDigest = new Map([...fresh].filter(([, t]) => t.uid !== ""));
      this.stamp = await fileStamp(this.mirror.file);
      return result;
    });
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
    await this.change((tokens) => tokens.set(record.digest, record));
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
    const find = (tokens: Map<string, TokenRecord>) =>
      [...tokens.values()].find((x) => x.id === id && x.uid === owner.uid);
    if (!this.options.shared && !find(this.byDigest)) return false;
    return this.change((tokens) => {
      const t = find(tokens);
      if (t) tokens.delete(t.digest);
      return t !== undefined;
    });
  }

  /** Drops the tokens of removed users and expired ones. */
  async prune(keep: (t: TokenRecord) => boolean): Promise<number> {
    const gone = (tokens: Map<string, TokenRecord>) =>
      [...tokens].filter(([, t]) => t.uid !== "" && (!keep(t) || this.expired(t))).map(([k]) => k);
    if (gone(this.byDigest).length === 0) return 0;
    return this.change((tokens) => {
      const keys = gone(tokens);
      for (const k of keys) tokens.delete(k);
      return keys.length;
    });
  }
}

/** Identifies a file's version (mtime, size, inode), or "absent". */
async function fileStamp(file: string): Promise<string> {
  try {
    const st = await fs.stat(file);
    return `${st.mtimeMs}:${st.size}:${st.ino}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "absent";
    throw err;
  }
}
