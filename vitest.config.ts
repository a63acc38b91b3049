import { defineConfig } from "vitest/config";

// One vitest project per package; `vitest run --project dataset` runs one of them.
const packages = ["shared-crdt", "dataset", "storage", "server", "workers", "client", "load-tests"];

export default defineConfig({
  test: {
    projects: packages.map((name) => ({
      test: {
        name,
        root: `./${name}`,
        include: ["test/**/*.test.ts", "src/**/*.test.ts"],
        environment: "node",
        testTimeout: 60_000,
        hookTimeout: 60_000,
      },
    })),
  },
});
