import { fork, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isPersistReply, mulberry32, type PersistReply, type PersistRequest } from "@tessera/shared-crdt";

const WORKER_ENTRY = fileURLToPath(new URL("../../src/persist/main.ts", import.meta.url));

export { serverSide, type ServerSide } from "../../../storage/test/serverSide.js";

/** A worker process under test, driven over its IPC channel like the server does. */
export interface WorkerUnderTest {
  readonly child: ChildProcess;
  readonly replies: PersistReply[];
  send(message: PersistRequest | Record<string, unknown>): void;
  /** Resolves with the first reply (past or future) matching `pred`; rejects if the worker exits first. */
  reply(pred: (r: PersistReply) => boolean): Promise<PersistReply>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startWorker(dataDir: string, env: Record<string, string> = {}): WorkerUnderTest {
  const loader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  const child = fork(WORKER_ENTRY, [dataDir], {
    execArgv: ["--import", loader],
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    serialization: "json",
  });
  child.stderr?.resume();
  const replies: PersistReply[] = [];
  const listeners = new Set<() => void>();
  child.on("message", (m: unknown) => {
    if (isPersistReply(m)) replies.push(m);
    for (const l of [...listeners]) l();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    replies,
    exited,
    send: (m) => child.send(m),
    reply: (pred) =>
      new Promise<PersistReply>((resolve, reject) => {
        const check = () => {
          const hit = replies.find(pred);
          if (hit) {
            listeners.delete(check);
            resolve(hit);
          }
        };
        listeners.add(check);
        check();
        void exited.then((e) => {
          if (listeners.delete(check))
            reject(new Error(`worker exited (${e.code ?? e.signal}) before the expected reply`));
        });
      }),
  };
}

/** `items` in a seeded random order (Fisher–Yates over `mulberry32(seed)`): crash points chosen by seed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const rand = mulberry32(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
