import type { IncomingMessage } from "node:http";
import { userColor, type LiveUser } from "@tessera/shared-crdt";
import { silentLogger, type Logger } from "../logger.js";
import { LiveError, type LiveIdentify } from "../live/LiveHub.js";
import { guestIdentity, isRefusal, type Identify } from "../sync/identity.js";
import { parseSyncRoute } from "../sync/upgrade.js";
import {
  ConnectionGuard,
  DEFAULT_CONNECTION_LIMITS,
  type ConnectionLimits,
  type GuardRefusal,
} from "./ConnectionGuard.js";
import { AuthFileError } from "./atomicFile.js";
import {
  clearedSessionCookie,
  clientAddress,
  cookieValues,
  isHttps,
  SESSION_COOKIE,
  sessionCookie,
} from "./cookies.js";
import {
  DEFAULT_SESSION_TIMES,
  SessionStore,
  TokenStore,
  type SessionBackend,
  type SessionTimes,
} from "./credentialFiles.js";
import { LoginGate, type LoginLimits } from "./LoginGate.js";
import { ANONYMOUS, LOCAL, principalIdentity, type Principal } from "./principal.js";
import { isSessionIdShape, isTokenShape, TOKEN_PREFIX } from "./secrets.js";
import type { AuthEvent, SharedAuth } from "./shared.js";
import { UserStore, type UserRecord } from "./UserStore.js";

/** How `startServer` authenticates: `off` is the single-user mode (everyone is the local admin, loopback only). */
export type AuthConfig = { readonly mode: "off" } | AuthOnConfig;

interface AuthOnConfig {
  readonly mode: "on";
  /** The first admin, created when no admin exists (`TESSERA_ADMIN_USER` / `TESSERA_ADMIN_PASSWORD`); a password is generated when absent. */
  readonly admin?: { readonly username?: string; readonly password?: string };
  /** `Secure` cookies: `auto` (default) when the request came over HTTPS. */
  readonly secureCookies?: "auto" | boolean;
  /** Behind a reverse proxy: read the client address and scheme from `X-Forwarded-For` / `X-Forwarded-Proto`. */
  readonly trustProxy?: boolean;
  readonly sessions?: Partial<SessionTimes>;
  readonly login?: Partial<LoginLimits>;
  readonly connections?: Partial<ConnectionLimits>;
  /** Milliseconds since the epoch; injected by tests. */
  readonly now?: () => number;
}

/** The outcome of reading a request's credentials. */
export interface Authentication {
  readonly principal: Principal;
  /** Why presented credentials were refused (→ 401 on protected routes), or null. */
  readonly failure: string | null;
  /** A `Set-Cookie` to send back: a renewed session, or the removal of a dead one. */
  readonly setCookie: string | null;
  /** The session behind the principal (cookie logins), for logout and for cutting its websockets. */
  readonly sessionDigest: string | null;
}

/** A refusal at the websocket upgrade, answered as plain HTTP. */
export type UpgradeRefusal = {
  readonly refuse: 401 | 403 | 503;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
};

/** How websockets opened with an API token are tracked (to cut them when it is revoked). */
export function tokenKey(id: string): string {
  return `token:${id}`;
}

function guardRefusal(r: GuardRefusal): UpgradeRefusal {
  return { refuse: r.status, message: r.message, headers: { "Retry-After": String(r.retryAfterSeconds) } };
}

/**
 * Authentication for the whole server — REST, the sync endpoint and the live channel ask it who
 * a request is. In `on` mode it owns the accounts, sessions and API tokens under
 * `DATA_DIR/.tessera/`, the login limits and the websocket admission; in `off` mode everyone is
 * the local admin. Secrets (passwords, tokens, cookie values) are never logged.
 */
export class AuthService {
  readonly users: UserStore | null;
  readonly sessions: SessionBackend | null;
  readonly tokens: TokenStore | null;
  readonly gate: LoginGate | null;
  readonly connections: ConnectionGuard;
  readonly trustProxy: boolean;
  private readonly secureCookies: "auto" | boolean;
  private readonly revokeListeners = new Set<(username: string) => void>();
  private fingerprints = new Map<string, string>();
  private refreshTimer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private readonly now: () => number;
  private stopBus: (() => void) | null = null;

