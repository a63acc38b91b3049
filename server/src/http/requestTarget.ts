/**
 * Checks on a request's path made once, before any endpoint sees it (REST, media, the sync
 * endpoint's upgrades, socket.io): every segment must percent-decode, and none may decode to a
 * dot-segment (`.` or `..`). Browsers and URL libraries remove dot-segments — `%2E%2E` included —
 * before sending, so an id `..` could be written by a raw client yet never addressed by the web
 * client or a y-websocket provider; no dataset, record or file may be named so.
 */

export interface TargetRefusal {
  readonly status: 400;
  readonly detail: string;
}

/** Why a request target is refused, or null when its path is acceptable. */
export function targetRefusal(url: string | undefined): TargetRefusal | null {
  const pathname = (url ?? "/").split("?", 1)[0] ?? "/";
  for (const segment of pathname.split("/")) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch (err) {
      if (!(err instanceof URIError)) throw err;
      return {
        status: 400,
        detail: `Invalid percent-encoding in the request path: ${JSON.stringify(segment.slice(0, 100))}.`,
      };
    }
    if (decoded === "." || decoded === "..") {
      return {
        status: 400,
        detail: `Path segment ${JSON.stringify(decoded)} is not allowed: "." and ".." are dot-segments that browsers and URL libraries remove, so they cannot name a dataset, record or file.`,
      };
    }
  }
  return null;
}

/** Whether an id (from a request body) is a dot-segment, which no URL can address. */
export function isDotSegment(id: unknown): boolean {
  return id === "." || id === "..";
}
