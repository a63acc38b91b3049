#!/usr/bin/env node
/**
 * Launcher of the `tessera` CLI. Runs the compiled server (`server/dist/cli/main.js`, plain
 * JavaScript, no TypeScript loader): first builds the server packages into their `dist/` when
 * they are missing or older than their sources (`scripts/build.mjs`, a few seconds, said on
 * stderr), so `npx tessera …` works from a fresh checkout after `npm ci`.
 *
 * The packages' `dist/` is selected by the `tessera-dist` package-exports condition (without it,
 * `@tessera/*` resolve to their TypeScript sources, for vitest/vite/tsx). `npm start` and the
 * Procfile run `node --conditions=tessera-dist bin/tessera.mjs`; started without it, this
 * launcher adds the condition to its own module resolution (a resolve hook, no transpiling).
 */
import { register } from "node:module";
import { buildIfStale, DIST_CONDITION } from "../scripts/build.mjs";

try {
  buildIfStale({ log: (line) => process.stderr.write(`tessera: ${line}\n`) });
} catch (err) {
  process.stderr.write(
    `tessera: error: cannot build the server (node scripts/build.mjs): ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
}

if (!import.meta.resolve("@tessera/server").endsWith(".js")) {
  const hook = `export async function resolve(specifier, context, next) {
  return next(specifier, { ...context, conditions: [...context.conditions, ${JSON.stringify(DIST_CONDITION)}] });
}`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`);
}
process.setSourceMapsEnabled(true);

const { main } = await import("../server/dist/cli/main.js");
process.exitCode = await main(process.argv.slice(2));
