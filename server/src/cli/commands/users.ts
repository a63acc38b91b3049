import path from "node:path";
import { Argument, Option, type Command } from "commander";
import type { Role } from "@tessera/shared-crdt";
import { generatePassword, ROLES, UserStore, UserStoreError, userView, type UserRecord } from "../../auth/index.js";
import { table, UsageError, type CliIo } from "../output.js";

/**
 * `tessera users add|list|set-role|remove|reset-password DATA_DIR …`: the accounts of
 * `DATA_DIR/.tessera/users.json`, editable while a server runs (it picks changes up within a
 * second and cuts the websockets of users whose rights changed). Passwords are never taken from
 * the command line (shell history, `ps`): `--password-stdin` reads one line, otherwise one is
 * generated and printed once.
 */

/** Reads the first line of standard input (for `--password-stdin`). */
export type ReadSecret = () => Promise<string>;

function readFirstLine(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const done = () => {
      stream.off("data", onData);
      stream.off("end", done);
      stream.off("error", reject);
      stream.pause();
      resolve((text.split(/\r?\n/, 1)[0] ?? "").trimEnd());
    };
    const onData = (d: Buffer | string) => {
      text += d.toString();
      if (text.includes("\n") || text.length > 4096) done();
    };
    stream.on("data", onData);
    stream.once("end", done);
    stream.once("error", reject);
    stream.resume();
  });
}

const roleArg = () =>
  new Argument("<ROLE>", `role: ${ROLES.join(", ")} (with --dataset, "inherit" removes the override)`);

async function storeAt(io: CliIo, dataDir: string): Promise<UserStore> {
  const store = new UserStore(path.resolve(io.cwd, dataDir));
  await store.refresh();
  return store;
}

/** Store refusals are the caller's mistake (exit 2, one clear line). */
async function attempt<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof UserStoreError) throw new UsageError(err.message);
    throw err;
  }
}

function parseRole(raw: string, allowInherit = false): Role | null {
  if (allowInherit && raw === "inherit") return null;
  const r = ROLES.find((x) => x === raw);
  if (!r)
    throw new UsageError(
      `unknown role ${JSON.stringify(raw.slice(0, 32))}: ${ROLES.join(", ")}${allowInherit ? " or inherit" : ""}`,
    );
  return r;
}

function describeRoles(u: UserRecord): string {
  const overrides = Object.entries(u.datasetRoles).map(([ds, r]) => `${ds}=${r}`);
  const roles = overrides.length > 0 ? `${u.role} (${overrides.join(", ")})` : u.role;
  return u.disabled ? `${roles}, disabled` : roles;
}

async function passwordFor(
  opts: { passwordStdin?: boolean },
  readSecret: ReadSecret,
): Promise<{ password: string; generated: boolean }> {
  if (!opts.passwordStdin) return { password: generatePassword(), generated: true };
  const password = await readSecret();
  if (password === "") throw new UsageError("--password-stdin: standard input had no password on its first line");
  return { password, generated: false };
}

export function registerUsersCommands(
  program: Command,
  io: CliIo,
  readSecret: ReadSecret = () => readFirstLine(),
): void {
  const users = program.command("users").description("manage accounts and roles (DATA_DIR/.tessera/users.json)");

  users
    .command("add")
    .description("create an account; prints a generated password unless --password-stdin")
    .argument("<DATA_DIR>", "data directory")
    .argument("<USERNAME>", "login name (letters, digits, . _ -)")
    .addOption(new Option("--role <role>", "global role").choices(ROLES).default("annotator"))
    .option("--name <display name>", "name shown to others (default: the username)")
    .option("--dataset-role <dataset=role...>", "a role on one dataset, overriding the global one (repeatable)")
    .option("--password-stdin", "read the password from the first line of standard input")
    .action(
      async (
        dataDir: string,
        username: string,
        opts: { role: Role; name?: string; datasetRole?: string[]; passwordStdin?: boolean },
      ) => {
        const datasetRoles: Record<string, Role> = {};
        for (const spec of opts.datasetRole ?? []) {
          const eq = spec.lastIndexOf("=");
          if (eq <= 0)
            throw new UsageError(`--dataset-role expects DATASET=ROLE (got ${JSON.stringify(spec.slice(0, 64))})`);
          datasetRoles[spec.slice(0, eq)] = parseRole(spec.slice(eq + 1)) as Role;
        }
        const store = await storeAt(io, dataDir);
        const { password, generated } = await passwordFor(opts, readSecret);
        const user = await attempt(
          store.add({
            username,
            password,
            role: opts.role,
            datasetRoles,
            ...(opts.name !== undefined ? { displayName: opts.name } : {}),
          }),
        );
        io.stdout.write(`Created ${user.username} (${describeRoles(user)})\n`);
        if (generated) io.stdout.write(`Password: ${password}\n(shown once)\n`);
      },
    );

  users
    .command("list")
    .description("list accounts and their roles")
    .argument("<DATA_DIR>", "data directory")
    .option("--json", "print JSON")
    .action(async (dataDir: string, opts: { json?: boolean }) => {
      const store = await storeAt(io, dataDir);
      const list = store.list();
      if (opts.json) {
        io.stdout.write(`${JSON.stringify(list.map(userView), null, 2)}\n`);
        return;
      }
      if (list.length === 0) {
        io.stdout.write("No accounts yet (the server creates an admin at its first start).\n");
        return;
      }
      io.stdout.write(
        `${table(list.map((u) => [u.username, `${describeRoles(u)}${u.displayName !== u.username ? `  "${u.displayName}"` : ""}`] as const))}\n`,
      );
    });

  users
    .command("set-role")
    .description("set a user's global role, or with --dataset their role on one dataset")
    .argument("<DATA_DIR>", "data directory")
    .argument("<USERNAME>", "login name")
    .addArgument(roleArg())
    .option("--dataset <id>", "the dataset the role applies to")
    .action(async (dataDir: string, username: string, rawRole: string, opts: { dataset?: string }) => {
      const role = parseRole(rawRole, opts.dataset !== undefined);
      const store = await storeAt(io, dataDir);
      const user = await attempt(store.setRole(username, role, opts.dataset));
      io.stdout.write(`${user.username}: ${describeRoles(user)}\n`);
    });

  users
    .command("remove")
    .description("remove an account (its sessions and API tokens end)")
    .argument("<DATA_DIR>", "data directory")
    .argument("<USERNAME>", "login name")
    .action(async (dataDir: string, username: string) => {
      const store = await storeAt(io, dataDir);
      const user = await attempt(store.remove(username));
      io.stdout.write(`Removed ${user.username}\n`);
    });

  users
    .command("reset-password")
    .description("set a new password (ends the user's sessions); prints a generated one unless --password-stdin")
    .argument("<DATA_DIR>", "data directory")
    .argument("<USERNAME>", "login name")
    .option("--password-stdin", "read the password from the first line of standard input")
    .action(async (dataDir: string, username: string, opts: { passwordStdin?: boolean }) => {
      const store = await storeAt(io, dataDir);
      if (!store.get(username.trim().toLowerCase()))
        throw new UsageError(`no user ${JSON.stringify(username.slice(0, 64))}`);
      const { password, generated } = await passwordFor(opts, readSecret);
      const user = await attempt(store.setPassword(username, password));
      io.stdout.write(`New password set for ${user.username}; their sessions have ended.\n`);
      if (generated) io.stdout.write(`Password: ${password}\n(shown once)\n`);
    });
}
