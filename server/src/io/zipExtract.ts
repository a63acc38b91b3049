/**
 * Extracts an uploaded zip into a folder, refusing what could escape or exhaust it: entry names
 * that are absolute, hold `..`, backslashes or NUL (zip-slip), symbolic links, more entries than
 * allowed, and zip bombs (declared uncompressed sizes counted before anything is written, each
 * checked against what really inflates — yauzl's `validateEntrySizes` — and a ratio cap).
 */
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import yauzl from "yauzl";
import { safeSegments, UploadError } from "./uploadPath.js";

export interface ZipLimits {
  readonly maxBytes: number;
  readonly maxEntries: number;
}

/** An entry inflating more than this many times its compressed size (and past 1 MiB) is a bomb. */
const MAX_RATIO = 1000;

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/** yauzl's own refusals of entry names (zip-slip, absolute paths), as path refusals. */
function zipError(err: Error): UploadError {
  if (/invalid relative path|absolute path|invalid characters in fileName/.test(err.message))
    return new UploadError(400, `Invalid upload path in the archive: ${err.message.slice(0, 300)}`);
  return new UploadError(422, `the archive is corrupt: ${err.message.slice(0, 300)}`);
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(
      file,
      { lazyEntries: true, autoClose: true, validateEntrySizes: true, strictFileNames: false },
      (err, zip) => {
        if (err) reject(new UploadError(422, `not a readable zip archive: ${err.message}`));
        else resolve(zip);
      },
    );
  });
}

function checkEntry(entry: yauzl.Entry, limits: ZipLimits, totals: { bytes: number; entries: number }): string[] {
  const name = entry.fileName;
  totals.entries += 1;
  if (totals.entries > limits.maxEntries)
    throw new UploadError(413, `the archive has more than ${limits.maxEntries} entries`);
  const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
  if (mode === S_IFLNK)
    throw new UploadError(422, `the archive holds a symbolic link ('${name.slice(0, 200)}'), which is refused`);
  const parts = safeSegments(name.endsWith("/") ? name.slice(0, -1) : name);
  totals.bytes += entry.uncompressedSize;
  if (totals.bytes > limits.maxBytes)
    throw new UploadError(413, `the archive inflates to more than the limit of ${limits.maxBytes} bytes`);
  if (entry.uncompressedSize > 1024 * 1024 && entry.uncompressedSize > entry.compressedSize * MAX_RATIO)
    throw new UploadError(
      413,
      `'${name.slice(0, 200)}' inflates ${Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize))} times its size: refused as a zip bomb`,
    );
  return parts;
}

/** Reads every entry's header first (nothing written) so limits are checked before extraction. */
async function scan(file: string, limits: ZipLimits): Promise<void> {
  const zip = await openZip(file);
  const totals = { bytes: 0, entries: 0 };
  await new Promise<void>((resolve, reject) => {
    zip.on("entry", (entry: yauzl.Entry) => {
      try {
        checkEntry(entry, limits, totals);
        zip.readEntry();
      } catch (err) {
        zip.close();
        reject(err);
      }
    });
    zip.on("end", () => resolve());
    zip.on("error", (err: Error) => reject(zipError(err)));
    zip.readEntry();
  });
}

/** Extracts `file` into `dir` (which exists); returns the files and bytes written. */
export async function extractZip(
  file: string,
  dir: string,
  limits: ZipLimits,
): Promise<{ files: number; bytes: number }> {
  await scan(file, limits);
  const zip = await openZip(file);
  const totals = { bytes: 0, entries: 0 };
  let files = 0;
  let written = 0;
  await new Promise<void>((resolve, reject) => {
    const fail = (err: unknown) => {
      zip.close();
      reject(err instanceof UploadError ? err : zipError(err instanceof Error ? err : new Error(String(err))));
    };
    zip.on("entry", (entry: yauzl.Entry) => {
      let parts: string[];
      try {
        parts = checkEntry(entry, limits, totals);
      } catch (err) {
        fail(err);
        return;
      }
      const target = path.join(dir, ...parts);
      if (entry.fileName.endsWith("/")) {
        mkdir(target, { recursive: true }).then(() => zip.readEntry(), fail);
        return;
      }
      zip.openReadStream(entry, (err, stream) => {
        if (err) {
          fail(err);
          return;
        }
        const count = new Transform({
          transform(chunk: Buffer, _enc, done) {
            written += chunk.length;
            if (written > limits.maxBytes)
              done(new UploadError(413, `the archive inflates to more than ${limits.maxBytes} bytes`));
            else done(null, chunk);
          },
        });
        mkdir(path.dirname(target), { recursive: true })
          .then(() => pipeline(stream, count, createWriteStream(target, { flags: "wx" })))
          .then(() => {
            files += 1;
            zip.readEntry();
          }, fail);
      });
    });
    zip.on("end", () => resolve());
    zip.on("error", fail);
    zip.readEntry();
  });
  return { files, bytes: written };
}
