import { describe, expect, it } from "vitest";

/**
 * The registry imports every kind module through `import.meta.glob`, an edge the repository's
 * import-cycle check (`scripts/check-imports.mjs`) does not see. So this checks the other half:
 * nothing a kind module imports at run time (transitively) imports the registry or its
 * dispatchers back, which would make the kinds' evaluation order depend on who loads first.
 */
const SOURCES: Readonly<Record<string, string>> = import.meta.glob("../../src/**/*.{ts,tsx}", {
  query: "?raw",
  import: "default",
  eager: true,
});

/** Runtime (not type-only) relative imports of a module, as keys of {@link SOURCES}. */
function runtimeImports(file: string): string[] {
  const src = SOURCES[file] ?? "";
  const out: string[] = [];
  for (const m of src.matchAll(/^(?:import|export)\s+(?!type\b)([^;]*?)\s+from\s+"(\.[^"]+)"/gms)) {
    const clause = m[1] ?? "";
    // `import { type A, type B } from …` is erased too.
    if (
      /^\{[^}]*\}$/s.test(clause) &&
      clause
        .slice(1, -1)
        .split(",")
        .every((s) => /^\s*(type\s|$)/.test(s))
    )
      continue;
    const parts = file.split("/").slice(0, -1);
    for (const seg of (m[2] ?? "").split("/")) {
      if (seg === "..") parts.pop();
      else if (seg !== ".") parts.push(seg);
    }
    const base = parts.join("/").replace(/\.js$/, "");
    const hit = [`${base}.ts`, `${base}.tsx`, `${base}/index.ts`].find((f) => f in SOURCES);
    if (hit) out.push(hit);
  }
  return out;
}

describe("kind modules and the registry", () => {
  it("no module a kind module imports at run time imports the registry or its dispatchers back", () => {
    const kinds = Object.keys(SOURCES).filter((f) => f.endsWith(".kind.ts"));
    expect(kinds.length).toBeGreaterThanOrEqual(4);
    const seen = new Map<string, string>();
    const queue = kinds.map((k) => [k, k] as const);
    for (let item = queue.shift(); item; item = queue.shift()) {
      const [file, from] = item;
      for (const dep of runtimeImports(file)) {
        if (seen.has(dep)) continue;
        seen.set(dep, from);
        queue.push([dep, from]);
      }
    }
    const back = ["../../src/kinds/registry.ts", "../../src/kinds/draw.ts"].filter((f) => seen.has(f));
    expect(back.map((f) => `${f} (reached from ${seen.get(f) ?? "?"})`)).toEqual([]);
    // The walk does follow imports: the kinds reach their views and tools.
    expect(seen.has("../../src/canvas/render/views/BoxView.ts")).toBe(true);
    expect(seen.has("../../src/tools/bboxTool.ts")).toBe(true);
  });
});
