import type { Request, Response } from "express";

// Used by the error handler; kept apart from the body parser (jsonBody.ts), which imports the errors, so no import cycle.

/** After a 413, at most this much more of the refused body is read and discarded before the socket is cut. */
const DRAIN_MAX_BYTES = 256 * 1024 * 1024;
const DRAIN_MAX_MS = 30_000;

/**
 * "Lingering close" for a refused upload: the client is usually still sending, and closing at
 * once would reset the connection before it reads the 413. Read and discard what follows (bounded
 * in bytes and time) so the connection can be reused, or cut it past the bounds.
 */
export function drainRejectedBody(req: Request, res: Response): void {
  res.once("finish", () => {
    if (req.complete) return;
    let seen = 0;
    const stop = () => {
      clearTimeout(timer);
      req.off("data", onData);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > DRAIN_MAX_BYTES) {
        stop();
        req.socket.destroy();
      }
    };
    const timer = setTimeout(() => {
      stop();
      req.socket.destroy();
    }, DRAIN_MAX_MS);
    timer.unref();
    req.on("data", onData);
    req.once("end", stop);
    req.once("close", stop);
    req.resume();
  });
}
