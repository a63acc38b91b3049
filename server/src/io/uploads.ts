/**
 * Browser uploads into the import root's `uploads/<id>/` folder, each a session an import then
 * reads as its source:
 * - Pixano 0.8's protocol: `POST /io/uploads` opens a session, `PUT /io/uploads/{id}/files/{path}`
 *   streams one file's raw body, `DELETE /io/uploads/{id}` drops it;
 * - Tessera's: one multipart request carrying a zip (extracted, see {@link extractZip}) or a
 *   folder (`webkitdirectory`: every part's filename is its relative path).
 * Every session is bounded in bytes and files; relative paths are checked segment by segment.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import type { IncomingHttpHeaders } from "node:http";
import { safeSegments, UploadError } from "./uploadPath.js";
import { extractZip } from "./zipExtract.js";

export { UploadError };

export interface UploadLimits {
  /** Bytes one session may hold (an archive: its size, and its content's uncompressed size). */
  readonly maxBytes: number;
  /** Files one session may hold (an archive: its entries). */
  readonly maxFiles: number;
  /** Sessions open at once. */
  readonly maxSessions: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  maxBytes: 20 * 1024 ** 3,
  maxFiles: 200_000,
  maxSessions: 32,
};

export interface UploadSession {
  readonly upload_id: string;
  /** Absolute path of the folder to import (the session folder, or its single top folder). */
  readonly source: string;
}

export interface UploadSummary extends UploadSession {
  readonly files: number;
  readonly bytes: number;
}

interface Usage {
  bytes: number;
  files: number;
}

const ID_RE = /^[A-Za-z0-9_-]{8,64}$/;
/** A transform that fails once more than `max` bytes went through. */
function counter(usage: Usage, limits: UploadLimits): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      usage.bytes += chunk.length;
      if (usage.bytes > limits.maxBytes)
        done(new UploadError(413, `the upload is larger than the limit of ${limits.maxBytes} bytes`));
      else done(null, chunk);
    },
  });
}

async function usageOf(dir: string): Promise<Usage> {
  const usage: Usage = { bytes: 0, files: 0 };
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop();
    if (d === undefined) break;
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else {
        usage.files += 1;
        usage.bytes += (await stat(p)).size;
      }
    }
  }
  return usage;
}

/** The folder to import from a session: its single top-level folder when that is all it holds. */
async function sourceOf(dir: string): Promise<string> {
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith("."));
  const only = entries[0];
  return entries.length === 1 && only?.isDirectory() ? path.join(dir, only.name) : dir;
}

export class Uploads {
  private readonly usage = new Map<string, Usage>();

  constructor(
    readonly root: string,
    readonly limits: UploadLimits,
  ) {}

  private dirOf(id: string): string {
    if (!ID_RE.test(id)) throw new UploadError(404, `Unknown upload session '${id.slice(0, 80)}'.`);
    return path.join(this.root, id);
  }

