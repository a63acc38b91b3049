import { mulberry32 } from "@tessera/shared-crdt";
import { promises as fs, existsSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (tests run from any cwd). */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const FIXTURES = path.join(REPO, "fixtures", "pixano-built");
const FIXTURE_LIBRARY = path.join(FIXTURES, "library");
export const FIXTURE_REFERENCE = path.join(FIXTURES, "reference");
export const HAVE_FIXTURES = existsSync(path.join(FIXTURE_LIBRARY)) && existsSync(FIXTURE_REFERENCE);

/** A fresh temporary folder; remove it with {@link removeDir}. */
export async function tempDir(prefix = "tessera-dataset-"): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

/** The fixture datasets (folder names), sorted. */
export async function fixtureDatasets(): Promise<string[]> {
  if (!HAVE_FIXTURES) return [];
  const entries = await fs.readdir(FIXTURE_LIBRARY, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
}

/** Copies the fixture library into `<dataDir>/library` so tests never touch the committed files. */
export async function copyFixtureLibrary(dataDir: string): Promise<void> {
  await fs.cp(FIXTURE_LIBRARY, path.join(dataDir, "library"), { recursive: true });
}

/** A deterministic PRNG for seeded random data. */
export const rng = mulberry32;

/** A fixed clock that advances by one second per call. */
export function steppingClock(start = Date.UTC(2025, 0, 2, 3, 4, 5, 678)): () => Date {
  let t = start;
  return () => new Date((t += 1000));
}
