import { promises as fs } from "node:fs";
import path from "node:path";

/**
 * An append-only JSON-lines file, one per dataset: each line is one event, written with `fsync` before the append
 * resolves (a caller acknowledges only what is on disk). Reading skips a torn last line (a crash mid-write) and
 * cuts it off before the next append, so the new line never glues onto the broken one.
 */
export class AppendLog<E> {
  private repaired = false;

  constructor(private readonly file: string) {}

  /** Every complete event, oldest first. */
  async read(parse: (value: unknown) => E | null): Promise<E[]> {
    return (await this.readFrom(0, parse)).events;
  }

  /** The file's size in bytes (0 when it does not exist yet). */
  async size(): Promise<number> {
    try {
      return (await fs.stat(this.file)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
      throw err;
    }
  }

  /**
   * The complete events after byte `offset` (another process's appends, in the scaled mode), and
   * the offset after the last complete line (a line being written is left for the next read).
   */
  async readFrom(offset: number, parse: (value: unknown) => E | null): Promise<{ events: E[]; end: number }> {
    let buf: Buffer;
    try {
      const handle = await fs.open(this.file, "r");
      try {
        const { size } = await handle.stat();
        buf = Buffer.alloc(Math.max(0, size - offset));
        if (buf.length > 0) await handle.read(buf, 0, buf.length, offset);
      } finally {
        await handle.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { events: [], end: offset };
      throw err;
    }
    const complete = buf.lastIndexOf(0x0a) + 1;
    const text = buf.subarray(0, complete).toString("utf8");
    const out: E[] = [];
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        // A complete line that does not parse was not written by us: refuse to guess what it meant.
        if (err instanceof SyntaxError) throw new Error(`${this.file}: a line is not JSON (${err.message})`);
        throw err;
      }
      const e = parse(value);
      if (e === null) throw new Error(`${this.file}: an event has an unknown shape`);
      out.push(e);
    }
    return { events: out, end: offset + complete };
  }

  /** Cuts a torn last line (no newline after it) off the file. */
  private async repair(): Promise<void> {
    if (this.repaired) return;
    this.repaired = true;
    let text: string;
    try {
      text = await fs.readFile(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    if (text === "" || text.endsWith("\n")) return;
    await fs.truncate(this.file, Buffer.byteLength(text.slice(0, text.lastIndexOf("\n") + 1)));
  }

  /** Appends events as lines and flushes them to disk. */
  async append(events: readonly E[]): Promise<void> {
    await this.repair();
    const dir = path.dirname(this.file);
    await fs.mkdir(dir, { recursive: true });
    const created = !(await exists(this.file));
    const handle = await fs.open(this.file, "a", 0o600);
    try {
      await handle.writeFile(events.map((e) => `${JSON.stringify(e)}\n`).join(""), "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    // A new file's name is durable only once its folder is.
    if (created) await syncDir(dir);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
