import { fork, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * Request/response over the IPC channel of a forked load-generator process: the runner sends
 * `{id, cmd, args}`, the child answers `{id, ok, result | error}`. Bots and observers run in their
 * own processes so their CPU is not the server's and vice versa (collaboration.md §4.1).
 */
export type Commands = Record<string, [unknown, unknown]>;

interface Request {
  readonly id: number;
  readonly cmd: string;
  readonly args: unknown;
}

type Response =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };

class RpcError extends Error {
  override name = "RpcError";
}

type Handlers<C extends Commands> = { [K in keyof C]: (args: C[K][0]) => Promise<C[K][1]> | C[K][1] };

/** Child side: answers the parent's requests with `handlers`; exits when the parent goes away. */
export function serveRpc<C extends Commands>(handlers: Handlers<C>): void {
  if (!process.send) throw new RpcError("not started with an IPC channel (fork)");
  process.on("disconnect", () => process.exit(0));
  process.on("message", (raw: unknown) => {
    const req = raw as Request;
    const handler = handlers[req.cmd as keyof C];
    const answer = (res: Response) => process.send?.(res);
    if (!handler) {
      answer({ id: req.id, ok: false, error: `unknown command ${req.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(req.args as never))
      .then(
        (result) => answer({ id: req.id, ok: true, result }),
        (err: unknown) =>
          answer({ id: req.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
      );
  });
}

const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/** Parent side: a forked child running `script` (TypeScript, through tsx). */
export class RpcChild<C extends Commands> {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited = false;
  private readonly exit: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly name: string,
  ) {
    child.on("message", (raw: unknown) => {
      const res = raw as Response;
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      if (res.ok) p.resolve(res.result);
      else p.reject(new RpcError(`${name}: ${res.error}`));
    });
    this.exit = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.exited = true;
        for (const p of this.pending.values()) p.reject(new RpcError(`${name} exited (${code ?? signal})`));
        this.pending.clear();
        resolve();
      }),
    );
  }

  static start<C extends Commands>(script: URL, name: string): RpcChild<C> {
    const child = fork(fileURLToPath(script), [], {
      execArgv: ["--import", tsxLoader],
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    return new RpcChild<C>(child, name);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  call<K extends keyof C & string>(cmd: K, args: C[K][0], timeoutMs = 120_000): Promise<C[K][1]> {
    if (this.exited) return Promise.reject(new RpcError(`${this.name} has exited`));
    const id = this.next++;
    return new Promise<C[K][1]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RpcError(`${this.name}: ${cmd} took longer than ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as C[K][1]);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ id, cmd, args } satisfies Request);
    });
  }

  /** Disconnects (the child exits on that), SIGKILL after 5 s, by PID. */
  async close(): Promise<void> {
    if (this.exited) return;
    this.child.disconnect();
    const timer = setTimeout(() => {
      if (!this.exited) this.child.kill("SIGKILL");
    }, 5_000);
    await this.exit;
    clearTimeout(timer);
  }
}
