import { fork, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isInferenceReply, type EmbedRequest, type InferenceReply, type InferenceRequest } from "@tessera/shared-crdt";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const ENTRY = path.join(ROOT, "workers/src/inference/main.ts");
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/** The real inference worker as a child process of the test, over IPC as the server speaks to it. */
export class WorkerChild {
  readonly child: ChildProcess;
  private readonly waiting = new Map<number, (r: InferenceReply) => void>();
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;

  constructor(dataDir: string) {
    this.child = fork(ENTRY, [dataDir], {
      execArgv: ["--import", TSX],
      stdio: ["ignore", "inherit", "pipe", "ipc"],
      serialization: "advanced",
    });
    this.exited = new Promise((resolve) => this.child.once("exit", () => resolve()));
    this.ready = new Promise((resolve, reject) => {
      this.child.once("exit", (code) => reject(new Error(`worker exited with ${String(code)}`)));
      this.child.on("message", (m: unknown) => {
        if (!isInferenceReply(m)) throw new Error(`malformed reply ${JSON.stringify(m)}`);
        if (m.type === "ready") resolve();
        else this.waiting.get(m.id)?.(m);
      });
    });
  }

  request(m: InferenceRequest & { id: number }): Promise<InferenceReply> {
    return new Promise((resolve) => {
      this.waiting.set(m.id, resolve);
      this.child.send(m);
    });
  }

  /** The vectors of an embedding request; anything else the worker answers fails the test. */
  async vectors(m: EmbedRequest): Promise<Float32Array[]> {
    const reply = await this.request(m);
    if (reply.type !== "embedded_vectors") throw new Error(`expected vectors, got ${JSON.stringify(reply)}`);
    return [...reply.vectors];
  }

  async stop(): Promise<void> {
    if (this.child.connected) this.child.send({ type: "shutdown" });
    await this.exited;
  }
}
