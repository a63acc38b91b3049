import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * `--at REF`: benchmark the server of a fixed commit rather than the working tree (which other
 * engineers may be editing while a run goes on). The commit is extracted with `git archive` into
 * `load-tests/.cache/tree-<sha>/` (gitignored), and the installed `node_modules` folders are
 * hard-linked beside it (`cp -al`: no copy, and the workspace links resolve inside the snapshot).
 * Only the server under test (and the import CLI) runs from there; the harness is the working tree's.
 */
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const cacheRoot = fileURLToPath(new URL("../../.cache/", import.meta.url));

class TreeError extends Error {
  override name = "TreeError";
}

function run(command: string, args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.once("exit", (code) =>
      code === 0
        ? resolve()
        : reject(new TreeError(`${command} ${args.join(" ")} failed (${code}): ${err.slice(-1000)}`)),
    );
  });
}

export async function checkoutTree(ref: string, log: (m: string) => void): Promise<{ dir: string; commit: string }> {
  const sha = execFileSync("git", ["rev-parse", "--verify", `${ref}^{commit}`], {
    cwd: repoRoot,
    encoding: "utf8",
  }).trim();
  const dir = path.join(cacheRoot, `tree-${sha.slice(0, 12)}`);
  const ready = path.join(dir, ".bench-ready");
  if (existsSync(ready)) return { dir: `${dir}/`, commit: sha };
  log(`extracting commit ${sha.slice(0, 12)} into ${dir}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await run("sh", ["-c", `git archive ${sha} | tar -x -C '${dir}'`], repoRoot);
  await run("cp", ["-al", path.join(repoRoot, "node_modules"), path.join(dir, "node_modules")], repoRoot);
  for (const entry of await readdir(repoRoot, { withFileTypes: true })) {
    const nm = path.join(repoRoot, entry.name, "node_modules");
    if (
      entry.isDirectory() &&
      entry.name !== "node_modules" &&
      existsSync(nm) &&
      existsSync(path.join(dir, entry.name))
    ) {
      await run("cp", ["-al", nm, path.join(dir, entry.name, "node_modules")], repoRoot);
    }
  }
  await writeFile(ready, `${sha}\n`);
  return { dir: `${dir}/`, commit: sha };
}
