import { Router } from "express";
import type { Role } from "@tessera/shared-crdt";
import type { AppContext } from "../http/context.js";
import { HttpError, RequestValidationError } from "../http/errors.js";
import { sendJson } from "../http/json.js";
import { jsonBody } from "../http/jsonBody.js";
import { UserCreateRequest, UserUpdateRequest } from "@tessera/shared-crdt/api";
import type { AuthService } from "./AuthService.js";
import { generatePassword } from "./password.js";
import { AUTH_BODY_LIMIT_BYTES, storeCall } from "./routes.js";
import { isRole, ROLES } from "./roles.js";
import { userView, type UserStore } from "./UserStore.js";

const tags = ["Users"];
const object = { type: "object" } as const;

function invalid(field: string, msg: string, input: unknown): RequestValidationError {
  return new RequestValidationError([{ type: "value_error", loc: ["body", field], msg, input }]);
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw invalid(field, "Input should be a valid string", v);
  return v;
}

function optionalRole(body: Record<string, unknown>, field: string): Role | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (!isRole(v)) throw invalid(field, `Input should be one of ${ROLES.join(", ")}`, v);
  return v;
}

/** `{dataset: role}`; with `allowNull`, `null` removes an override. */
function datasetRoles(body: Record<string, unknown>, allowNull: boolean): Record<string, Role | null> | undefined {
  const v = body.dataset_roles;
  if (v === undefined) return undefined;
  if (v === null || typeof v !== "object" || Array.isArray(v))
    throw invalid("dataset_roles", "Input should be an object of dataset id → role", v);
  const out: Record<string, Role | null> = {};
  for (const [ds, r] of Object.entries(v as Record<string, unknown>)) {
    if (r === null && allowNull) out[ds] = null;
    else if (isRole(r)) out[ds] = r;
    else
      throw invalid(
        "dataset_roles",
        `role of ${JSON.stringify(ds.slice(0, 64))} should be one of ${ROLES.join(", ")}${allowNull ? " or null" : ""}`,
        r,
      );
  }
  return out;
}

function bodyObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw new RequestValidationError([
      { type: "model_type", loc: ["body"], msg: "Input should be an object", input: body },
    ]);
  return body as Record<string, unknown>;
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
      const b = bodyObject(req.body);
      const username = optionalString(b, "username");
      const role = optionalRole(b, "role");
      if (username === undefined) throw invalid("username", "Field required", undefined);
      if (role === undefined) throw invalid("role", "Field required", undefined);
      const given = optionalString(b, "password");
      const password = given ?? generatePassword();
      const roles = datasetRoles(b, false) as Record<string, Role> | undefined;
      const user = await storeCall(
        users.add({
          username,
          password,
          role,
          displayName: optionalString(b, "display_name"),
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
      summary: "Change an account's role, per-dataset roles (null removes one), display name or password",
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
      const name = String((req.params as Record<string, unknown>).username ?? "");
      const b = bodyObject(req.body);
      const role = optionalRole(b, "role");
      const displayName = optionalString(b, "display_name");
      const password = optionalString(b, "password");
      const roles = datasetRoles(b, true);
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
      await auth.usersChanged();
      ctx.logger.info("user updated", {
        username: user.username,
        role: user.role,
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
      const name = String((req.params as Record<string, unknown>).username ?? "");
      const removed = await storeCall(users.remove(name));
      await auth.usersChanged();
      ctx.logger.info("user removed", { username: removed.username });
      res.status(204).end();
    },
  );

  return router;
}
