#!/usr/bin/env node
/**
 * Builds the server-side packages (`shared-crdt`, `dataset`, `storage`, `server`, `workers`) into
 * `<package>/dist`: every `src/**\/*.ts` (tests excluded) becomes the `.js` file beside it, with a
 * source map. Production (`npm start`, the Procfile, `tessera …`) runs this JavaScript; dev and
 * tests stay on the TypeScript sources (vitest, vite, tsx).
 *
 * Emit only: each file goes through TypeScript's own transpiler on its own (the packages compile
 * with `isolatedModules` and `verbatimModuleSyntax`, which guarantee that a file's JavaScript
 * does not depend on the others' types). Type-checking stays `tsc -b` (declarations in
 * `.tsbuild/`, `npm test`'s first suite): the two never write the same files.
 *
 * A package is rebuilt when its `dist/.built` stamp is older than its newest source file (or
 * than this script); each file is written to a temporary name then renamed, so a concurrent
 * build or a running server never reads half a file.
 *
 * `node scripts/build.mjs` builds what is stale; `--force` rebuilds everything.
 * Imported by `scripts/start.mjs` and `bin/tessera.mjs` (`buildIfStale`).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const self = fileURLToPath(import.meta.url);

/** The packages production runs, in dependency order. */
export const BUILT_PACKAGES = ["shared-crdt", "dataset", "storage", "server", "workers"];

/**
 * The package-exports condition that selects `dist/*.js` (see each package.json); without it the
 * same specifiers resolve to `src/*.ts` (vitest, vite, tsx). Production runs `node --conditions=…`.
 */
export const DIST_CONDITION = "tessera-dist";

const STAMP = ".built";

/** Every file under `dir` (relative paths), skipping nothing but dot-directories. */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

const isSource = (file) => file.endsWith(".ts") && !file.endsWith(".d.ts") && !file.endsWith(".test.ts");

/** Why `pkg` must be (re)built, or null when its dist is up to date. */
function staleReason(pkg) {
  const stampFile = join(root, pkg, "dist", STAMP);
  if (!existsSync(stampFile)) return "not built yet";
  const built = statSync(stampFile).mtimeMs;
  const inputs = [self, join(root, pkg, "package.json"), ...filesUnder(join(root, pkg, "src"))];
  const newer = inputs.find((file) => statSync(file).mtimeMs > built);
  return newer ? `${relative(root, newer)} changed` : null;
}

/** Writes `text` to `file` atomically (temporary file in the same folder, then rename). */
function writeAtomic(file, text) {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Transpiles one package's sources into its `dist/`; returns the number of files written. */
function buildPackage(ts, pkg) {
  const src = join(root, pkg, "src");
  const dist = join(root, pkg, "dist");
  let count = 0;
  for (const file of filesUnder(src)) {
    const rel = relative(src, file);
    if (file.endsWith(".json")) {
      writeAtomic(join(dist, rel), readFileSync(file));
      count++;
      continue;
    }
    if (!isSource(file)) continue;
    const out = join(dist, rel.replace(/\.ts$/, ".js"));
    const result = ts.transpileModule(readFileSync(file, "utf8"), {
      fileName: file,
      reportDiagnostics: true,
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        verbatimModuleSyntax: true,
        isolatedModules: true,
        sourceMap: true,
      },
    });
    const errors = (result.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
    if (errors.length > 0) {
      const message = errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("; ");
      throw new Error(`cannot transpile ${relative(root, file)}: ${message}`);
    }
    // The map names the TypeScript file relative to the emitted one (stack traces point at src/).
    const map = JSON.parse(result.sourceMapText ?? "{}");
    map.sources = [relative(dirname(out), file)];
    map.file = rel.replace(/\.ts$/, ".js").split("/").pop();
    writeAtomic(`${out}.map`, JSON.stringify(map));
    writeAtomic(out, result.outputText);
    count++;
  }
  writeAtomic(join(dist, STAMP), `${new Date().toISOString()}\n`);
  return count;
}

/**
 * Builds every stale package; `log` receives one line per package built (nothing when all are
 * up to date). Throws when TypeScript is not installed (`npm ci` installs it) or a file does not
 * transpile.
 */
export function buildIfStale({ log = () => {}, force = false } = {}) {
  const stale = BUILT_PACKAGES.map((pkg) => ({ pkg, reason: force ? "forced" : staleReason(pkg) })).filter(
    (p) => p.reason,
  );
  if (stale.length === 0) return { built: [] };
  let ts;
  try {
    ts = createRequire(join(root, "package.json"))("typescript");
  } catch (err) {
    throw new Error(
      `building ${stale.map((p) => p.pkg).join(", ")} needs TypeScript (run \`npm ci\` first): ${err.message}`,
    );
  }
  for (const { pkg, reason } of stale) {
    const started = Date.now();
    log(`building ${pkg}/dist (${reason})`);
    const count = buildPackage(ts, pkg);
    log(`built ${pkg}/dist: ${count} files in ${Date.now() - started} ms`);
  }
  return { built: stale.map((p) => p.pkg) };
}

if (process.argv[1] && resolve(process.argv[1]) === self) {
  try {
    const { built } = buildIfStale({
      log: (line) => console.log(`[build] ${line}`),
      force: process.argv.includes("--force"),
    });
    if (built.length === 0) console.log("[build] server packages are up to date");
  } catch (err) {
    console.error(`[build] ${err.message}`);
    process.exitCode = 1;
  }
}
