import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

/**
 * `@tessera/storage` is a package of its own (docs/ARCHITECTURE.md §1): it builds on `dataset`
 * and `shared-crdt`; `server` and `workers` use it; `dataset` never imports it; `load-tests` use
 * only its read-only inspection. Checked the way `npm test` checks every boundary: eslint's
 * `no-restricted-imports` and the import-cycle script.
 */

const root = fileURLToPath(new URL("../../", import.meta.url));

describe("storage package boundaries", () => {
  // The snippets are linted as files that do not exist: without type information (the type-aware
  // rules need a file in a tsconfig), which no-restricted-imports does not use.
  const eslint = new ESLint({
    cwd: root,
    overrideConfig: {
      files: ["**/*.ts"],
      languageOptions: { parserOptions: { projectService: false } },
      rules: {
        "@typescript-eslint/no-floating-promises": "off",
        "@typescript-eslint/no-misused-promises": "off",
        "@typescript-eslint/switch-exhaustiveness-check": "off",
      },
    },
  });
  const restricted = async (file: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: join(root, file) });
    const fatal = (result?.messages ?? []).filter((m) => m.fatal);
    expect(fatal.map((m) => m.message)).toEqual([]);
    return (result?.messages ?? []).filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
  };

  it("the dataset library may not import the storage engine (storage depends on dataset, not the reverse)", async () => {
    expect(
      await restricted(
        "dataset/src/x.ts",
        `import { FileRecordLog } from "@tessera/storage";\nexport { FileRecordLog };\n`,
      ),
    ).toHaveLength(1);
    expect(
      await restricted(
        "dataset/src/x.ts",
        `import { walDir } from "../../storage/src/index.js";\nexport { walDir };\n`,
      ),
    ).toHaveLength(1);
  });

  it("storage imports dataset and shared-crdt by name, and nothing above it", async () => {
    expect(
      await restricted(
        "storage/src/x.ts",
        `import { Library } from "@tessera/dataset";\nimport { COMPONENT_TABLES } from "@tessera/shared-crdt";\nexport { Library, COMPONENT_TABLES };\n`,
      ),
    ).toEqual([]);
    expect(
      await restricted("storage/src/x.ts", `import { startServer } from "@tessera/server";\nexport { startServer };\n`),
    ).toHaveLength(1);
    expect(
      await restricted(
        "storage/src/x.ts",
        `import { lenientAccepts } from "../../dataset/src/lenientRows.js";\nexport { lenientAccepts };\n`,
      ),
    ).toHaveLength(1);
  });

  it("server and workers use the storage engine", async () => {
    const code = `import { FileRecordLog, persistRecord } from "@tessera/storage";\nexport { FileRecordLog, persistRecord };\n`;
    expect(await restricted("server/src/sync/x.ts", code)).toEqual([]);
    expect(await restricted("workers/src/persist/x.ts", code)).toEqual([]);
  });

  it("load-tests may not reach the write-ahead log engine: only storage's read-only inspection", async () => {
    expect(
      await restricted(
        "load-tests/src/x.ts",
        `import { FileRecordLog } from "@tessera/storage";\nexport { FileRecordLog };\n`,
      ),
    ).toHaveLength(1);
    expect(
      await restricted("load-tests/src/x.ts", `import * as storage from "@tessera/storage";\nexport { storage };\n`),
    ).toHaveLength(1);
    expect(
      await restricted(
        "load-tests/src/x.ts",
        `import { scanEntries } from "@tessera/storage/src/walFormat.js";\nexport { scanEntries };\n`,
      ),
    ).not.toEqual([]);
    expect(
      await restricted(
        "load-tests/src/x.ts",
        `import { pendingLogs, recordUpdateFromRows, readRecordRows } from "@tessera/storage";\nexport { pendingLogs, recordUpdateFromRows, readRecordRows };\n`,
      ),
    ).toEqual([]);
  });

  it("the load-tests sources themselves pass that rule (no WAL internals)", async () => {
    const files = [
      "load-tests/src/scenarios/common.ts",
      "load-tests/src/gen/collabDataset.ts",
      "load-tests/src/probes/persistSteps.ts",
    ];
    for (const file of files) {
      const text = readFileSync(join(root, file), "utf8");
      expect(text).not.toMatch(/FileRecordLog|@tessera\/dataset\/state/);
      expect(await restricted(file, text)).toEqual([]);
    }
  });

  it("the dataset package does not export the state engine any more", () => {
    const pkg = JSON.parse(readFileSync(join(root, "dataset", "package.json"), "utf8")) as {
      exports: Record<string, unknown>;
    };
    expect(Object.keys(pkg.exports)).not.toContain("./state");
  });

  it("no import cycle between dataset and storage", () => {
    const r = spawnSync(process.execPath, [join(root, "scripts", "check-imports.mjs")], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
