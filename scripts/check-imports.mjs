#!/usr/bin/env node
/**
 * Import-cycle check: no module of the repository imports itself back through a chain of runtime
 * imports. Reads every `.ts`/`.tsx` file under the packages' `src/` folders with the TypeScript
 * parser, follows relative imports (`./x.js` → `./x.ts`, `./dir` → `./dir/index.ts`) and the
 * workspace packages' exports (`@tessera/dataset/io` → `dataset/src/io/index.ts`), and
 * reports every strongly connected component of more than one module (or a module importing
 * itself). Type-only imports and re-exports (`import type`, `export type`, all-`type` specifier
 * lists) are erased at compile time and do not count. Exit code 1 when a cycle exists.
 *
 * Usage: node scripts/check-imports.mjs [--root DIR]
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import ts from "typescript";

const { values } = parseArgs({ options: { root: { type: "string" } }, strict: true });
const root = resolve(values.root ?? fileURLToPath(new URL("..", import.meta.url)));
const rootPackage = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const workspaces = rootPackage.workspaces ?? [];

/** `@tessera/x[/sub]` → the file its package's `exports` map points at. */
const packageExports = new Map();
for (const ws of workspaces) {
  const pkg = JSON.parse(readFileSync(join(root, ws, "package.json"), "utf8"));
  for (const [sub, target] of Object.entries(pkg.exports ?? {})) {
    const file = typeof target === "string" ? target : (target.default ?? target.types);
    if (typeof file === "string")
      packageExports.set(sub === "." ? pkg.name : `${pkg.name}/${sub.slice(2)}`, resolve(root, ws, file));
  }
}

function* sources(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules") yield* sources(path);
    } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) yield path;
  }
}

function resolveRelative(from, spec) {
  const base = resolve(dirname(from), spec);
  const candidates = [
    base,
    base.replace(/\.(m?js|jsx)$/, ".ts"),
    base.replace(/\.(m?js|jsx)$/, ".tsx"),
    `${base}.ts`,
    `${base}.tsx`,
    join(base, "index.ts"),
    join(base, "index.tsx"),
  ];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? null;
}

/** Whether an import or export declaration brings anything in at run time. */
function isRuntime(node) {
  if (ts.isImportDeclaration(node)) {
    const clause = node.importClause;
    if (!clause) return true; // side-effect import
    if (clause.isTypeOnly) return false;
    if (clause.name) return true;
    const bindings = clause.namedBindings;
    if (!bindings || ts.isNamespaceImport(bindings)) return true;
    // `import { type A, type B } from` is erased (verbatimModuleSyntax would keep an empty import; we do not use it).
    return bindings.elements.length === 0 || bindings.elements.some((e) => !e.isTypeOnly);
  }
  if (ts.isExportDeclaration(node)) {
    if (node.isTypeOnly) return false;
    const clause = node.exportClause;
    if (!clause || ts.isNamespaceExport(clause)) return true;
    return clause.elements.length === 0 || clause.elements.some((e) => !e.isTypeOnly);
  }
  return false;
}

const graph = new Map();
for (const ws of workspaces) {
  for (const file of sources(join(root, ws, "src"))) {
    const text = readFileSync(file, "utf8");
    const sf = ts.createSourceFile(
      file,
      text,
      ts.ScriptTarget.Latest,
      false,
      file.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
    );
    const edges = new Set();
    for (const node of sf.statements) {
      if (!(ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) || !node.moduleSpecifier || !isRuntime(node))
        continue;
      const spec = node.moduleSpecifier.text;
      const target = spec.startsWith(".") ? resolveRelative(file, spec) : (packageExports.get(spec) ?? null);
      if (target) edges.add(target);
    }
    graph.set(file, edges);
  }
}

/** Tarjan's strongly connected components, iterative (deep chains must not overflow the stack). */
function cycles() {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const out = [];
  for (const start of graph.keys()) {
    if (idx.has(start)) continue;
    const work = [{ node: start, edges: [...(graph.get(start) ?? [])], i: 0 }];
    idx.set(start, index);
    low.set(start, index++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const top = work[work.length - 1];
      if (top.i < top.edges.length) {
        const next = top.edges[top.i++];
        if (!graph.has(next)) continue;
        if (!idx.has(next)) {
          idx.set(next, index);
          low.set(next, index++);
          stack.push(next);
          onStack.add(next);
          work.push({ node: next, edges: [...(graph.get(next) ?? [])], i: 0 });
        } else if (onStack.has(next)) low.set(top.node, Math.min(low.get(top.node), idx.get(next)));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent), low.get(top.node)));
      }
      if (low.get(top.node) === idx.get(top.node)) {
        const scc = [];
        let n;
        do {
          n = stack.pop();
          onStack.delete(n);
          scc.push(n);
        } while (n !== top.node);
        if (scc.length > 1 || graph.get(top.node)?.has(top.node)) out.push(scc);
      }
    }
  }
  return out;
}

const found = cycles();
const edgeCount = [...graph.values()].reduce((a, e) => a + e.size, 0);
if (found.length === 0) {
  console.log(`import cycles: none in ${graph.size} modules (${edgeCount} runtime imports)`);
  process.exit(0);
}
for (const scc of found) {
  console.error(`import cycle among ${scc.length} modules:`);
  for (const f of scc.sort()) {
    const inCycle = [...(graph.get(f) ?? [])].filter((t) => scc.includes(t)).map((t) => relative(root, t));
    console.error(`  ${relative(root, f)} → ${inCycle.join(", ")}`);
  }
}
console.error(`${found.length} import cycle(s)`);
process.exit(1);
