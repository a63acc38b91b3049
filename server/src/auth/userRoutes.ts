import { Router } from "express";
import type { AppContext } from "../http/context.js";
import { HttpError, RequestValidationError } from "../http/errors.js";
import { sendJson } from "../http/json.js";
import { jsonBody } from "../http/jsonBody.js";
import { UserCreateRequest, UserUpdateRequest } from "@tessera/shared-crdt/api";
import { tokenKey, type AuthService } from "./AuthService.js";
import { tokenView } from "./credentialFiles.js";
import { generatePassword } from "./password.js";
import { AUTH_BODY_LIMIT_BYTES, storeCall } from "./routes.js";
import { userView, type UserStore } from "./UserStore.js";

const tags = ["Users"];
const object = { type: "object" } as const;

/**
 * The display name of a create or update body: `name` (the CLI's `--name`, `/auth/me`'s field) or
 * `display_name`; both at once must agree.
 */
function displayNameOf(body: { name?: string | undefined; display_name?: string | undefined }): string | undefined {
  const { name, display_name: displayName } = body;
  if (name !== undefined && displayName !== undefined && name !== displayName)
    throw new RequestValidationError([
      {
        type: "value_error",
        loc: ["body", "name"],
        msg: "name and display_name are the same field: send one of them (or the same value)",
        input: name,
      },
    ]);
  return name ?? displayName;
}

function usernameParam(req: { params: unknown }): string {
  return String((req.params as Record<string, unknown>).username ?? "");
}

/**
 * `/users`: account management for global admins (the same operations as `tessera users …`).
 * A change of role or password cuts the user's open websockets, so they reconnect with their
 * new rights (collaboration.md §3: downgrading a live connection must not leave it diverging).
 */
export function userRouter(ctx: AppContext, auth: AuthService): Router {
  const router = Router();
  const body = jsonBody(AUTH_BODY_LIMIT_BYTES);
  const store = (): UserStore => {
    if (!auth.users)
      throw new HttpError(400, "Authentication is off on this server: manage accounts with `tessera users`.");
    return auth.users;
  };

  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/users",
      operationId: "list_users",
      summary: "List accounts",
      tags,
      responses: {
        "200": {
          description: "`[{username, display_name, role, dataset_roles, created_at, updated_at}]`",
          content: { "application/json": { type: "array", items: object } },
        },
      },
    },
    (_req, res) => {
      res.setHeader("Cache-Control", "no-store");
      sendJson(res, 200, store().list().map(userView));
    },
  );

  ctx.routes.add(
    router,
    {
      method: "post",
      path: "/users",
      operationId: "create_user",
      summary: "Create an account (a password is generated when none is given)",
      tags,
      body: UserCreateRequest,
      responses: {
        "201": {
          description: "`{user, password?}`: `password` only when generated.",
          content: { "application/json": object },
        },
        "409": { description: "The username is taken." },
      },
    },
    body,
    async (req, res) => {
      res.setHeader("Cache-Control", "no-store");
      const users = store();
      const { username, role, password: given, dataset_roles: roles } = req.body;
      const displayName = displayNameOf(req.body);
      const password = given ?? generatePassword();
      const user = await storeCall(
        users.add({
          username,
          password,
          role,
          ...(displayName !== undefined ? { displayName } : {}),
          ...(roles ? { datasetRoles: roles } : {}),
        }),
      );
      ctx.logger.info("user created", { username: user.username, role: user.role });
      sendJson(res, 201, { user: userView(user), ...(given === undefined ? { password } : {}) });
    },
  );

  ctx.routes.add(
    router,
    {
      method: "patch",
      path: "/users/{username}",
      operationId: "update_user",
      summary: "Change an account's role, per-dataset roles (null removes one), name, password, or disable it",
      tags,
      body: UserUpdateRequest,
      responses: {
        "200": { description: "The account.", content: { "application/json": object } },
        "404": { description: "No such account." },
        "409": { description: "Would leave no admin." },
      },
    },
    body,
    async (req, res) => {
      res.setHeader("Cache-Control", "no-store");
      const users = store();
      const name = usernameParam(req);
      const { role, password, dataset_roles: roles, disabled } = req.body;
      const displayName = displayNameOf(req.body);
      let user = await storeCall(
        Promise.resolve().then(() => {
          const u = users.get(name.toLowerCase());
          if (!u) throw new HttpError(404, `No user ${JSON.stringify(name.slice(0, 64))}.`);
          return u;
        }),
      );
      if (role !== undefined) user = await storeCall(users.setRole(user.username, role));
      for (const [ds, r] of Object.entries(roles ?? {})) user = await storeCall(users.setRole(user.username, r, ds));
      if (displayName !== undefined) user = await storeCall(users.setDisplayName(user.username, displayName));
      if (password !== undefined) user = await storeCall(users.setPassword(user.username, password));
      if (disabled !== undefined) user = await storeCall(users.setDisabled(user.username, disabled));
      await auth.usersChanged();
      ctx.logger.info("user updated", {
        username: user.username,
        role: user.role,
        disabled: user.disabled,
        password: password !== undefined ? "changed" : "unchanged",
      });
      sendJson(res, 200, userView(user));
    },
  );

  ctx.routes.add(
    router,
    {
      method: "delete",
      path: "/users/{username}",
      operationId: "delete_user",
      summary: "Remove an account (its sessions and tokens end)",
      tags,
      responses: {
        "204": { description: "Removed." },
        "404": { description: "No such account." },
        "409": { description: "The last admin." },
      },
    },
    async (req, res) => {
      const users = store();
      const name = usernameParam(req);
      const removed = await storeCall(users.remove(name));
      await auth.usersChanged();
      ctx.logger.info("user removed", { username: removed.username });
      res.status(204).end();
    },
  );

  const tokensOf = () => {
    if (!auth.tokens) throw new HttpError(400, "Authentication is off on this server: there are no API tokens.");
    return auth.tokens;
  };
  const account = (req: { params: unknown }) => {
    const name = usernameParam(req);
    const u = store().get(name.trim().toLowerCase());
    if (!u) throw new HttpError(404, `No user ${JSON.stringify(name.slice(0, 64))}.`);
    return u;
  };

  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/users/{username}/tokens",
      operationId: "list_user_tokens",
      summary: "An account's API tokens (never their secrets)",
      tags,
      responses: {
        "200": {
          description: "`[{id, name, created_at, expires_at}]`",
          content: { "application/json": { type: "array", items: object } },
        },
        "404": { description: "No such account." },
      },
    },
    (req, res) => {
      res.setHeader("Cache-Control", "no-store");
      sendJson(res, 200, tokensOf().list(account(req)).map(tokenView));
    },
  );

  ctx.routes.add(
    router,
    {
      method: "delete",
      path: "/users/{username}/tokens/{token_id}",
      operationId: "revoke_user_token",
      summary: "Revoke one of an account's API tokens",
      tags,
      responses: { "204": { description: "Revoked." }, "404": { description: "No such account or token." } },
    },
    async (req, res) => {
      res.setHeader("Cache-Control", "no-store");
      const user = account(req);
      const id = String((req.params as Record<string, unknown>).token_id ?? "");
      if (!(await tokensOf().revoke(user, id))) throw new HttpError(404, "Token not found.");
      await auth.revoke(user.username, tokenKey(id));
      ctx.logger.info("api token revoked by an admin", { username: user.username, tokenId: id });
      res.status(204).end();
    },
  );

  return router;
}
