import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * Every SPEC rule id the repository cites (in code, tests and docs) is a rule of
 * `shared-crdt/SPEC.md`: a reader who follows "SPEC P-FRAME" finds it. Ids are S-…, D-…, P-…, L-…
 * (capitals, digits and dashes after the letter) and W1…; `D-OPS-3` is item (3) of D-OPS.
 */

const root = fileURLToPath(new URL("../../", import.meta.url));
const specPath = join(root, "shared-crdt", "SPEC.md");

/** Folders that are not the repository's own text (dependencies, build output, test data). */
const SKIP = new Set([
  "node_modules",
  "dist",
  ".tsbuild",
  "fixtures",
  "coverage",
  "data",
  "test-results",
  "playwright-report",
]);
const TEXT = /\.(ts|tsx|mts|js|mjs|md)$/;

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (entry.isFile() && TEXT.test(entry.name)) yield path;
  }
}

const RULE_ID = /\b(?:[SDPL]-[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*|W[0-9]+)\b/g;

/** The rules SPEC.md defines: `- **ID** — …`, with the text of each. */
function definedRules(spec: string): Map<string, string> {
  const rules = new Map<string, string>();
  const re = /^- \*\*([A-Z][A-Z0-9-]*)\*\* — ([\s\S]*?)(?=^- \*\*|^#|(?![\s\S]))/gm;
  for (const m of spec.matchAll(re)) rules.set(m[1] as string, m[2] as string);
  return rules;
}

/** Whether `id` names a rule: itself, or item (n) of a numbered rule (`D-OPS-3`). */
function resolves(id: string, rules: ReadonlyMap<string, string>): boolean {
  if (rules.has(id)) return true;
  const item = /^(.+)-([0-9]+)$/.exec(id);
  if (!item) return false;
  const text = rules.get(item[1] as string);
  return text !== undefined && text.includes(`(${item[2]})`);
}

describe("SPEC rule ids", () => {
  const rules = definedRules(readFileSync(specPath, "utf8"));

  it("SPEC.md defines the rule families the code cites, each id once", () => {
    const ids = [...readFileSync(specPath, "utf8").matchAll(/^- \*\*([A-Z][A-Z0-9-]*)\*\*/gm)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ["S-TYPES", "D-LAYOUT", "W1", "P-FRAME", "P-CLOSE", "P-JOBS", "L-ACTIVITY"])
      expect(rules.has(id), id).toBe(true);
  });

  it("every rule id cited in code, tests and docs exists in SPEC.md", () => {
    const missing: string[] = [];
    let cited = 0;
    for (const file of sourceFiles(root)) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(RULE_ID)) {
        cited++;
        if (!resolves(m[0], rules)) {
          const line = text.slice(0, m.index).split("\n").length;
          missing.push(`${relative(root, file)}:${line} ${m[0]}`);
        }
      }
    }
    expect(cited).toBeGreaterThan(100);
    expect(missing).toEqual([]);
  });
});

describe("architecture map references", () => {
  it("every `ARCHITECTURE §N` cited names docs/ARCHITECTURE.md and one of its sections", () => {
    const map = readFileSync(join(root, "docs", "ARCHITECTURE.md"), "utf8");
    const sections = new Set([...map.matchAll(/^## ([0-9]+)\. /gm)].map((m) => m[1]));
    expect(sections.size).toBeGreaterThanOrEqual(8);
    const bad: string[] = [];
    let cited = 0;
    for (const file of sourceFiles(root)) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/(\S*)ARCHITECTURE(?:\.md)?\)? §([0-9]+)/g)) {
        cited++;
        const line = text.slice(0, m.index).split("\n").length;
        const where = `${relative(root, file)}:${line}`;
        const path = m[1] ?? "";
        if (!path.endsWith("docs/")) bad.push(`${where} does not name docs/ARCHITECTURE.md: ${m[0]}`);
        else if (!sections.has(m[2] as string)) bad.push(`${where} cites a missing section: ${m[0]}`);
      }
    }
    expect(cited).toBeGreaterThan(10);
    expect(bad).toEqual([]);
  });
});

describe("code comments", () => {
  it("name no issue numbers (the reason goes in the comment, the issue's number in the history)", () => {
    const bad: string[] = [];
    for (const file of sourceFiles(root)) {
      if (file.endsWith(".md")) continue;
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/\bissues? #?[0-9]+\b/gi)) {
        const line = text.slice(0, m.index).split("\n").length;
        bad.push(`${relative(root, file)}:${line} ${m[0]}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
