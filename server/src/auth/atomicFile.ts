import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";

/**
 * Files of `DATA_DIR/.tessera/` that hold credentials: written whole to a temporary file, flushed,
 * then renamed over the old one (a reader or a crash sees the old or the new file, never half of
 * one), readable by the owner only. The CLI and a running server may both change the accounts, so
 * read-modify-write cycles hold a lock file.
 */

export class AuthFileError extends Error {
  override name = "AuthFileError";
  constructor(
    readonly reason: "corrupt" | "locked",
    message: string,
  ) {
    super(message);
  }
}

export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  const handle = await fs.open(tmp, "w", 0o600);
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** The parsed JSON of `file`, or null when it does not exist. A file that does not parse is an error, never an empty store. */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // The message names the file (an operator reads it) but never echoes its content: it holds hashes.
    throw new AuthFileError("corrupt", `${path.basename(file)} is not valid JSON`);
  }
}

const STALE_LOCK_MS = 10_000;
const LOCK_WAIT_MS = 10_000;

/**
 * Runs `fn` while holding `<file>.lock` (created exclusively). A lock older than 10 s is taken to
 * be left by a crashed process and removed. Waits up to 10 s for another holder.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + LOCK_WAIT_MS;
  let delay = 5;
  for (;;) {
    try {
      const h = await fs.open(lock, "wx", 0o600);
      await h.writeFile(String(process.pid));
      await h.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const st = await fs.stat(lock).catch((e: NodeJS.ErrnoException) => {
        if (e.code === "ENOENT") return null;
        throw e;
      });
      if (st && Date.now() - st.mtimeMs > STALE_LOCK_MS) {
        await fs.rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new AuthFileError("locked", `${path.basename(lock)} is held by another process`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(100, delay * 2);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { force: true });
  }
}
