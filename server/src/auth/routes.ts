import { Router, type Request, type Response } from "express";
import type { AppContext } from "../http/context.js";
import { HttpError, RequestValidationError } from "../http/errors.js";
import { sendJson } from "../http/json.js";
import { jsonBody } from "../http/jsonBody.js";
import {
  LoginRequest,
  PasswordChangeRequest,
  ProfileUpdateRequest,
  TokenCreateRequest,
} from "@tessera/shared-crdt/api";
import { tokenKey, type AuthService } from "./AuthService.js";
import { clientAddress } from "./cookies.js";
import { tokenView } from "./credentialFiles.js";
import { passwordProblem } from "./password.js";
import { meOf, requestAuth, type Principal } from "./principal.js";
import { normalizeUsername, UserStoreError, type UserRecord } from "./UserStore.js";

/** Auth bodies are small: a login is two strings. */
export const AUTH_BODY_LIMIT_BYTES = 64 * 1024;
const object = { type: "object" } as const;
const json = (schema: Record<string, unknown>) => ({ "application/json": schema });
const tags = ["Auth"];

/** The principal of a request that passed the guard (every route here is at least signed-in, but login). */
function principalOf(req: Request): Principal {
  const a = requestAuth(req);
  if (!a || a.principal.kind === "anonymous") throw new HttpError(401, "Authentication required.");
  return a.principal;
}

function accountOf(req: Request): UserRecord {
  const p = principalOf(req);
  if (p.kind !== "user")
    throw new HttpError(400, "Authentication is off on this server: there are no accounts to use here.");
  return p.user;
}

/** UserStore refusals as HTTP answers. */
export function storeCall<T>(p: Promise<T>): Promise<T> {
  return p.catch((err: unknown) => {
    if (err instanceof UserStoreError) {
      const status = err.reason === "not_found" ? 404 : err.reason === "invalid" ? 422 : 409;
      throw new HttpError(status, err.message);
    }
    throw err;
  });
}

function noStore(res: Response): void {
  res.setHeader("Cache-Control", "no-store");
}

/**
 * `/auth/*`: login (a session cookie for the browser), logout, who am I, password change, and the
 * caller's API tokens (`Authorization: Bearer tsr_…` for scripts; the secret is shown once).
 */
