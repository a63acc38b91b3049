import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJson, spawnServer } from "../integration/support.js";
import { runTessera } from "../support/cli.js";
import { writeTinySam } from "./support.js";

/** `tessera models add|list|remove` as a user runs it, and what a running server makes of the registry. */
let root: string;
let dataDir: string;
let source: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tessera-models-"));
  dataDir = path.join(root, "data");
  source = path.join(root, "exported");
  writeTinySam(source, "exported");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("tessera models", () => {
  it("add copies a model folder with its manifest; list shows it; a second add under the same name is refused", async () => {
    const added = await runTessera(["models", "add", dataDir, source, "--name", "sam-tiny"]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain("Added sam-tiny (segmentation)");
    const manifest = JSON.parse(await readFile(path.join(dataDir, "models", "sam-tiny", "manifest.json"), "utf8")) as {
      name: string;
      files: Record<string, string>;
    };
    expect(manifest.name).toBe("sam-tiny");
    expect(manifest.files).toEqual({ encoder: "encoder.onnx", decoder: "decoder.onnx" });
    const list = await runTessera(["models", "list", dataDir, "--json"]);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({
      models: [{ name: "sam-tiny", task: "segmentation", pixano_task: "image_mask_generation" }],
      problems: [],
    });
    const again = await runTessera(["models", "add", dataDir, source, "--name", "sam-tiny"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already registered");
  });

  it("add of a folder of .onnx files without a manifest needs --task; SAM pairs are found by name", async () => {
    const bare = path.join(root, "bare");
    await mkdir(bare, { recursive: true });
    for (const f of ["encoder.onnx", "decoder.onnx"])
      await writeFile(path.join(bare, `mobile_sam_${f}`), await readFile(path.join(source, f)));
    const noTask = await runTessera(["models", "add", dataDir, bare]);
    expect(noTask.code).toBe(2);
    expect(noTask.stderr).toMatch(/task/);
    const ok = await runTessera(["models", "add", dataDir, bare, "--task", "segmentation", "--name", "mobile"]);
    expect(ok.code, ok.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(path.join(dataDir, "models", "mobile", "manifest.json"), "utf8")) as {
      files: Record<string, string>;
    };
    expect(manifest.files).toEqual({ encoder: "mobile_sam_encoder.onnx", decoder: "mobile_sam_decoder.onnx" });
  });

  it("a bad manifest is reported by list and by the server, which leaves it out and keeps serving", async () => {
    const bad = path.join(dataDir, "models", "broken");
    await mkdir(bad, { recursive: true });
    await writeFile(
      path.join(bad, "manifest.json"),
      JSON.stringify({ task: "segmentation", files: { encoder: "e.onnx" } }),
    );
    const list = await runTessera(["models", "list", dataDir]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("sam-tiny");
    expect(list.stderr).toContain("invalid model folder broken: a segmentation model needs files.decoder");
    const server = await spawnServer(dataDir);
    try {
      const models = await getJson<Array<{ name: string }>>(`${server.url}/inference/models/list`);
      expect(models.map((m) => m.name)).toEqual(["mobile", "sam-tiny"]);
      expect(server.logs()).toContain("model left out of the registry");
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it("remove deletes a model; with none left the server says nothing is connected, as Pixano does", async () => {
    await rm(path.join(dataDir, "models", "broken"), { recursive: true });
    for (const name of ["sam-tiny", "mobile"]) {
      const r = await runTessera(["models", "remove", dataDir, name]);
      expect(r.code, r.stderr).toBe(0);
    }
    const missing = await runTessera(["models", "remove", dataDir, "sam-tiny"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no model named sam-tiny");
    const server = await spawnServer(dataDir);
    try {
      expect(await getJson(`${server.url}/inference/connected`)).toEqual({
        connected: false,
        providers: {},
        default_provider: null,
      });
      expect(await getJson(`${server.url}/inference/models/list?task=anything`)).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});

describe("inference settings", () => {
  it("a bad TESSERA_INFERENCE_* value stops `tessera server run` with one clear line (exit 2), not a stack", async () => {
    const r = await runTessera(["server", "run", dataDir, "--port", "0"], {
      env: { ...process.env, TESSERA_AUTH: "off", TESSERA_INFERENCE_MAX_QUEUE: "abc" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("TESSERA_INFERENCE_MAX_QUEUE must be a positive integer (got abc)");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
