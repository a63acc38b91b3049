import { defineConfig } from "vitest/config";

// One vitest project per package; `vitest run --project dataset` runs one of them.
const packages = ["shared-crdt", "dataset", "storage", "server", "workers", "client", "load-tests"];

/**
 * Tests that assert latency bounds (p50/p99 of /health or of confirmations during a flood). They
 * run in the `timing` project, after every other file and one at a time, so a neighbour never
 * shares their two cores; the rest runs two files at a time (most wait on child processes,
 * sockets and disk). Paths from the repository root.
 */
const TIMING = [
  "server/test/auth/attacks.test.ts",
  "server/test/hardening/awarenessFlood.test.ts",
  "server/test/hardening/updateFlood.test.ts",
  "server/test/hardening/socketioPolling.test.ts",
  "server/test/hardening/documentRules.test.ts",
  "server/test/hardening/int64.test.ts",
  "server/test/sync/awareness.test.ts",
  "shared-crdt/test/doc/repairLenient.test.ts",
];

const timeouts = { testTimeout: 60_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    // vitest's default on a 2-core machine is cores − 1 = one file at a time.
    maxWorkers: 2,
    projects: [
      ...packages.map((name) => ({
        // The client's components are Solid JSX (compiled by vite-plugin-solid in the app build); tests that import
        // them (the workspace registry loads every `*.workspace.tsx`) compile it with Solid's hyperscript runtime.
        ...(name === "client" ? { oxc: { jsx: { runtime: "automatic" as const, importSource: "solid-js/h" } } } : {}),
        test: {
          name,
          root: `./${name}`,
          include: ["test/**/*.test.ts", "src/**/*.test.ts"],
          exclude: [
            "**/node_modules/**",
            ...TIMING.filter((f) => f.startsWith(`${name}/`)).map((f) => f.slice(name.length + 1)),
            ...(name === "shared-crdt" ? ["test/kinds/**"] : []),
          ],
          environment: "node",
          // The model is pure (no I/O, no globals): its files share one module graph per worker — except the kind
          // registry's tests, which register kinds (a process-wide registry, frozen on first read): they run isolated
          // in the `shared-crdt-kinds` project.
          ...(name === "shared-crdt" ? { isolate: false } : {}),
          ...timeouts,
        },
      })),
      {
        test: {
          name: "shared-crdt-kinds",
          root: "./shared-crdt",
          include: ["test/kinds/**/*.test.ts"],
          environment: "node",
          ...timeouts,
        },
      },
      {
        test: {
          name: "timing",
          root: ".",
          include: TIMING,
          environment: "node",
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
          ...timeouts,
        },
      },
    ],
  },
});