  /** The session folder when `source` lies in one (its import removes the session when done). */
  sessionDirOf(source: string): string | null {
    const rel = path.relative(this.root, source);
    if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) return null;
    const id = rel.split(path.sep)[0] ?? "";
    return ID_RE.test(id) ? path.join(this.root, id) : null;
  }

  private async existing(id: string): Promise<{ dir: string; usage: Usage }> {
    const dir = this.dirOf(id);
    try {
      if (!(await stat(dir)).isDirectory()) throw new UploadError(404, `Unknown upload session '${id}'.`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT")
        throw new UploadError(404, `Unknown upload session '${id}'.`);
      throw err;
    }
    let usage = this.usage.get(id);
    if (!usage) {
      usage = await usageOf(dir); // a session from before a restart
      this.usage.set(id, usage);
    }
    return { dir, usage };
  }

  /** Opens a session (`POST /io/uploads`). */
  async create(): Promise<UploadSession> {
    await mkdir(this.root, { recursive: true });
    const open = (await readdir(this.root)).filter((n) => ID_RE.test(n)).length;
    if (open >= this.limits.maxSessions)
      throw new UploadError(
        429,
        `${open} upload sessions are open (the limit is ${this.limits.maxSessions}): import or delete some first`,
      );
    const id = randomBytes(12).toString("base64url");
    const dir = path.join(this.root, id);
    await mkdir(dir);
    this.usage.set(id, { bytes: 0, files: 0 });
    return { upload_id: id, source: dir };
  }

  /** Streams one file into a session (`PUT /io/uploads/{id}/files/{path}`); a refused one is removed. */
  async putFile(id: string, rel: string, body: Readable): Promise<{ path: string; bytes: number }> {
    const parts = safeSegments(rel);
    const { dir, usage } = await this.existing(id);
    const target = path.join(dir, ...parts);
    let replaced = 0;
    try {
      const s = await stat(target);
      if (!s.isFile()) throw new UploadError(409, `'${rel}' is a folder in this upload`);
      replaced = s.size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      if (usage.files + 1 > this.limits.maxFiles)
        throw new UploadError(413, `the upload has more files than the limit of ${this.limits.maxFiles}`);
      usage.files += 1;
    }
    usage.bytes -= replaced;
    const before = usage.bytes;
    await mkdir(path.dirname(target), { recursive: true });
    try {
      await pipeline(body, counter(usage, this.limits), createWriteStream(target));
    } catch (err) {
      usage.bytes = before;
      usage.files -= 1;
      await rm(target, { force: true });
      throw err;
    }
    return { path: rel, bytes: usage.bytes - before };
  }

  /** Drops a session (`DELETE /io/uploads/{id}`). */
  async remove(id: string): Promise<void> {
    const { dir } = await this.existing(id);
    await rm(dir, { recursive: true, force: true });
    this.usage.delete(id);
  }

  /** Removes sessions not modified for `ttlMs` (abandoned wizards); returns how many. */
  async dropAbandoned(ttlMs: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
      throw err;
    }
    let n = 0;
    for (const name of names) {
      const dir = path.join(this.root, name);
      const partial = name.startsWith(".") && name.endsWith(".zip.part");
      if (!ID_RE.test(name) && !partial) continue;
      if (Date.now() - (await stat(dir)).mtimeMs < ttlMs && !partial) continue;
      await rm(dir, { recursive: true, force: true });
      n += 1;
    }
    return n;
  }

  /** Forgets a session removed by its import. */
  forget(dir: string): void {
    this.usage.delete(path.basename(dir));
  }

  /**
   * A new session from one multipart request: either one zip (`archive`) or a folder's files
   * (`folder`, each part's filename its relative path). A refused request leaves no session.
   */
  async receive(kind: "archive" | "folder", headers: IncomingHttpHeaders, body: Readable): Promise<UploadSummary> {
    if (!/^multipart\/form-data/i.test(headers["content-type"] ?? ""))
      throw new UploadError(415, "send the upload as multipart/form-data");
    const session = await this.create();
    const dir = session.source;
    const usage = this.usage.get(session.upload_id) ?? { bytes: 0, files: 0 };
    try {
      if (kind === "archive") {
        const zip = path.join(this.root, `.${session.upload_id}.zip.part`);
        try {
          await this.receiveParts(headers, body, 1, async (_rel, file) => {
            await pipeline(file, counter({ bytes: 0, files: 0 }, this.limits), createWriteStream(zip));
          });
          const r = await extractZip(zip, dir, { maxBytes: this.limits.maxBytes, maxEntries: this.limits.maxFiles });
          usage.bytes = r.bytes;
          usage.files = r.files;
        } finally {
          await rm(zip, { force: true });
        }
      } else {
        await this.receiveParts(headers, body, this.limits.maxFiles, async (rel, file) => {
          const target = path.join(dir, ...safeSegments(rel));
          await mkdir(path.dirname(target), { recursive: true });
          usage.files += 1;
          await pipeline(file, counter(usage, this.limits), createWriteStream(target, { flags: "wx" }));
        });
      }
      if (usage.files === 0) throw new UploadError(422, "the upload holds no files");
      return { upload_id: session.upload_id, source: await sourceOf(dir), files: usage.files, bytes: usage.bytes };
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      this.usage.delete(session.upload_id);
      throw err;
    }
  }

  /** Runs `onFile` for each file part, one at a time; at most `maxFiles` parts. */
  private receiveParts(
    headers: IncomingHttpHeaders,
    body: Readable,
    maxFiles: number,
    onFile: (rel: string, file: Readable) => Promise<void>,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let bb: busboy.Busboy;
      try {
        bb = busboy({
          headers,
          preservePath: true,
          limits: { files: maxFiles, fields: 16, fieldSize: 4096, parts: maxFiles + 16, headerPairs: 64 },
        });
      } catch (err) {
        reject(new UploadError(400, `not a multipart upload: ${err instanceof Error ? err.message : String(err)}`));
        return;
      }
      let chain: Promise<void> = Promise.resolve();
      let failed: unknown = null;
      let files = 0;
      const fail = (err: unknown) => {
        if (failed) return;
        failed = err;
        body.unpipe(bb);
        body.resume(); // the rest of the body is read and discarded so the answer reaches the client
        reject(err);
      };
      bb.on("file", (_field, file, info) => {
        files += 1;
        if (failed) {
          file.resume();
          return;
        }
        const rel = info.filename ?? "";
        chain = chain
          .then(() => (failed ? void file.resume() : onFile(rel, file)))
          .catch((err: unknown) => {
            file.resume();
            fail(err);
          });
      });
      bb.on("filesLimit", () => fail(new UploadError(413, `the upload has more files than the limit of ${maxFiles}`)));
      bb.on("partsLimit", () => fail(new UploadError(413, "the upload has too many parts")));
      bb.on("fieldsLimit", () => fail(new UploadError(413, "the upload has too many fields")));
      bb.on("error", (err: unknown) =>
        fail(
          new UploadError(400, `the multipart body is malformed: ${err instanceof Error ? err.message : String(err)}`),
        ),
      );
      bb.on("close", () => {
        chain.then(
          () => {
            if (failed) return;
            if (files === 0) reject(new UploadError(422, "the upload holds no file part"));
            else resolve();
          },
          () => undefined,
        );
      });
      body.pipe(bb);
    });
  }
}
