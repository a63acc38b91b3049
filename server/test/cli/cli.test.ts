import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, ROOT, runTessera as tessera } from "../support/cli.js";

/**
 * The real `tessera` executable: `node bin/tessera.mjs …` as a child process (the compiled CLI,
 * built first when stale). Exit codes: 0 ok, 1 runtime error, 2 usage error.
 */
let work: string;

async function png(file: string, width: number, height: number, colour: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await sharp({ create: { width, height, channels: 3, background: colour } })
    .png()
    .toFile(file);
}

/** A small Pixano v1 folder: two splits, custom fields, one entity with a box. */
async function v1Source(dir: string, lines: readonly object[] = []): Promise<string> {
  await png(path.join(dir, "train", "a.png"), 32, 24, "#ff0000");
  await png(path.join(dir, "train", "b.png"), 32, 24, "#00ff00");
  await png(path.join(dir, "val", "c.png"), 16, 16, "#0000ff");
  const train =
    lines.length > 0
      ? lines
      : [
          {
            image: "a.png",
            weather: "sunny",
            entities: [{ category: "car", annotations: { image: { bbox: [0.1, 0.1, 0.5, 0.5] } } }],
          },
          { image: "b.png", weather: "rainy" },
        ];
  await fs.writeFile(path.join(dir, "train", "metadata.jsonl"), train.map((l) => JSON.stringify(l)).join("\n") + "\n");
  await fs.writeFile(
    path.join(dir, "val", "metadata.jsonl"),
    `${JSON.stringify({ image: "c.png", weather: "foggy" })}\n`,
  );
  return dir;
}

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "tessera-cli-"));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

describe("help and usage errors", () => {
  it("prints the usage with --help (exit 0)", async () => {
    // As `npx tessera` starts it: the launcher adds the dist condition to its own resolution.
    const r = await tessera(["--help"], { plainLauncher: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: tessera [options] [command]");
    for (const cmd of ["init <DATA_DIR>", "data", "server"]) expect(r.stdout).toContain(cmd);
    const imp = await tessera(["data", "import", "--help"]);
    expect(imp.code).toBe(0);
    for (const opt of [
      "--workspace <workspace>",
      "--name <name>",
      "--mode <mode>",
      "--dry-run",
      "--format <format>",
      "--use-image-name-as-id",
    ])
      expect(imp.stdout).toContain(opt);
  });

  // Independent runs of the CLI: they start together.
  it.concurrent.for([
    [["data", "import", "only-one-arg"], "missing required argument 'SOURCE'"],
    [["data", "import", "a", "b", "--mode", "bogus"], "Allowed choices are create, overwrite, add"],
    [
      ["data", "import", "a", "b", "--workspace", "3d"],
      "Allowed choices are image, video, image_vqa, image_text_entity_linking",
    ],
    [["frobnicate"], "unknown command 'frobnicate'"],
    [["server", "run", "d", "--port", "http"], "expected a port number"],
    [["data", "export", "d", "ds", "out"], "required option '--format <format>' not specified"],
    [["data", "import", "a", "b", "extra"], "too many arguments"],
  ] as const)("exits 2 on %j", async ([args, message], { expect }) => {
    const r = await tessera(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe("init, import, export", () => {
  it("init creates library/, media/ and models/", async () => {
    const dataDir = path.join(work, "init-data");
    const r = await tessera(["init", dataDir]);
    expect(r.code).toBe(0);
    for (const d of ["library", "media", "models"])
      expect((await fs.stat(path.join(dataDir, d))).isDirectory()).toBe(true);
  });

  it("--dry-run prints the plan with the inferred fields and writes nothing", async () => {
    const src = await v1Source(path.join(work, "dry-src"));
    const dataDir = path.join(work, "dry-data");
    const r = await tessera(["data", "import", dataDir, src, "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Dry run: nothing was written.");
    expect(r.stdout).toMatch(/train\s+2/);
    expect(r.stdout).toMatch(/records\.weather\s+str\s+\(3 rows\)/);
    expect(r.stdout).toMatch(/entities\.category\s+str\s+\(1 rows\)/);
    await expect(fs.stat(dataDir)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("imports (one summary line when not on a terminal), refuses to create twice, exports, re-imports the export", async () => {
    const src = await v1Source(path.join(work, "src"));
    const dataDir = path.join(work, "data");
    const r = await tessera(["data", "import", dataDir, src, "--name", "Street Scenes"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    expect(r.stdout).toMatch(/^Dataset 'Street Scenes' built successfully \(3 records\)/);
    expect(
      JSON.parse(await fs.readFile(path.join(dataDir, "library", "street_scenes", "info.json"), "utf8")),
    ).toMatchObject({ name: "Street Scenes", workspace: "image" });

    const twice = await tessera(["data", "import", dataDir, src, "--name", "Street Scenes"]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain("already exists");

    const dest = path.join(work, "export");
    const e = await tessera(["data", "export", dataDir, "Street Scenes", dest, "--format", "pixano_jsonl"]);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toContain("exported (3 records, 3 media files)");
    expect(await fs.readFile(path.join(dest, "dataset.yaml"), "utf8")).toContain("name: Street Scenes");

    const again = await tessera(["data", "import", path.join(work, "data2"), dest, "--json"]);
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout) as { format: string; tables: Record<string, number> };
    expect(report.format).toBe("pixano_jsonl");
    expect(report.tables).toEqual({ records: 3, images: 3, entities: 1, bboxes: 1 });
  });

  it("prints input errors as file:line: message and exits 1, leaving no dataset", async () => {
    const src = await v1Source(path.join(work, "bad-src"), [
      { image: "a.png", entities: [{ category: "car" }] },
      { image: "b.png", entities: [{ category: 7 }] },
    ]);
    const dataDir = path.join(work, "bad-data");
    const r = await tessera(["data", "import", dataDir, src]);
    expect(r.code).toBe(1);
    const file = path.join(src, "train", "metadata.jsonl");
    expect(r.stderr.trim()).toBe(
      `${path.relative(ROOT, file).startsWith("..") ? file : path.relative(ROOT, file)}:2:/entities/0: entities field "category" is int here but str at train/metadata.jsonl:1`,
    );
    await expect(fs.readdir(path.join(dataDir, "library"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("server run", () => {
  it("serves DATA_DIR until SIGTERM, then exits 0", async () => {
    const dataDir = path.join(work, "serve-data");
    expect((await tessera(["init", dataDir])).code).toBe(0);
    const child = spawn(process.execPath, [BIN, "server", "run", dataDir, "--port", "0", "--no-auth"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        const deadline = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) {
            clearTimeout(deadline);
            resolve(m[1]!);
          }
        });
        child.on("exit", (code) => reject(new Error(`server exited with ${String(code)}: ${out}`)));
      });
      const res = await fetch(`${url}/health`);
      expect(res.status).toBe(200);
      const datasets = await fetch(`${url}/datasets`);
      expect(datasets.status).toBe(200);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  });
});