  private constructor(
    readonly mode: "on" | "off",
    dataDir: string,
    config: AuthConfig,
    private readonly logger: Logger,
    private readonly corsOrigins: ReadonlySet<string>,
    /** The scaled mode: accounts shared with the other processes on this data directory. */
    private readonly shared: SharedAuth | null = null,
  ) {
    const on = config.mode === "on" ? config : null;
    const now = on?.now ?? Date.now;
    this.now = now;
    this.trustProxy = on?.trustProxy ?? false;
    this.secureCookies = on?.secureCookies ?? "auto";
    // The single-user mode is one trusted person on loopback: no per-address or per-user caps
    // (the sync endpoint's own totals still hold), so local scripts and benchmarks are not throttled.
    const unlimited: ConnectionLimits = {
      perAddress: Infinity,
      perUser: Infinity,
      upgradeBurstPerAddress: Infinity,
      upgradesPerSecondPerAddress: Infinity,
    };
    this.connections = new ConnectionGuard(
      on ? { ...DEFAULT_CONNECTION_LIMITS, ...on.connections } : unlimited,
      now,
      on ? (shared?.connections ?? null) : null,
    );
    if (on) {
      this.users = new UserStore(dataDir, { now: () => new Date(now()) });
      const times = { ...DEFAULT_SESSION_TIMES, ...on.sessions };
      const onWriteError = (err: unknown) =>
        logger.error("could not save sessions", { error: err instanceof Error ? err.message : String(err) });
      this.sessions = shared
        ? shared.sessions(times, now, onWriteError)
        : new SessionStore(dataDir, times, now, onWriteError);
      this.tokens = new TokenStore(dataDir, now, { shared: shared !== null });
      this.gate = new LoginGate(on.login ?? {}, now, shared?.login ?? null);
    } else {
      this.users = null;
      this.sessions = null;
      this.tokens = null;
      this.gate = null;
    }
  }

  /** Opens the stores (on mode) and starts watching the accounts file for changes made by the CLI. */
  static async open(
    dataDir: string,
    config: AuthConfig,
    options: { logger: Logger; corsOrigins?: readonly string[]; shared?: SharedAuth | null },
  ): Promise<AuthService> {
    const auth = new AuthService(
      config.mode,
      dataDir,
      config,
      options.logger,
      new Set(options.corsOrigins ?? []),
      config.mode === "on" ? (options.shared ?? null) : null,
    );
    if (auth.users && auth.sessions && auth.tokens && auth.gate) {
      const users = auth.users;
      await users.refresh();
      const legacy = (username: string) => users.get(username)?.uid ?? null;
      try {
        await auth.sessions.load(legacy);
      } catch (err) {
        // Sessions are disposable: a damaged file costs everyone a new login, never access.
        if (!(err instanceof AuthFileError)) throw err;
        options.logger.error("sessions file unreadable; starting with no sessions", { error: err.message });
      }
      await auth.tokens.load(legacy);
      // Accounts removed (or removed and re-created) while the server was stopped: their credentials go.
      await auth.pruneCredentials();
      await auth.gate.ready();
      auth.fingerprints = auth.fingerprintUsers();
      auth.refreshTimer = setInterval(() => void auth.refreshUsers(), 1000);
      auth.refreshTimer.unref();
      if (auth.shared) auth.stopBus = auth.shared.onEvent((e) => void auth.fromOtherProcess(e));
    }
    return auth;
  }

  /** The single-user mode without any file (apps built without a server, tests of other layers). */
  static local(options: { corsOrigins?: readonly string[] } = {}): AuthService {
    return new AuthService("off", "", { mode: "off" }, silentLogger, new Set(options.corsOrigins ?? []));
  }

  close(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = null;
    this.stopBus?.();
    this.stopBus = null;
  }

  // ── the other processes (scaled mode) ───────────────────────────────────────────────────────

