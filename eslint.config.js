import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

/**
 * Package boundaries (docs/ARCHITECTURE.md §1): which workspace packages a package's sources may
 * import. Another package is imported by its name only (`@tessera/dataset`), never by a relative
 * path into its folder (`../../dataset/src/…`), which would bypass its exports and this check.
 */
/** What the benchmarks may take from @tessera/storage: read-only views of a DATA_DIR another process owns. */
const LOAD_TESTS_STORAGE = ["pendingLogs", "recordUpdateFromRows", "readRecordRows"];
const PACKAGES = ["shared-crdt", "dataset", "storage", "server", "workers", "client", "load-tests"];
function boundary(allowed, ...extra) {
  const forbidden = PACKAGES.filter((p) => !allowed.includes(p));
  const patterns = [
    ...(forbidden.length > 0
      ? [
          {
            group: forbidden.flatMap((p) => [`@tessera/${p}`, `@tessera/${p}/*`]),
            message: `this package may import only ${allowed.map((p) => `@tessera/${p}`).join(", ") || "no other Tessera package"} (docs/ARCHITECTURE.md §1).`,
          },
        ]
      : []),
    {
      regex: `^(\\.\\./)+(${PACKAGES.join("|")})(/|$)`,
      message: "import another package by its name (@tessera/…), not by a relative path into its folder.",
    },
    ...extra,
  ];
  return { "no-restricted-imports": ["error", { patterns }] };
}

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/dist/**",
      "**/.tsbuild/**",
      "data/**",
      "fixtures/**",
      "client/dist/**",
      "load-tests/.cache/**",
      "load-tests/results/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Type-aware rules: a promise is awaited, returned or handled on purpose; a switch over a union names every case.
    files: ["**/*.{ts,tsx}"],
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["vitest.config.ts", "client/vite.config.ts"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-empty": ["error", { allowEmptyCatch: false }],
    },
  },
  {
    // The model stays pure: no I/O, no node built-ins, no storage or transport libraries.
    files: ["shared-crdt/src/**/*.ts"],
    rules: boundary([], {
      group: ["node:*", "fs", "path", "express", "socket.io", "@lancedb/*", "apache-arrow", "onnxruntime-*"],
      message: "the model stays pure: no I/O, no node built-ins, no storage or transport libraries.",
    }),
  },
  {
    files: ["dataset/src/**/*.ts"],
    rules: boundary(["shared-crdt"]),
  },
  {
    // Tessera's durable state (WAL, snapshots, persist engine) over the Pixano-compatible library.
    files: ["storage/src/**/*.ts"],
    rules: boundary(["shared-crdt", "dataset"]),
  },
  {
    files: ["client/src/**/*.{ts,tsx}"],
    languageOptions: { globals: { ...globals.browser } },
    rules: boundary(["shared-crdt"], {
      group: ["node:*"],
      message: "the web client runs in the browser: no node built-ins.",
    }),
  },
  {
    // server, workers and load-tests never import one another; they meet through shared-crdt's message types.
    files: ["server/src/**/*.ts", "workers/src/**/*.ts"],
    rules: boundary(["shared-crdt", "dataset", "storage"]),
  },
  {
    // The benchmarks run servers as child processes: of the storage engine they use only its read-only
    // inspection of DATA_DIR and the row reads the persist worker times, never the log or snapshot engine.
    files: ["load-tests/src/**/*.ts"],
    rules: boundary(
      ["shared-crdt", "dataset", "storage"],
      {
        group: ["@tessera/storage"],
        allowImportNames: LOAD_TESTS_STORAGE,
        message: `load-tests may import only ${LOAD_TESTS_STORAGE.join(", ")} from @tessera/storage (docs/ARCHITECTURE.md §1).`,
      },
      {
        group: ["@tessera/storage/*"],
        message: "import @tessera/storage by its name only: it has no deep entry points.",
      },
    ),
  },
);
