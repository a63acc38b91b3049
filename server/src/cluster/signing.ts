import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Role } from "@tessera/shared-crdt";
import type { Identity, Refusal } from "../sync/identity.js";

/** The header carrying a forwarded connection's identity (base64url JSON) and the one carrying its signature. */
export const FORWARD_HEADER = "x-tessera-forward";
export const FORWARD_SIGNATURE_HEADER = "x-tessera-forward-signature";

/** How old a signed identity may be when it arrives (clocks of the machines may differ by a little). */
const FORWARD_WINDOW_MS = 30_000;

const ROLES: ReadonlySet<string> = new Set<Role>(["annotator", "viewer", "reviewer", "admin"]);

/** What a forwarded request carries: who the edge process authenticated, for which path, when. */
interface ForwardClaim {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly tessera: boolean;
  /** Admitted read-only by the assignment lock at the edge (its real role is annotator). */
  readonly lockedOut: boolean;
  /** The request path (without query) the signature is valid for: a signature cannot be moved to another record. */
  readonly path: string;
  /** Milliseconds since the epoch, when the edge signed it. */
  readonly ts: number;
  /** Random: each signature is accepted once within the window. */
  readonly nonce: string;
}

/** A verified forwarded identity, and whether the edge admitted it read-only because of the assignment lock. */
export interface Forwarded {
  readonly identity: Identity;
  readonly lockedOut: boolean;
}

function isClaim(v: unknown): v is ForwardClaim {
  if (typeof v !== "object" || v === null) return false;
  const c = v as Record<string, unknown>;
  return (
    typeof c.id === "string" &&
    typeof c.name === "string" &&
    typeof c.role === "string" &&
    ROLES.has(c.role) &&
    typeof c.tessera === "boolean" &&
    typeof c.lockedOut === "boolean" &&
    typeof c.path === "string" &&
    typeof c.ts === "number" &&
    Number.isFinite(c.ts) &&
    typeof c.nonce === "string"
  );
}

function pathOf(url: string | undefined): string {
  return (url ?? "").split("?", 1)[0] ?? "";
}

/**
 * Signs and checks the identity one web process hands another when it forwards a client's connection to the
 * record's owner (docs/ARCHITECTURE.md §6): HMAC-SHA256 with the cluster secret over the claim, which names
 * the user, role, Tessera-client flag, the request path and a timestamp. The owner accepts a claim only with a
 * valid signature, for the path requested, within {@link FORWARD_WINDOW_MS}, and only once (its nonce).
 */
export class ForwardSigner {
  /** Nonces accepted in the current window, with when they expire. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly secret: Buffer,
    private readonly now: () => number = Date.now,
  ) {
    if (secret.length < 16) throw new Error("the cluster secret must be at least 16 bytes");
  }

  private mac(payload: string): Buffer {
    return createHmac("sha256", this.secret).update(payload).digest();
  }

  /** The headers that carry `identity` to the owner for a request to `path`. */
  sign(identity: Identity, path: string, lockedOut = false): Record<string, string> {
    const claim: ForwardClaim = {
      id: identity.id,
      name: identity.name,
      role: identity.role,
      tessera: identity.tessera,
      lockedOut,
      path: pathOf(path),
      ts: this.now(),
      nonce: randomBytes(12).toString("base64url"),
    };
    const payload = Buffer.from(JSON.stringify(claim)).toString("base64url");
    return { [FORWARD_HEADER]: payload, [FORWARD_SIGNATURE_HEADER]: this.mac(payload).toString("base64url") };
  }

  /**
   * The identity a forwarded request carries; null when the request is not a forwarded one (no forward
   * header); a refusal (401 stale or replayed, 403 bad signature or another path) when it cannot be trusted.
   */
  verify(req: IncomingMessage): Forwarded | Refusal | null {
    const payload = req.headers[FORWARD_HEADER];
    if (payload === undefined) return null;
    const signature = req.headers[FORWARD_SIGNATURE_HEADER];
    if (typeof payload !== "string" || typeof signature !== "string")
      return { refuse: 403, message: "forwarded connection without a valid signature" };
    const expected = this.mac(payload);
    const given = Buffer.from(signature, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return { refuse: 403, message: "forwarded connection without a valid signature" };
    let claim: unknown;
    try {
      claim = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    } catch (err) {
      if (err instanceof SyntaxError) return { refuse: 403, message: "forwarded identity is not JSON" };
      throw err;
    }
    if (!isClaim(claim)) return { refuse: 403, message: "forwarded identity is malformed" };
    if (claim.path !== pathOf(req.url)) return { refuse: 403, message: "forwarded identity signed for another path" };
    const now = this.now();
    if (Math.abs(now - claim.ts) > FORWARD_WINDOW_MS) return { refuse: 401, message: "forwarded identity expired" };
    this.forget(now);
    if (this.seen.has(claim.nonce)) return { refuse: 401, message: "forwarded identity replayed" };
    this.seen.set(claim.nonce, claim.ts + FORWARD_WINDOW_MS);
    return {
      identity: { id: claim.id, name: claim.name, role: claim.role, tessera: claim.tessera },
      lockedOut: claim.lockedOut,
    };
  }

  private forget(now: number): void {
    for (const [nonce, until] of this.seen) if (until < now) this.seen.delete(nonce);
  }
}