export function authRouter(ctx: AppContext, auth: AuthService): Router {
  const router = Router();
  const body = jsonBody(AUTH_BODY_LIMIT_BYTES);
  const needAccounts = () => {
    if (auth.mode === "off" || !auth.users || !auth.sessions || !auth.tokens || !auth.gate) {
      throw new HttpError(400, "Authentication is off on this server: no login or token is needed.");
    }
    return { users: auth.users, sessions: auth.sessions, tokens: auth.tokens, gate: auth.gate };
  };

  ctx.routes.add(
    router,
    {
      method: "post",
      path: "/auth/login",
      operationId: "auth_login",
      summary: "Log in: opens a session (HTTP-only cookie)",
      tags,
      body: LoginRequest,
      responses: {
        "200": {
          description: "Logged in; `Set-Cookie: tessera_session=…`. The body is GET /auth/me's.",
          content: json(object),
        },
        "401": { description: "Wrong username or password." },
        "429": { description: "Too many attempts; see Retry-After." },
      },
    },
    body,
    async (req, res) => {
      noStore(res);
      const { users, sessions, gate } = needAccounts();
      const { username: rawName, password } = req.body;
      let key = rawName.trim().toLowerCase();
      let user: UserRecord | null = null;
      try {
        key = normalizeUsername(rawName);
        user = users.get(key);
      } catch (err) {
        // Not a valid username: no such account; the attempt still costs a hash and counts.
        if (!(err instanceof UserStoreError)) throw err;
      }
      const address = clientAddress(req, auth.trustProxy);
      const verdict = await gate.attempt(address, key, user, password);
      if (!verdict.ok) {
        if (verdict.retryAfter !== undefined) res.setHeader("Retry-After", String(verdict.retryAfter));
        ctx.logger.warn(verdict.status === 429 ? "login throttled" : "login failed", {
          username: key.slice(0, 64),
          address,
        });
        throw new HttpError(verdict.status, verdict.detail);
      }
      if (verdict.user.disabled) {
        ctx.logger.warn("login of a disabled account", { username: verdict.user.username, address });
        throw new HttpError(403, "This account is disabled: ask an admin to enable it.");
      }
      const previous = requestAuth(req)?.sessionDigest;
      if (previous) await sessions.end(previous);
      const { id, session } = await sessions.create(verdict.user, verdict.user.epoch);
      res.setHeader("Set-Cookie", auth.sessionCookieFor(req, id, session.expiresAt, session.createdAt));
      ctx.logger.info("login", { username: verdict.user.username, address });
      sendJson(res, 200, meOf({ kind: "user", user: verdict.user, via: "session", session }));
    },
  );

  ctx.routes.add(
    router,
    {
      method: "post",
      path: "/auth/logout",
      operationId: "auth_logout",
      summary: "Log out: ends this session",
      tags,
      responses: { "204": { description: "Logged out; the cookie is cleared." } },
    },
    async (req, res) => {
      noStore(res);
      const a = requestAuth(req);
      const p = principalOf(req);
      if (a?.sessionDigest && auth.sessions) {
        await auth.sessions.end(a.sessionDigest);
        if (p.kind === "user") await auth.revoke(p.user.username, a.sessionDigest);
      }
      if (auth.mode === "on") res.setHeader("Set-Cookie", auth.clearCookieFor(req));
      res.status(204).end();
    },
  );

  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/auth/me",
      operationId: "auth_me",
      summary: "Who am I: account, global role, per-dataset roles",
      tags,
      responses: {
        "200": {
          description: "`{id, username, name, role, dataset_roles, color, auth}`; `auth` is session, token or off.",
          content: json(object),
        },
        "401": { description: "Not logged in." },
      },
    },
    (req, res) => {
      noStore(res);
      sendJson(res, 200, meOf(principalOf(req)));
    },
  );

  ctx.routes.add(
    router,
    {
      method: "patch",
      path: "/auth/me",
      operationId: "auth_update_me",
      summary: "Change my display name",
      tags,
      body: ProfileUpdateRequest,
      responses: {
        "200": { description: "GET /auth/me's answer, with the new name.", content: json(object) },
        "422": { description: "The name is too long or has control characters." },
      },
    },
    body,
    async (req, res) => {
      noStore(res);
      const { users } = needAccounts();
      const me = accountOf(req);
      const updated = await storeCall(users.setDisplayName(me.username, req.body.name));
      await auth.usersChanged();
      ctx.logger.info("display name changed", { username: me.username });
      const p = principalOf(req);
      sendJson(res, 200, meOf(p.kind === "user" ? { ...p, user: updated } : p));
    },
  );

  ctx.routes.add(
    router,
    {
      method: "post",
      path: "/auth/password",
      operationId: "auth_change_password",
      summary: "Change my password (ends my other sessions)",
      tags,
      body: PasswordChangeRequest,
      responses: {
        "204": { description: "Changed; this browser gets a new session cookie." },
        "401": { description: "Wrong current password." },
        "422": { description: "The new password is too short or too long." },
      },
    },
    body,
    async (req, res) => {
      noStore(res);
      const { users, sessions, gate } = needAccounts();
      const me = accountOf(req);
      const { current_password: current, new_password: next } = req.body;
      const problem = passwordProblem(next);
      if (problem)
        throw new RequestValidationError([
          { type: "value_error", loc: ["body", "new_password"], msg: problem, input: "…" },
        ]);
      const verdict = await gate.attempt(clientAddress(req, auth.trustProxy), me.username, me, current);
      if (!verdict.ok) {
        if (verdict.retryAfter !== undefined) res.setHeader("Retry-After", String(verdict.retryAfter));
        throw new HttpError(verdict.status, verdict.status === 401 ? "The current password is wrong." : verdict.detail);
      }
      const updated = await storeCall(users.setPassword(me.username, next));
      await auth.usersChanged();
      if (requestAuth(req)?.sessionDigest) {
        const { id, session } = await sessions.create(updated, updated.epoch);
        res.setHeader("Set-Cookie", auth.sessionCookieFor(req, id, session.expiresAt, session.createdAt));
      }
      ctx.logger.info("password changed", { username: me.username });
      res.status(204).end();
    },
  );

  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/auth/tokens",
      operationId: "list_tokens",
      summary: "My API tokens (never their secrets)",
      tags,
      responses: {
        "200": {
          description: "`[{id, name, created_at, expires_at}]`",
          content: json({ type: "array", items: object }),
        },
      },
    },
    (req, res) => {
      noStore(res);
      const { tokens } = needAccounts();
      sendJson(res, 200, tokens.list(accountOf(req)).map(tokenView));
    },
  );

  ctx.routes.add(
    router,
    {
      method: "post",
      path: "/auth/tokens",
      operationId: "create_token",
      summary: "Create an API token for scripts (the secret is in this answer only)",
      tags,
      body: TokenCreateRequest,
      responses: {
        "201": {
          description: "`{id, name, created_at, expires_at, token}`; send `Authorization: Bearer <token>`.",
          content: json(object),
        },
      },
    },
    body,
    async (req, res) => {
      noStore(res);
      const { tokens } = needAccounts();
      const me = accountOf(req);
      // The schema bounds the name; that it is not blank once trimmed is this route's rule.
      const name = req.body.name.trim();
      if (name === "")
        throw new RequestValidationError([
          {
            type: "string_too_short",
            loc: ["body", "name"],
            msg: "String should have at least 1 character",
            input: name,
          },
        ]);
      const days = req.body.expires_in_days;
      const expiresAt = days !== undefined ? new Date(Date.now() + days * 86_400_000).toISOString() : null;
      const { token, record } = await tokens.create(me, name, expiresAt);
      await auth.tokensChanged();
      ctx.logger.info("api token created", { username: me.username, tokenId: record.id });
      sendJson(res, 201, { ...tokenView(record), token });
    },
  );

  ctx.routes.add(
    router,
    {
      method: "delete",
      path: "/auth/tokens/{token_id}",
      operationId: "revoke_token",
      summary: "Revoke one of my API tokens",
      tags,
      responses: { "204": { description: "Revoked." }, "404": { description: "You have no token with this id." } },
    },
    async (req, res) => {
      noStore(res);
      const { tokens } = needAccounts();
      const me = accountOf(req);
      const id = String((req.params as Record<string, unknown>).token_id ?? "");
      if (!(await tokens.revoke(me, id))) throw new HttpError(404, "Token not found.");
      await auth.revoke(me.username, tokenKey(id));
      ctx.logger.info("api token revoked", { username: me.username, tokenId: id });
      res.status(204).end();
    },
  );

  return router;
}
