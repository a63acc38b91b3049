import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { deserializeEmbedding, EmbeddingFormatError, serializeEmbedding, type Embedding } from "./embedding.js";
import { logLine } from "./logLine.js";

/**
 * Image embeddings by (model, view) key: an LRU in memory bounded by bytes, backed by files under
 * `DATA_DIR/.tessera/embeddings/` bounded by bytes too (least recently used files go first). An
 * embedding is computed once per view and model; later clicks on the view run the decoder alone.
 */
export interface EmbeddingCacheOptions {
  readonly dir: string;
  readonly memoryBytes: number;
  readonly diskBytes: number;
}

interface DiskEntry {
  bytes: number;
  used: number;
}

export class EmbeddingCache {
  private readonly memory = new Map<string, Embedding>();
  private memoryBytes = 0;
  private readonly disk = new Map<string, DiskEntry>();
  private diskBytes = 0;
  private scanned: Promise<void> | null = null;
  private clock = 0;

  constructor(private readonly options: EmbeddingCacheOptions) {}

  get stats(): { memoryBytes: number; memoryEntries: number; diskBytes: number } {
    return { memoryBytes: this.memoryBytes, memoryEntries: this.memory.size, diskBytes: this.diskBytes };
  }

  /** The cached embedding and where it was found, or null. */
  async get(key: string): Promise<{ embedding: Embedding; from: "memory" | "disk" } | null> {
    const hit = this.memory.get(key);
    if (hit) {
      this.memory.delete(key);
      this.memory.set(key, hit);
      // Recency on disk follows use too: a view kept busy in memory is the last to leave the disk.
      const onDisk = this.disk.get(path.basename(this.fileOf(key)));
      if (onDisk) onDisk.used = ++this.clock;
      return { embedding: hit, from: "memory" };
    }
    await this.scan();
    const file = this.fileOf(key);
    const entry = this.disk.get(path.basename(file));
    if (!entry) return null;
    let embedding: Embedding;
    try {
      embedding = deserializeEmbedding(await fs.readFile(file));
    } catch (err) {
      if (!(err instanceof EmbeddingFormatError) && (err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      logLine("warn", "dropping an unreadable cached embedding", { file, error: (err as Error).message });
      await this.dropFile(path.basename(file));
      return null;
    }
    entry.used = ++this.clock;
    this.remember(key, embedding);
    return { embedding, from: "disk" };
  }

  /** Stores an embedding in memory and on disk (the disk write is awaited; its failure is logged, not thrown). */
  async put(key: string, embedding: Embedding): Promise<void> {
    this.remember(key, embedding);
    await this.scan();
    const bytes = serializeEmbedding(embedding);
    if (bytes.length > this.options.diskBytes) return;
    const name = path.basename(this.fileOf(key));
    const file = path.join(this.options.dir, name);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      await fs.mkdir(this.options.dir, { recursive: true });
      await fs.writeFile(tmp, bytes);
      await fs.rename(tmp, file);
    } catch (err) {
      logLine("warn", "cannot write an embedding to the disk cache", { file, error: (err as Error).message });
      await fs.rm(tmp, { force: true });
      return;
    }
    const previous = this.disk.get(name);
    if (previous) this.diskBytes -= previous.bytes;
    this.disk.set(name, { bytes: bytes.length, used: ++this.clock });
    this.diskBytes += bytes.length;
    await this.evictDisk();
  }

  private remember(key: string, embedding: Embedding): void {
    const size = embedding.data.byteLength;
    const old = this.memory.get(key);
    if (old) {
      this.memory.delete(key);
      this.memoryBytes -= old.data.byteLength;
    }
    if (size > this.options.memoryBytes) return;
    this.memory.set(key, embedding);
    this.memoryBytes += size;
    for (const [k, e] of this.memory) {
      if (this.memoryBytes <= this.options.memoryBytes) break;
      this.memory.delete(k);
      this.memoryBytes -= e.data.byteLength;
    }
  }

  private fileOf(key: string): string {
    return path.join(this.options.dir, `${createHash("sha256").update(key).digest("hex")}.emb`);
  }

  /** Learns what the disk cache holds (once), oldest files first. */
  private scan(): Promise<void> {
    this.scanned ??= (async () => {
      let names: string[];
      try {
        names = await fs.readdir(this.options.dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
        throw err;
      }
      const found: Array<{ name: string; bytes: number; mtime: number }> = [];
      for (const name of names) {
        const file = path.join(this.options.dir, name);
        if (name.endsWith(".tmp")) {
          await fs.rm(file, { force: true });
          continue;
        }
        if (!name.endsWith(".emb")) continue;
        const st = await fs.stat(file);
        found.push({ name, bytes: st.size, mtime: st.mtimeMs });
      }
      found.sort((a, b) => a.mtime - b.mtime);
      for (const f of found) {
        this.disk.set(f.name, { bytes: f.bytes, used: ++this.clock });
        this.diskBytes += f.bytes;
      }
      await this.evictDisk();
    })();
    return this.scanned;
  }

  private async evictDisk(): Promise<void> {
    if (this.diskBytes <= this.options.diskBytes) return;
    const byAge = [...this.disk.entries()].sort((a, b) => a[1].used - b[1].used);
    for (const [name] of byAge) {
      if (this.diskBytes <= this.options.diskBytes) break;
      await this.dropFile(name);
    }
  }

  private async dropFile(name: string): Promise<void> {
    const entry = this.disk.get(name);
    if (entry) {
      this.disk.delete(name);
      this.diskBytes -= entry.bytes;
    }
    await fs.rm(path.join(this.options.dir, name), { force: true });
  }
}
