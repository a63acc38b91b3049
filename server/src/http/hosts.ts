/**
 * Which `Host` header values the server answers (DNS rebinding). A web page on `evil.example` can
 * re-point its own name at 127.0.0.1 and then talk to a local server as "same origin"; the one
 * thing it cannot change is the `Host` its browser sends, which stays `evil.example`. So:
 *
 * - single-user mode (no accounts, everyone is admin): only loopback names and addresses
 *   (`localhost`, `127.x.x.x`, `[::1]`, any port) and the names listed in `TESSERA_ALLOWED_HOSTS`;
 * - accounts on: any host, unless `TESSERA_ALLOWED_HOSTS` is set — then loopback plus the list.
 *   (A rebound page never holds this server's session cookie, which is bound to the real name.)
 *
 * The check applies to every HTTP request, websocket upgrade and socket.io request
 * (server/src/http/frontDoor.ts).
 */

export class AllowedHostsError extends Error {
  override name = "AllowedHostsError";
}

export interface HostPolicy {
  /** `loopback`: only loopback plus {@link HostPolicy.names}; `any`: every host. */
  readonly accept: "loopback" | "any";
  /** Extra host names (lower case, no port) accepted besides loopback. */
  readonly names: ReadonlySet<string>;
}

/** A host name or an IP literal (IPv6 in brackets), without port. */
const NAME = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;

/** `TESSERA_ALLOWED_HOSTS`: comma-separated host names (no scheme, no port, no path). */
export function parseAllowedHosts(raw: string | undefined): string[] {
  const out: string[] = [];
  for (const part of (raw ?? "").split(",")) {
    const name = part.trim().toLowerCase();
    if (name === "") continue;
    if (name.length > 253 || !(NAME.test(name) || IPV6.test(name))) {
      throw new AllowedHostsError(
        `TESSERA_ALLOWED_HOSTS: ${JSON.stringify(part.trim().slice(0, 64))} is not a host name (give names like tessera.lan, without scheme or port)`,
      );
    }
    out.push(name);
  }
  return out;
}

/** The policy of a server: `authOff` is the single-user mode; `names` from {@link parseAllowedHosts}. */
export function hostPolicy(authOff: boolean, names: readonly string[]): HostPolicy {
  return {
    accept: authOff || names.length > 0 ? "loopback" : "any",
    names: new Set(names.map((n) => n.toLowerCase())),
  };
}

/** The host part of a `Host` header (`name`, `1.2.3.4` or `[::1]`), lower case; null when it is not one. */
function hostName(header: string): string | null {
  const h = header.trim().toLowerCase();
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(h);
  if (!m?.[1]) return null;
  return m[1];
}

function isLoopback(name: string): boolean {
  if (name === "localhost" || name === "[::1]") return true;
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return v4 !== null && v4.slice(1).every((x) => Number(x) <= 255);
}

/** Why a request's `Host` is refused, or null when it is accepted. */
export function hostRefusal(policy: HostPolicy, header: string | undefined): string | null {
  if (policy.accept === "any") return null;
  if (header === undefined || header === "") return "A Host header is required.";
  const name = hostName(header);
  if (name !== null && (isLoopback(name) || policy.names.has(name))) return null;
  const shown = JSON.stringify(header.slice(0, 100));
  return `Host ${shown} is not served here: this server answers loopback names (localhost, 127.0.0.1, [::1]) and the names listed in TESSERA_ALLOWED_HOSTS.`;
}