  /** Tells the other processes; a failure is logged (they still see the files change and the session keys gone). */
  private async tellOthers(event: AuthEvent): Promise<void> {
    if (!this.shared) return;
    try {
      await this.shared.publish(event);
    } catch (err) {
      this.logger.error("could not tell the other processes about an account change", {
        event: event.t,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  /** What another process said: re-read what changed, cut what it asks to cut here. */
  private async fromOtherProcess(e: AuthEvent): Promise<void> {
    try {
      switch (e.t) {
        case "users":
          await this.refreshUsers();
          await this.tokens?.reloadIfChanged();
          return;
        case "tokens":
          await this.tokens?.reloadIfChanged();
          return;
        case "kick":
          // A revoked token must be gone here before its websockets reconnect.
          await this.tokens?.reloadIfChanged();
          this.revokeHere(e.username, e.key ?? undefined);
          return;
      }
    } catch (err) {
      this.logger.error("could not apply another process's account change", {
        event: e.t,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  /** A token was created or revoked here: the other processes re-read the tokens file. */
  async tokensChanged(): Promise<void> {
    await this.tellOthers({ t: "tokens" });
  }

  // ── account changes ─────────────────────────────────────────────────────────────────────────

  private fingerprintUsers(): Map<string, string> {
    const out = new Map<string, string>();
    for (const u of this.users?.list() ?? [])
      out.set(u.username, JSON.stringify([u.uid, u.role, u.datasetRoles, u.epoch, u.displayName, u.disabled]));
    return out;
  }

  /** Subscribes to "this user's rights changed or ended" (the live channel disconnects them). */
  onRevoke(fn: (username: string) => void): () => void {
    this.revokeListeners.add(fn);
    return () => this.revokeListeners.delete(fn);
  }

  /**
   * Cuts a user's websockets (all, or one session's) so they reconnect and are identified again —
   * on every process of the scaled mode; resolves once the others were told.
   */
  async revoke(username: string, sessionDigest?: string): Promise<void> {
    this.revokeHere(username, sessionDigest);
    await this.tellOthers({ t: "kick", username, key: sessionDigest ?? null });
  }

  private revokeHere(username: string, sessionDigest?: string): void {
    this.connections.kick(username, sessionDigest);
    for (const fn of this.revokeListeners) {
      try {
        fn(username);
      } catch (err) {
        // A listener failing must not keep the others from cutting the user's connections.
        this.logger.error("revoke listener failed", { error: (err as Error).message });
      }
    }
  }

  /**
   * Re-reads the accounts when the file changed (the CLI edits it while the server runs); users
   * removed, re-roled or with a new password lose their sessions (password) or tokens (removal)
   * and their open websockets.
   */
  refreshUsers(): Promise<void> {
    if (!this.users) return Promise.resolve();
    this.refreshing ??= (async () => {
      try {
        if (await this.users?.refresh()) await this.applyUsersChange();
      } catch (err) {
        // The previous accounts stay in force until the file reads again; said once per attempt.
        this.logger.error("could not re-read the accounts file", { error: (err as Error).message });
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /**
   * After a change to the accounts made here: ends what no longer holds and cuts the affected
   * websockets, here and (scaled mode) on every other process.
   */
  async usersChanged(): Promise<void> {
    await this.applyUsersChange();
    await this.tellOthers({ t: "users" });
  }

  private async applyUsersChange(): Promise<void> {
    if (!this.users || !this.sessions || !this.tokens) return;
    const next = this.fingerprintUsers();
    const changed = [...this.fingerprints.keys()].filter((u) => next.get(u) !== this.fingerprints.get(u));
    this.fingerprints = next;
    await this.pruneCredentials();
    for (const u of changed) this.revokeHere(u);
  }

  /**
   * Ends the tokens whose account is gone (its uid no longer exists), and the sessions of accounts
   * gone, disabled or whose password changed (a disabled account's tokens are refused while it is
   * disabled and work again once it is enabled).
   */
  private async pruneCredentials(): Promise<void> {
    const users = this.users;
    if (!users || !this.sessions || !this.tokens) return;
    await this.sessions.prune((s) => {
      const u = users.byUid(s.uid);
      return u !== null && u.epoch === s.epoch && !u.disabled;
    });
    await this.tokens.prune((t) => users.byUid(t.uid) !== null);
  }

  // ── credentials of a request ────────────────────────────────────────────────────────────────

  private secure(req: IncomingMessage): boolean {
    return this.secureCookies === "auto" ? isHttps(req, this.trustProxy) : this.secureCookies;
  }

  /** The `Set-Cookie` value that opens (or renews) a session. */
  sessionCookieFor(req: IncomingMessage, id: string, expiresAt: number, now: number): string {
    return sessionCookie(id, (expiresAt - now) / 1000, this.secure(req));
  }

  clearCookieFor(req: IncomingMessage): string {
    return clearedSessionCookie(this.secure(req));
  }

  /** The account a credential was issued to, resolved by its uid (never by name), if it still holds and is enabled. */
  private liveUser(uid: string, epoch?: number): UserRecord | null {
    const user = this.users?.byUid(uid) ?? null;
    if (!user || user.disabled) return null;
    if (epoch !== undefined && user.epoch !== epoch) return null;
    return user;
  }

  private async fromToken(token: string): Promise<Authentication> {
    // Scaled mode: a token made or revoked on another process counts here at once (a stat; a read when it changed).
    if (this.shared) await this.tokens?.reloadIfChanged();
    const record = isTokenShape(token) ? this.tokens?.lookup(token) : null;
    const user = record ? this.liveUser(record.uid) : null;
    if (!record || !user)
      return { principal: ANONYMOUS, failure: "Invalid or expired token.", setCookie: null, sessionDigest: null };
    return {
      principal: { kind: "user", user, via: "token", token: record },
      failure: null,
      setCookie: null,
      sessionDigest: null,
    };
  }

  /**
   * Who `req` is: an `Authorization: Bearer` token, else (for websocket upgrades, which browsers
   * cannot give headers) a token offered as a `Sec-WebSocket-Protocol`, else the session cookie.
   * A broken or dead cookie makes the request anonymous and is cleared; a bad token is a failure.
   */
  async authenticate(req: IncomingMessage, options: { upgrade?: boolean } = {}): Promise<Authentication> {
    if (this.mode === "off") return { principal: LOCAL, failure: null, setCookie: null, sessionDigest: null };
    // Scaled mode: a role change written by another process holds here at once (a stat; a read when it changed).
    if (this.shared) await this.refreshUsers();
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const m = /^Bearer +(\S+) *$/i.exec(authorization);
      if (!m?.[1])
        return {
          principal: ANONYMOUS,
          failure: "Unsupported Authorization header: send 'Bearer <token>'.",
          setCookie: null,
          sessionDigest: null,
        };
      return this.fromToken(m[1]);
    }
    if (options.upgrade) {
      const offered = String(req.headers["sec-websocket-protocol"] ?? "")
        .split(",")
        .map((s) => s.trim())
        .find((s) => s.startsWith(TOKEN_PREFIX));
      if (offered !== undefined) return this.fromToken(offered);
    }
    const values = cookieValues(req.headers.cookie, SESSION_COOKIE);
    if (values.length === 0) return { principal: ANONYMOUS, failure: null, setCookie: null, sessionDigest: null };
    for (const v of values) {
      if (!isSessionIdShape(v)) continue;
      const session = await this.sessions?.lookup(v);
      if (!session) continue;
      const user = this.liveUser(session.uid, session.epoch);
      if (!user) continue;
      const now = this.now();
      const renewed = this.sessions?.touch(session) ?? false;
      return {
        principal: { kind: "user", user, via: "session", session },
        failure: null,
        setCookie: renewed ? this.sessionCookieFor(req, v, session.expiresAt, now) : null,
        sessionDigest: session.digest,
      };
    }
    // Only dead or malformed cookies: the browser forgets them, the request goes on as nobody.
    return { principal: ANONYMOUS, failure: null, setCookie: this.clearCookieFor(req), sessionDigest: null };
  }

  /**
   * Whether a browser request may act with its cookie: same origin (scheme, host and port of this
   * server), or listed in the CORS allow list. Requests without `Origin` (scripts, same-origin
   * GETs of older browsers) pass; SameSite=Lax covers those.
   */
  originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined || origin === "") return true;
    if (this.corsOrigins.has(origin)) return true;
    const host = req.headers.host;
    if (!host) return false;
    const scheme = isHttps(req, this.trustProxy) ? "https" : "http";
    return origin === `${scheme}://${host}`;
  }

  // ── websockets ──────────────────────────────────────────────────────────────────────────────

  /** Admission shared by the sync endpoint and the live channel. */
  private async admitUpgrade(
    req: IncomingMessage,
    datasetId: string | null,
  ): Promise<{ principal: Principal; sessionDigest: string | null; refusal: UpgradeRefusal | null }> {
    const address = clientAddress(req, this.trustProxy);
    const rate = await this.connections.attemptAnywhere(address);
    if (rate) return { principal: ANONYMOUS, sessionDigest: null, refusal: guardRefusal(rate) };
    const a = await this.authenticate(req, { upgrade: true });
    if (a.principal.kind === "anonymous")
      return {
        principal: a.principal,
        sessionDigest: null,
        refusal: { refuse: 401, message: a.failure ?? "authentication required" },
      };
    if (a.sessionDigest !== null && !this.originAllowed(req))
      return {
        principal: a.principal,
        sessionDigest: null,
        refusal: { refuse: 403, message: "cross-origin websocket refused" },
      };
    const who = principalIdentity(a.principal, datasetId);
    const key =
      a.principal.kind === "user" && a.principal.via === "token" ? tokenKey(a.principal.token.id) : a.sessionDigest;
    const admitted = await this.connections.admitAnywhere(req.socket, address, who?.id ?? "", key);
    return {
      principal: a.principal,
      sessionDigest: a.sessionDigest,
      refusal: admitted ? guardRefusal(admitted) : null,
    };
  }

  /**
   * The sync endpoint's identity hook: refuses at the upgrade (401 nobody, 403 cross-origin
   * cookie, 503 + Retry-After over the connection limits), before any document loads. With
   * authentication off, the single-user mode keeps the `?name=` / `?role=` claims (admin by default).
   */
  readonly identifySync: Identify = async (req) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const tessera = url.searchParams.get("tessera") === "1";
    const route = parseSyncRoute(req.url);
    const datasetId = route?.kind === "record" ? route.key.datasetId : null;
    const { principal, refusal } = await this.admitUpgrade(req, datasetId);
    if (refusal) return refusal;
    if (principal.kind === "local")
      return guestIdentity(url.searchParams.get("name"), url.searchParams.get("role") ?? "admin", tessera);
    const who = principalIdentity(principal, datasetId);
    if (!who) return { refuse: 401, message: "authentication required" };
    return { ...who, tessera };
  };

  /** The live channel's identity hook (cookie, `Authorization`, or `auth.token` in the handshake). */
  readonly identifyLive: LiveIdentify = async (req, handshake) => {
    const datasetId = typeof handshake.datasetId === "string" ? handshake.datasetId : null;
    const rate = await this.connections.attemptAnywhere(clientAddress(req, this.trustProxy));
    if (rate) throw new LiveError("too_many", `${rate.message}; retry in ${rate.retryAfterSeconds} s`);
    let principal: Principal;
    if (this.mode === "off") {
      principal = LOCAL;
    } else if (typeof handshake.token === "string" && req.headers.authorization === undefined) {
      const a = await this.fromToken(handshake.token);
      if (a.principal.kind === "anonymous") throw new LiveError("unauthorized", a.failure ?? "authentication required");
      principal = a.principal;
    } else {
      const a = await this.authenticate(req);
      if (a.principal.kind === "anonymous") throw new LiveError("unauthorized", a.failure ?? "authentication required");
      if (a.sessionDigest !== null && !this.originAllowed(req))
        throw new LiveError("forbidden", "cross-origin connection refused");
      principal = a.principal;
    }
    if (principal.kind === "local") {
      const who = guestIdentity(
        typeof handshake.name === "string" ? handshake.name : null,
        typeof handshake.role === "string" ? handshake.role : "admin",
      );
      if (isRefusal(who)) throw new LiveError("forbidden", who.message);
      return {
        id: who.id,
        name: who.name,
        role: who.role,
        color: userColor(who.id),
      } satisfies LiveUser;
    }
    const who = principalIdentity(principal, datasetId);
    if (!who) throw new LiveError("unauthorized", "authentication required");
    return { ...who, color: userColor(who.id) } satisfies LiveUser;
  };
}
