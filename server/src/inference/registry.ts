import type { Dirent } from "node:fs";
import * as fs from "node:fs/promises";
import path from "node:path";
import { checkManifest, ManifestError, MODEL_NAME, type ModelManifest, type ModelTask } from "./manifest.js";
import { tokenizerFiles } from "./tokenizerManifest.js";

/**
 * The model registry: one folder per model under `DATA_DIR/models/`, each with a
 * `manifest.json` and the files it names. Read from disk at every look-up (a handful of small
 * files), so `tessera models add|remove` takes effect on a running server at once. A folder whose
 * manifest is missing or invalid, or whose files are absent, is reported as a problem and left out.
 */
export interface RegisteredModel {
  readonly name: string;
  readonly dir: string;
  readonly manifest: ModelManifest;
}

export interface ModelProblem {
  readonly name: string;
  readonly error: string;
}

export class RegistryError extends Error {
  override name = "RegistryError";
  constructor(
    readonly reason: "exists" | "not_found" | "bad_source" | "bad_name",
    message: string,
  ) {
    super(message);
  }
}

const MANIFEST = "manifest.json";

function modelsDir(dataDir: string): string {
  return path.join(dataDir, "models");
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

/** Reads and checks one model folder. */
async function readModel(dir: string, folderName: string): Promise<RegisteredModel> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, MANIFEST), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new ManifestError(`no ${MANIFEST}`);
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    if (err instanceof SyntaxError) throw new ManifestError(`${MANIFEST} is not JSON: ${err.message}`);
    throw err;
  }
  const manifest = checkManifest(parsed);
  if (manifest.name !== undefined && manifest.name !== folderName)
    throw new ManifestError(`manifest name ${JSON.stringify(manifest.name)} differs from its folder ${folderName}`);
  for (const [role, file] of Object.entries(manifest.files)) {
    if (!(await exists(path.join(dir, file)))) throw new ManifestError(`files.${role}: ${file} is missing`);
  }
  for (const [role, file] of Object.entries(tokenizerFiles(manifest))) {
    if (!(await exists(path.join(dir, file)))) throw new ManifestError(`${role}: ${file} is missing`);
  }
  return { name: folderName, dir, manifest };
}

export class ModelRegistry {
  constructor(private readonly dataDir: string) {}

  get root(): string {
    return modelsDir(this.dataDir);
  }

  /** Every model folder: the valid models (by name) and the problems of the others. */
  async scan(): Promise<{ models: RegisteredModel[]; problems: ModelProblem[] }> {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(this.root, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { models: [], problems: [] };
      throw err;
    }
    const models: RegisteredModel[] = [];
    const problems: ModelProblem[] = [];
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (!e.isDirectory() || e.name.startsWith(".")) continue;
      try {
        models.push(await readModel(path.join(this.root, e.name), e.name));
      } catch (err) {
        if (!(err instanceof ManifestError)) throw err;
        problems.push({ name: e.name, error: err.message });
      }
    }
    return { models, problems };
  }

  /** A valid model by name, or null (absent or invalid). */
  async get(name: string): Promise<RegisteredModel | null> {
    if (!MODEL_NAME.test(name)) return null;
    const dir = path.join(this.root, name);
    if (!(await exists(dir))) return null;
    try {
      return await readModel(dir, name);
    } catch (err) {
      if (err instanceof ManifestError) return null;
      throw err;
    }
  }

  /**
   * Copies a model into the registry: a folder with a `manifest.json` (the `name`/`task`
   * arguments override it), a folder of `.onnx` files, or one `.onnx` file (then `task` is
   * needed). The copy is staged in a hidden folder and renamed into place once checked.
   */
  async add(source: string, options: { name?: string; task?: ModelTask } = {}): Promise<RegisteredModel> {
    const st = await fs.stat(source).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") throw new RegistryError("bad_source", `${source} does not exist`);
      throw err;
    });
    const fromFile = st.isFile();
    const base = fromFile ? path.basename(source, path.extname(source)) : path.basename(path.resolve(source));
    let manifest: Record<string, unknown> = {};
    const files: string[] = fromFile ? [path.basename(source)] : await fs.readdir(source);
    if (!fromFile && files.includes(MANIFEST)) {
      try {
        manifest = JSON.parse(await fs.readFile(path.join(source, MANIFEST), "utf8")) as Record<string, unknown>;
      } catch (err) {
        if (err instanceof SyntaxError) throw new RegistryError("bad_source", `${MANIFEST}: ${err.message}`);
        throw err;
      }
      if (manifest === null || typeof manifest !== "object" || Array.isArray(manifest))
        throw new RegistryError("bad_source", `${MANIFEST} is not a JSON object`);
    }
    const name = options.name ?? (typeof manifest.name === "string" ? manifest.name : base);
    if (!MODEL_NAME.test(name))
      throw new RegistryError("bad_name", `model name ${JSON.stringify(name)}: letters, digits, . _ - (at most 64)`);
    if (options.task) manifest.task = options.task;
    manifest.name = name;
    if (manifest.files === undefined) manifest.files = guessFiles(files, manifest.task);
    let checked: ModelManifest;
    try {
      checked = checkManifest(manifest);
    } catch (err) {
      if (err instanceof ManifestError) throw new RegistryError("bad_source", err.message);
      throw err;
    }
    const target = path.join(this.root, name);
    if (await exists(target)) throw new RegistryError("exists", `a model named ${name} is already registered`);
    const staging = path.join(this.root, `.adding-${name}-${process.pid}`);
    await fs.rm(staging, { recursive: true, force: true });
    await fs.mkdir(staging, { recursive: true });
    try {
      const srcDir = fromFile ? path.dirname(source) : source;
      for (const file of new Set([...Object.values(checked.files), ...Object.values(tokenizerFiles(checked))])) {
        const from = path.join(srcDir, file);
        if (!(await exists(from))) throw new RegistryError("bad_source", `${file} is missing from ${srcDir}`);
        await fs.mkdir(path.dirname(path.join(staging, file)), { recursive: true });
        await fs.copyFile(from, path.join(staging, file));
      }
      await fs.writeFile(path.join(staging, MANIFEST), `${JSON.stringify(checked, null, 2)}\n`);
      await readModel(staging, name);
      await fs.rename(staging, target);
    } catch (err) {
      await fs.rm(staging, { recursive: true, force: true });
      if (err instanceof ManifestError) throw new RegistryError("bad_source", err.message);
      throw err;
    }
    return { name, dir: target, manifest: checked };
  }

  async remove(name: string): Promise<void> {
    if (!MODEL_NAME.test(name)) throw new RegistryError("bad_name", `no model named ${JSON.stringify(name)}`);
    const dir = path.join(this.root, name);
    if (!(await exists(dir))) throw new RegistryError("not_found", `no model named ${name}`);
    // Renamed away first, so a running server never reads half a folder.
    const doomed = path.join(this.root, `.removing-${name}-${process.pid}`);
    await fs.rename(dir, doomed);
    await fs.rm(doomed, { recursive: true, force: true });
  }
}

/** `files` for a folder without a manifest: SAM pairs by name, else its one `.onnx` file. */
function guessFiles(names: readonly string[], task: unknown): Record<string, string> | undefined {
  const onnx = names.filter((n) => n.toLowerCase().endsWith(".onnx"));
  if (task === "segmentation") {
    const encoder = onnx.find((n) => /encoder/i.test(n));
    const decoder = onnx.find((n) => /decoder/i.test(n));
    return encoder && decoder ? { encoder, decoder } : undefined;
  }
  const [only] = onnx;
  return onnx.length === 1 && only ? { model: only } : undefined;
}
