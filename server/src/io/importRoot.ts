/**
 * The import root: the one server folder `/io/analyze` and `/io/imports` may read sources from
 * (`TESSERA_IMPORT_ROOT`, default `DATA_DIR/imports`; browser uploads land in its `uploads/`).
 * A source path is resolved against it, then resolved through symlinks, and must stay inside it;
 * every symlink inside the source must point inside it too, or the importer could read any file
 * the server can (`../`, absolute paths and links are all checked the same way).
 */
import { lstat, mkdir, opendir, readlink, realpath, stat } from "node:fs/promises";
import path from "node:path";

export class SourcePathError extends Error {
  override name = "SourcePathError";
  constructor(
    readonly status: 400 | 403 | 404 | 413 | 422,
    message: string,
  ) {
    super(message);
  }
}

/** Entries walked when checking a source's symlinks; a bigger tree is refused (413). */
const MAX_SOURCE_ENTRIES = 500_000;
/** Longest accepted source path (characters). */
const MAX_SOURCE_PATH = 4096;

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === "" || (!rel.startsWith(`..${path.sep}`) && rel !== ".." && !path.isAbsolute(rel));
}

export class ImportRoot {
  private constructor(
    /** As configured (absolute). */
    readonly dir: string,
    /** Through symlinks (what containment is checked against). */
    readonly real: string,
  ) {}

  static async open(dir: string): Promise<ImportRoot> {
    const abs = path.resolve(dir);
    await mkdir(abs, { recursive: true });
    return new ImportRoot(abs, await realpath(abs));
  }

  /** Folder of browser uploads, inside the root. */
  get uploadsDir(): string {
    return path.join(this.dir, "uploads");
  }

  /** The path as users see it (relative to the root, `.` for the root). */
  display(p: string): string {
    return path.relative(this.real, p) || ".";
  }

  /**
   * The real path of a source folder given as a path relative to the root (or absolute inside it).
   * Refuses (403) anything that resolves outside the root, and any source containing a symlink
   * that does; 404 when it does not exist, 422 when it is not a folder.
   */
  async resolveSource(input: string): Promise<string> {
    if (input.length === 0) throw new SourcePathError(422, "source is empty: give a folder inside the import root");
    if (input.length > MAX_SOURCE_PATH || input.includes("\0"))
      throw new SourcePathError(422, "source is not a valid path");
    const joined = path.isAbsolute(input) ? path.resolve(input) : path.resolve(this.dir, input);
    if (!inside(this.dir, joined) && !inside(this.real, joined))
      throw new SourcePathError(
        403,
        `source '${input}' is outside the import root; put the data under the import root`,
      );
    let real: string;
    try {
      real = await realpath(joined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT")
        throw new SourcePathError(404, `source '${input}' does not exist in the import root`);
      throw err;
    }
    if (!inside(this.real, real))
      throw new SourcePathError(403, `source '${input}' leads outside the import root (through a symbolic link)`);
    if (!(await stat(real)).isDirectory()) throw new SourcePathError(422, `source '${input}' is not a folder`);
    await this.checkLinks(real, input);
    return real;
  }

  /** Every symlink under `dir` must resolve inside the root. */
  private async checkLinks(dir: string, input: string): Promise<void> {
    const stack = [dir];
    let seen = 0;
    while (stack.length > 0) {
      const current = stack.pop();
      if (current === undefined) break;
      for await (const entry of await opendir(current)) {
        if (++seen > MAX_SOURCE_ENTRIES)
          throw new SourcePathError(413, `source '${input}' has more than ${MAX_SOURCE_ENTRIES} files and folders`);
        const p = path.join(current, entry.name);
        if (entry.isDirectory()) stack.push(p);
        else if (entry.isSymbolicLink()) {
          let target: string;
          try {
            target = await realpath(p);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === "ENOENT") continue; // dangling: the importer reports the missing file
            throw err;
          }
          if (!inside(this.real, target)) {
            throw new SourcePathError(
              403,
              `source '${input}' contains a symbolic link leading outside the import root (${path.relative(dir, p)} → ${await readlink(p)})`,
            );
          }
          if ((await lstat(target)).isDirectory() && !inside(dir, target)) stack.push(target);
        }
      }
    }
  }
}
