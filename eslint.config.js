import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "**/.tsbuild/**", "data/**", "fixtures/**", "client/dist/**", "load-tests/.cache/**", "load-tests/results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
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
    rules: {
      "no-restricted-imports": ["error", { patterns: ["node:*", "fs", "path", "express", "socket.io", "@lancedb/*", "apache-arrow", "onnxruntime-*", "@tessera/*"] }],
    },
  },
  {
    files: ["client/src/**/*.{ts,tsx}"],
    languageOptions: { globals: { ...globals.browser } },
    rules: { "no-restricted-imports": ["error", { patterns: ["@tessera/server", "@tessera/workers", "@tessera/dataset", "node:*"] }] },
  },
  {
    files: ["server/src/**/*.ts", "workers/src/**/*.ts", "load-tests/src/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: ["@tessera/server", "@tessera/workers", "@tessera/client", "@tessera/load-tests"] }] },
  },
);
