import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { afterAll, describe, expect, it } from "vitest";

/**
 * The repository checks `npm test` runs besides tsc, eslint and the tests: package boundaries in
 * eslint (names and relative paths) and the import-cycle check (`scripts/check-imports.mjs`).
 */

const root = fileURLToPath(new URL("../../", import.meta.url));

describe("package boundaries (eslint no-restricted-imports)", () => {
  // The repository's config with only the rule under test: no type-aware program (these files do not exist on
  // disk, and building the program for the whole tree took ~35 s per run and answered with a parse error).
  const eslint = new ESLint({
    cwd: root,
    overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
    ruleFilter: ({ ruleId }) => ruleId === "no-restricted-imports",
  });
  const restricted = async (file: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: join(root, file) });
    expect((result?.messages ?? []).filter((m) => m.fatal).map((m) => m.message)).toEqual([]);
    return (result?.messages ?? []).filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
  };

  it("a relative path into another package's folder is refused, as its package name is", async () => {
    expect(
      await restricted(
        "server/src/http/x.ts",
        `import { a } from "../../../workers/src/persist/main.js";\nexport { a };\n`,
      ),
    ).toHaveLength(1);
    expect(await restricted("server/src/x.ts", `import { a } from "@tessera/workers";\nexport { a };\n`)).toHaveLength(
      1,
    );
    expect(
      await restricted("dataset/src/io/x.ts", `import { a } from "../../../server/src/index.js";\nexport { a };\n`),
    ).toHaveLength(1);
    expect(
      await restricted("client/src/pages/x.ts", `import { a } from "../../../dataset/src/index.js";\nexport { a };\n`),
    ).toHaveLength(1);
    // Even an allowed package goes through its name, not its folder.
    expect(
      await restricted("server/src/x.ts", `import { a } from "../../dataset/src/index.js";\nexport { a };\n`),
    ).toHaveLength(1);
    expect(
      await restricted("shared-crdt/src/doc/x.ts", `import { a } from "@tessera/dataset";\nexport { a };\n`),
    ).toHaveLength(1);
  });

  it("allowed imports pass: a package's own modules, allowed packages by name", async () => {
    expect(
      await restricted(
        "server/src/http/x.ts",
        `import { a } from "../sync/index.js";\nimport { b } from "@tessera/storage";\nexport { a, b };\n`,
      ),
    ).toEqual([]);
    expect(await restricted("load-tests/src/x.ts", `import { a } from "@tessera/dataset";\nexport { a };\n`)).toEqual(
      [],
    );
  });
});

describe("import-cycle check (scripts/check-imports.mjs)", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** A one-package repository with the given `src/` files. */
  function repo(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), "tessera-cycles-"));
    dirs.push(dir);
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    write("package.json", JSON.stringify({ workspaces: ["a", "b"] }));
    write("a/package.json", JSON.stringify({ name: "@t/a", exports: { ".": "./src/index.ts" } }));
    write("b/package.json", JSON.stringify({ name: "@t/b", exports: { ".": "./src/index.ts" } }));
    for (const [path, text] of Object.entries(files)) write(path, text);
    return dir;
  }
  const check = (dir: string) =>
    spawnSync(process.execPath, [join(root, "scripts", "check-imports.mjs"), "--root", dir], { encoding: "utf8" });

  it("finds a cycle through relative imports and through a package's exports", () => {
    const r = check(
      repo({
        "a/src/index.ts": `export { x } from "./x.js";\n`,
        "a/src/x.ts": `import { y } from "./y.js";\nexport const x = () => y;\n`,
        "a/src/y.ts": `import { z } from "@t/b";\nexport const y = z;\n`,
        "b/src/index.ts": `import { x } from "@t/a";\nexport const z = x;\n`,
      }),
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/import cycle among 4 modules/);
    expect(r.stderr).toMatch(/a\/src\/x\.ts → a\/src\/y\.ts/);
  });

  it("type-only imports do not make a cycle; a plain chain passes", () => {
    const r = check(
      repo({
        "a/src/index.ts": `export { x } from "./x.js";\n`,
        "a/src/x.ts": `import type { Y } from "./y.js";\nimport { type Z } from "./y.js";\nexport const x = (v: Y & Z) => v;\n`,
        "a/src/y.ts": `import { x } from "./x.js";\nexport type Y = ReturnType<typeof x>;\nexport type Z = { z: 1 };\n`,
        "b/src/index.ts": `export const z = 1;\n`,
      }),
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/import cycles: none in 4 modules/);
  });
});
