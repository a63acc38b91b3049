import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJson, spawnServer, waitFor, type ServerProcess } from "../integration/support.js";
import { ROOT, runTessera } from "../support/cli.js";
import { postJson } from "./support.js";
import { buildSearchDataDir, SEARCH_DS, type SearchDataDir } from "./searchSupport.js";

/**
 * Text search with a CLIP BPE text tower, end to end: `tessera models add` of a model whose manifest
 * says `tokenizer: {kind: "clip-bpe", file: "bpe_simple_vocab_16e6.txt.gz", max_length: 77}` (the tiny
 * CLIP pair built with `--clip-bpe`: a text tower over CLIP's 49 408 token ids), the real server
 * process and its inference worker, real onnxruntime sessions, a real LanceDB dataset.
 */
const VOCAB = path.join(ROOT, "fixtures/clip-bpe/bpe_simple_vocab_16e6.txt.gz");
const MODEL = "tiny-clip-bpe";

interface Job {
  status: string;
}

describe("semantic search with a clip-bpe text tower", () => {
  let built: SearchDataDir;
  let source: string;
  let server: ServerProcess;

  beforeAll(async () => {
    built = await buildSearchDataDir(4);
    source = await mkdtemp(path.join(os.tmpdir(), "tessera-clip-bpe-src-"));
    execFileSync(process.execPath, [path.join(ROOT, "scripts/tiny-clip.mjs"), source, MODEL, "--clip-bpe", VOCAB]);
  });
  afterAll(async () => {
    await server?.stop();
    await built?.cleanup();
    await rm(source, { recursive: true, force: true });
  });

  it("tessera models add refuses a clip-bpe manifest whose tokenizer file is absent, and copies it when present", async () => {
    const broken = await mkdtemp(path.join(os.tmpdir(), "tessera-clip-bpe-broken-"));
    try {
      execFileSync(process.execPath, [path.join(ROOT, "scripts/tiny-clip.mjs"), broken, "broken", "--clip-bpe", VOCAB]);
      await rm(path.join(broken, "bpe_simple_vocab_16e6.txt.gz"));
      const refused = await runTessera(["models", "add", built.dataDir, broken]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("bpe_simple_vocab_16e6.txt.gz is missing");
      expect(existsSync(path.join(built.dataDir, "models", "broken"))).toBe(false);
      const outside = JSON.parse(await readFile(path.join(broken, "manifest.json"), "utf8")) as {
        tokenizer: { file: string };
      };
      outside.tokenizer.file = "../../etc/passwd";
      await writeFile(path.join(broken, "manifest.json"), JSON.stringify(outside));
      const escaped = await runTessera(["models", "add", built.dataDir, broken]);
      expect(escaped.code).toBe(2);
      expect(escaped.stderr).toContain("tokenizer.file must be a path inside the model folder");
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
    const added = await runTessera(["models", "add", built.dataDir, source]);
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);
    expect(existsSync(path.join(built.dataDir, "models", MODEL, "bpe_simple_vocab_16e6.txt.gz"))).toBe(true);
  });

  it("POST /records/search with text ranks the named colour's record first through the clip-bpe tokenizer", async () => {
    server = await spawnServer(built.dataDir);
    const started = await postJson(`${server.url}/datasets/${SEARCH_DS}/embeddings/compute`, { model: MODEL });
    expect(started.status).toBe(202);
    const { job_id } = started.body as { job_id: string };
    const job = await waitFor(
      async () => {
        const j = await getJson<Job>(`${server.url}/io/jobs/${job_id}`);
        return ["done", "error", "cancelled"].includes(j.status) ? j : null;
      },
      `embedding job ${job_id}`,
      60_000,
    );
    expect(job.status).toBe("done");
    for (const [colour, text] of [
      ["red", "A photo of a RED thing!!"],
      ["blue", "“blue” sky…"],
      ["green", "green&nbsp;grass"],
      ["yellow", "a yellow-ish 🍌 banana"],
    ] as const) {
      const r = await postJson(`${server.url}/datasets/${SEARCH_DS}/records/search`, { text, k: 3, model: MODEL });
      expect(r.status, `${text}: ${JSON.stringify(r.body)}`).toBe(200);
      const answer = r.body as { mode: string; model: string; items: Array<{ id: string }> };
      expect(answer).toMatchObject({ mode: "text", model: MODEL });
      expect(answer.items[0]?.id, text).toBe(`r-${colour}`);
    }
  });
});
