import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * Whether this module runs compiled (`server/dist/…/*.js`, production: `scripts/build.mjs`) or
 * from its TypeScript source through tsx (dev and tests). The workers run the same way.
 */
const COMPILED = import.meta.url.endsWith(".js");

/**
 * The package-exports condition that selects the packages' `dist/*.js` (`DIST_CONDITION` of
 * `scripts/build.mjs`): a compiled worker imports `@tessera/dataset` with it.
 */
const DIST_CONDITION = "tessera-dist";

/**
 * A worker entry of the `workers` package, found beside the server in the repository (the two never
 * import each other): `workers/dist/<path>.js` when the server runs compiled, else the TypeScript
 * source. `path` is relative to the package's `src`/`dist`, without extension (`persist/main`).
 */
export function workerEntry(path: string): string {
  return fileURLToPath(
    new URL(COMPILED ? `../../../workers/dist/${path}.js` : `../../../workers/src/${path}.ts`, import.meta.url),
  );
}

/**
 * Node options of a worker: compiled JavaScript with the dist condition (no loader) when the
 * server runs compiled; the TypeScript source through tsx otherwise (a `.ts` entry needs it).
 */
export function workerExecArgv(entry: string): string[] {
  if (entry.endsWith(".js")) return [`--conditions=${DIST_CONDITION}`, "--enable-source-maps"];
  return ["--import", pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href];
}
