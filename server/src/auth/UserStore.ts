import { randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import type { Role } from "@tessera/shared-crdt";
import { AuthFileError, readJsonFile, withFileLock, writeFileAtomic } from "./atomicFile.js";
import { DEFAULT_SCRYPT_COST, hashPassword, passwordProblem, type ScryptCost } from "./password.js";
import { isRole } from "./roles.js";

/** One account. The username is also the identity id written into awareness and the activity feed. */
export interface UserRecord {
  /**
   * The account's own id: random, created with the account, never changed and never reused.
   * Sessions and API tokens are bound to it, so a name removed and later re-created is another
   * account and the old credentials do not open it.
   */
  readonly uid: string;
  readonly username: string;
  readonly displayName: string;
  readonly role: Role;
  /** Per-dataset overrides of `role`. */
  readonly datasetRoles: Readonly<Record<string, Role>>;
  readonly passwordHash: string;
  /** Bumped by a password change: sessions opened before it end. */
  readonly epoch: number;
  /** A disabled account cannot sign in and its sessions and tokens are refused until it is enabled again. */
  readonly disabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type UserStoreErrorReason = "exists" | "not_found" | "invalid" | "last_admin";

export class UserStoreError extends Error {
  override name = "UserStoreError";
  constructor(
    readonly reason: UserStoreErrorReason,
    message: string,
  ) {
    super(message);
  }
}

const USERNAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const MAX_DISPLAY_NAME = 64;

/** A username as stored (lower case), or an error saying what is wrong with it. */
export function normalizeUsername(raw: string): string {
  const u = raw.trim().toLowerCase();
  if (!USERNAME_RE.test(u))
    throw new UserStoreError(
      "invalid",
      "a username is 1-64 characters: letters, digits, '.', '_', '-', starting with a letter or digit",
    );
  return u;
}

function checkDisplayName(raw: string | undefined, username: string): string {
  const name = (raw ?? "").trim();
  if (name.length > MAX_DISPLAY_NAME)
    throw new UserStoreError("invalid", `a display name has at most ${MAX_DISPLAY_NAME} characters`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(name))
    throw new UserStoreError("invalid", "a display name may not contain control characters");
  return name === "" ? username : name;
}

function checkRole(role: unknown): Role {
  if (!isRole(role))
    throw new UserStoreError(
      "invalid",
      `unknown role ${JSON.stringify(String(role).slice(0, 32))} (admin, reviewer, annotator or viewer)`,
    );
  return role;
}

function checkDatasetId(id: string): string {
  if (id === "" || id.length > 256) throw new UserStoreError("invalid", "a dataset id is 1-256 characters");
  return id;
}

const UID_RE = /^[A-Za-z0-9_-]{8,64}$/;

/** A new account id (a random UUID). */
function newUid(): string {
  return randomUUID();
}

/** One account as stored; `uid` is null for files written before accounts had one (see `readFile`). */
function parseUser(v: unknown): Omit<UserRecord, "uid"> & { uid: string | null } {
  const o = v as Record<string, unknown> | null;
  if (
    !o ||
    typeof o !== "object" ||
    typeof o.username !== "string" ||
    typeof o.passwordHash !== "string" ||
    !isRole(o.role)
  ) {
    throw new AuthFileError("corrupt", "users.json holds a malformed account");
  }
  if (o.uid !== undefined && (typeof o.uid !== "string" || !UID_RE.test(o.uid)))
    throw new AuthFileError("corrupt", `users.json: account ${o.username.slice(0, 64)} has a malformed uid`);
  const datasetRoles: Record<string, Role> = {};
  if (o.datasetRoles && typeof o.datasetRoles === "object") {
    for (const [k, r] of Object.entries(o.datasetRoles as Record<string, unknown>)) if (isRole(r)) datasetRoles[k] = r;
  }
  return {
    uid: typeof o.uid === "string" ? o.uid : null,
    username: o.username,
    displayName: typeof o.displayName === "string" ? o.displayName : o.username,
    role: o.role,
    datasetRoles,
    passwordHash: o.passwordHash,
    epoch: typeof o.epoch === "number" ? o.epoch : 0,
    disabled: o.disabled === true,
    createdAt: typeof o.createdAt === "string" ? o.createdAt : "",
    updatedAt: typeof o.updatedAt === "string" ? o.updatedAt : "",
  };
}

/** Public view of an account (no hash), as the CLI lists it and `/users` answers. */
export interface UserView {
  readonly username: string;
  readonly display_name: string;
  readonly role: Role;
  readonly dataset_roles: Readonly<Record<string, Role>>;
  readonly disabled: boolean;
  readonly created_at: string;
  readonly updated_at: string;
}

export function userView(u: UserRecord): UserView {
  return {
    username: u.username,
    display_name: u.displayName,
    role: u.role,
    dataset_roles: { ...u.datasetRoles },
    disabled: u.disabled,
    created_at: u.createdAt,
    updated_at: u.updatedAt,
  };
}

/**
 * The accounts, in `DATA_DIR/.tessera/users.json` (mode 0600). Shared by the CLI (`tessera users …`)
 * and a running server: every change re-reads the file under its lock, applies, and writes it
 * atomically; the server notices changes the CLI made through {@link UserStore.refresh}.
 */
export class UserStore {
  readonly file: string;
  private users = new Map<string, UserRecord>();
  private uids = new Map<string, UserRecord>();
  private stamp = "";

  constructor(
    dataDir: string,
    private readonly options: { cost?: ScryptCost; now?: () => Date } = {},
  ) {
    this.file = path.join(dataDir, ".tessera", "users.json");
  }

  private now(): string {
    return (this.options.now?.() ?? new Date()).toISOString();
  }

  private get cost(): ScryptCost {
    return this.options.cost ?? DEFAULT_SCRYPT_COST;
  }

  private async fileStamp(): Promise<string> {
    try {
      const st = await fs.stat(this.file);
      return `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return "absent";
      throw err;
    }
  }

  /**
   * The accounts on disk. Accounts from before uids existed get one here (`migrated` says so); the
   * caller writes it back under the lock so every process agrees on it from then on.
   */
  private async readFile(): Promise<{ users: Map<string, UserRecord>; migrated: boolean }> {
    const raw = await readJsonFile(this.file);
    const out = new Map<string, UserRecord>();
    if (raw === null) return { users: out, migrated: false };
    const list = (raw as { users?: unknown }).users;
    if (!Array.isArray(list)) throw new AuthFileError("corrupt", "users.json has no users list");
    let migrated = false;
    const uids = new Set<string>();
    for (const v of list) {
      const parsed = parseUser(v);
      if (parsed.uid !== null && uids.has(parsed.uid))
        throw new AuthFileError("corrupt", `users.json: two accounts share the uid of ${parsed.username.slice(0, 64)}`);
      if (parsed.uid === null) migrated = true;
      const u: UserRecord = { ...parsed, uid: parsed.uid ?? newUid() };
      uids.add(u.uid);
      out.set(u.username, u);
    }
    return { users: out, migrated };
  }

  /** Re-reads the file when it changed on disk; returns whether it did. */
  async refresh(): Promise<boolean> {
    const stamp = await this.fileStamp();
    if (stamp === this.stamp) return false;
    const { users, migrated } = await this.readFile();
    if (migrated) {
      // Give the older accounts their uid once, on disk, under the lock (the CLI may do the same).
      await this.change(() => undefined);
      return true;
    }
    this.setUsers(users);
    this.stamp = stamp;
    return true;
  }

  private setUsers(users: Map<string, UserRecord>): void {
    this.users = users;
    this.uids = new Map([...users.values()].map((u) => [u.uid, u]));
  }

  /** The account with this uid, if it still exists (a removed account's uid never comes back). */
  byUid(uid: string): UserRecord | null {
    return this.uids.get(uid) ?? null;
  }

  get(username: string): UserRecord | null {
    return this.users.get(username) ?? null;
  }

  list(): UserRecord[] {
    return [...this.users.values()].sort((a, b) => (a.username < b.username ? -1 : 1));
  }

  get size(): number {
    return this.users.size;
  }

  /** Global admins who can sign in (a disabled admin does not count: someone must be able to manage accounts). */
  adminCount(users: ReadonlyMap<string, UserRecord> = this.users): number {
    let n = 0;
    for (const u of users.values()) if (u.role === "admin" && !u.disabled) n++;
    return n;
  }

  /** One read-modify-write cycle under the lock; `fn` edits the map it is given. */
  private async change<T>(fn: (users: Map<string, UserRecord>) => T | Promise<T>): Promise<T> {
    return withFileLock(this.file, async () => {
      const { users } = await this.readFile();
      const result = await fn(users);
      await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, users: [...users.values()] }, null, 2)}\n`);
      this.setUsers(users);
      this.stamp = await this.fileStamp();
      return result;
    });
  }

  private mustGet(users: Map<string, UserRecord>, username: string): UserRecord {
    const u = users.get(normalizeUsername(username));
    if (!u) throw new UserStoreError("not_found", `no user ${JSON.stringify(username.slice(0, 64))}`);
    return u;
  }

  async add(input: {
    username: string;
    password: string;
    role: Role;
    displayName?: string;
    datasetRoles?: Readonly<Record<string, Role>>;
  }): Promise<UserRecord> {
    const username = normalizeUsername(input.username);
    const role = checkRole(input.role);
    const problem = passwordProblem(input.password);
    if (problem) throw new UserStoreError("invalid", problem);
    const displayName = checkDisplayName(input.displayName, username);
    const datasetRoles: Record<string, Role> = {};
    for (const [ds, r] of Object.entries(input.datasetRoles ?? {})) datasetRoles[checkDatasetId(ds)] = checkRole(r);
    const passwordHash = await hashPassword(input.password, this.cost);
    return this.change((users) => {
      if (users.has(username)) throw new UserStoreError("exists", `user ${username} already exists`);
      const now = this.now();
      const user: UserRecord = {
        uid: newUid(),
        username,
        displayName,
        role,
        datasetRoles,
        passwordHash,
        epoch: 0,
        disabled: false,
        createdAt: now,
        updatedAt: now,
      };
      users.set(username, user);
      return user;
    });
  }

  /**
   * Sets the global role, or with `datasetId` the role on that dataset (`null` removes the
   * override). The last global admin cannot be demoted.
   */
  async setRole(username: string, role: Role | null, datasetId?: string): Promise<UserRecord> {
    if (role !== null) checkRole(role);
    if (role === null && datasetId === undefined) throw new UserStoreError("invalid", "a global role is required");
    return this.change((users) => {
      const u = this.mustGet(users, username);
      let next: UserRecord;
      if (datasetId !== undefined) {
        const datasetRoles = { ...u.datasetRoles };
        if (role === null) delete datasetRoles[checkDatasetId(datasetId)];
        else datasetRoles[checkDatasetId(datasetId)] = role;
        next = { ...u, datasetRoles, updatedAt: this.now() };
      } else {
        next = { ...u, role: role as Role, updatedAt: this.now() };
        if (u.role === "admin" && !u.disabled && next.role !== "admin" && this.adminCount(users) <= 1) {
          throw new UserStoreError("last_admin", `${u.username} is the last admin: make someone else admin first`);
        }
      }
      users.set(u.username, next);
      return next;
    });
  }

  async setDisplayName(username: string, displayName: string): Promise<UserRecord> {
    return this.change((users) => {
      const u = this.mustGet(users, username);
      const next = { ...u, displayName: checkDisplayName(displayName, u.username), updatedAt: this.now() };
      users.set(u.username, next);
      return next;
    });
  }

  /** Sets a new password and ends the user's sessions (their epoch moves on). */
  async setPassword(username: string, password: string): Promise<UserRecord> {
    const problem = passwordProblem(password);
    if (problem) throw new UserStoreError("invalid", problem);
    const passwordHash = await hashPassword(password, this.cost);
    return this.change((users) => {
      const u = this.mustGet(users, username);
      const next = { ...u, passwordHash, epoch: u.epoch + 1, updatedAt: this.now() };
      users.set(u.username, next);
      return next;
    });
  }

  /** Disables (or enables again) an account; the last enabled global admin cannot be disabled. */
  async setDisabled(username: string, disabled: boolean): Promise<UserRecord> {
    return this.change((users) => {
      const u = this.mustGet(users, username);
      if (disabled && !u.disabled && u.role === "admin" && this.adminCount(users) <= 1)
        throw new UserStoreError("last_admin", `${u.username} is the last admin and cannot be disabled`);
      const next = { ...u, disabled, updatedAt: this.now() };
      users.set(u.username, next);
      return next;
    });
  }

  /** Removes an account; the last global admin cannot be removed. */
  async remove(username: string): Promise<UserRecord> {
    return this.change((users) => {
      const u = this.mustGet(users, username);
      if (u.role === "admin" && !u.disabled && this.adminCount(users) <= 1)
        throw new UserStoreError("last_admin", `${u.username} is the last admin and cannot be removed`);
      users.delete(u.username);
      return u;
    });
  }
}
