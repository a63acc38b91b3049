/**
 * Streams a folder as a zip (stored, not deflated: exports are mostly already-compressed media and
 * JSONL that the browser downloads once). Plain zip, no zip64: a folder past 4 GiB or 65,535
 * files is refused before anything is sent (download it with `tessera data export` instead).
 */
import { once } from "node:events";
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { Writable } from "node:stream";
import type { Response } from "express";

export class ZipWriteError extends Error {
  override name = "ZipWriteError";
}

const MAX_ZIP_BYTES = 0xffff_ffff - 64 * 1024 * 1024;
const MAX_ZIP_ENTRIES = 0xffff;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crcUpdate(crc: number, buf: Buffer): number {
  let c = crc ^ 0xffffffff;
  for (const byte of buf) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

async function filesOf(dir: string): Promise<{ rel: string; abs: string; size: number }[]> {
  const out: { rel: string; abs: string; size: number }[] = [];
  const walk = async (d: string, prefix: string): Promise<void> => {
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const abs = path.join(d, e.name);
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(abs, rel);
      else if (e.isFile()) {
        out.push({ rel, abs, size: (await stat(abs)).size });
        if (out.length > MAX_ZIP_ENTRIES)
          throw new ZipWriteError(`the export has more than ${MAX_ZIP_ENTRIES} files: too many for a browser download`);
      }
    }
  };
  await walk(dir, "");
  return out;
}

async function write(out: Writable, buf: Buffer): Promise<void> {
  if (!out.write(buf)) await once(out, "drain");
}

/** Sends `dir` as `name`.zip on `res`. */
export async function streamDirectoryZip(dir: string, res: Response, name: string): Promise<void> {
  const files = await filesOf(dir);
  const total = files.reduce((a, f) => a + f.size + 100 + 2 * Buffer.byteLength(f.rel), 0);
  if (total > MAX_ZIP_BYTES)
    throw new ZipWriteError("the export is larger than 4 GiB: too large for a browser download");
  res.status(200);
  res.setHeader("Content-Type", "application/zip");
  res.setHeader("Content-Disposition", `attachment; filename="${name}"`);
  const central: Buffer[] = [];
  let offset = 0;
  const now = new Date();
  const dosTime = (now.getHours() << 11) | (now.getMinutes() << 5) | Math.floor(now.getSeconds() / 2);
  const dosDate = ((now.getFullYear() - 1980) << 9) | ((now.getMonth() + 1) << 5) | now.getDate();
  for (const f of files) {
    const fileName = Buffer.from(f.rel, "utf8");
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0808, 6); // sizes in the data descriptor; UTF-8 names
    local.writeUInt16LE(0, 8);
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt16LE(fileName.length, 26);
    await write(res, Buffer.concat([local, fileName]));
    let crc = 0;
    let size = 0;
    for await (const chunk of createReadStream(f.abs)) {
      const buf = chunk as Buffer;
      crc = crcUpdate(crc, buf);
      size += buf.length;
      await write(res, buf);
    }
    const desc = Buffer.alloc(16);
    desc.writeUInt32LE(0x08074b50, 0);
    desc.writeUInt32LE(crc, 4);
    desc.writeUInt32LE(size, 8);
    desc.writeUInt32LE(size, 12);
    await write(res, desc);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x0808, 8);
    cd.writeUInt16LE(0, 10);
    cd.writeUInt16LE(dosTime, 12);
    cd.writeUInt16LE(dosDate, 14);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(size, 20);
    cd.writeUInt32LE(size, 24);
    cd.writeUInt16LE(fileName.length, 28);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, fileName);
    offset += 30 + fileName.length + size + 16;
  }
  const cdBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cdBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  await write(res, Buffer.concat([cdBuf, end]));
  res.end();
}
