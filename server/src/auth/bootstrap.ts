import { generatePassword } from "./password.js";
import { normalizeUsername, UserStoreError, type UserStore } from "./UserStore.js";

/** The admin a first start created: the composition root prints it once (stdout, never the log). */
export interface FirstAdmin {
  readonly username: string;
  /** The generated password, or null when it came from `TESSERA_ADMIN_PASSWORD`. */
  readonly generatedPassword: string | null;
}

/**
 * First start: when no account is a global admin, creates one named `wanted.username` (default
 * `admin`) with `wanted.password`, or a generated password. An existing account of that name is
 * promoted and given the password. Returns null when an admin already exists (the environment
 * variables are then ignored: they never reset anything).
 */
export async function ensureAdmin(
  users: UserStore,
  wanted: { username?: string; password?: string } = {},
): Promise<FirstAdmin | null> {
  await users.refresh();
  if (users.adminCount() > 0) return null;
  try {
    return await createAdmin(users, wanted);
  } catch (err) {
    if (err instanceof UserStoreError)
      throw new UserStoreError(err.reason, `first admin (TESSERA_ADMIN_USER / TESSERA_ADMIN_PASSWORD): ${err.message}`);
    throw err;
  }
}

async function createAdmin(users: UserStore, wanted: { username?: string; password?: string }): Promise<FirstAdmin> {
  const username = normalizeUsername(wanted.username?.trim() || "admin");
  const given = wanted.password !== undefined && wanted.password !== "" ? wanted.password : null;
  const password = given ?? generatePassword();
  if (users.get(username)) {
    await users.setRole(username, "admin");
    await users.setPassword(username, password);
  } else {
    await users.add({
      username,
      password,
      role: "admin",
      displayName: username === "admin" ? "Administrator" : username,
    });
  }
  return { username, generatedPassword: given === null ? password : null };
}

/** The lines a composition root prints for a {@link FirstAdmin}. */
export function firstAdminMessage(admin: FirstAdmin, dataDirShown: string): string {
  const lines = [
    "",
    "  ┌─ Tessera: first start ───────────────────────────────────────────",
    `  │ Created the administrator account "${admin.username}".`,
    admin.generatedPassword !== null
      ? `  │ Password: ${admin.generatedPassword}    (shown once: write it down)`
      : "  │ Password: the one in TESSERA_ADMIN_PASSWORD.",
    "  │ Log in from the web client, or: POST /auth/login {username, password}.",
    `  │ Lost it?  tessera users reset-password ${dataDirShown} ${admin.username}`,
    "  └──────────────────────────────────────────────────────────────────",
    "",
  ];
  return `${lines.join("\n")}\n`;
}
