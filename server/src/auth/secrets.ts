import { createHash, randomBytes } from "node:crypto";

/**
 * Opaque secrets handed to clients — session ids (cookies) and API tokens — and the digests the
 * server keeps instead of them. A secret is 32 random bytes; only its SHA-256 is stored, so a copy
 * of `DATA_DIR/.tessera` does not let anyone in. Looking a digest up in a map does not leak the
 * secret through timing: the attacker does not control the digest's bits.
 */

/** API tokens start with this, so secret scanners and people recognise them. */
export const TOKEN_PREFIX = "tsr_";
const SECRET_RE = /^[A-Za-z0-9_-]{43}$/;
const TOKEN_RE = /^tsr_[A-Za-z0-9_-]{43}$/;

export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

export function newToken(): string {
  return `${TOKEN_PREFIX}${newSecret()}`;
}

/** A short public id (token ids shown in lists and used to revoke). */
export function newPublicId(): string {
  return randomBytes(9).toString("base64url");
}

export function digest(secret: string): string {
  return createHash("sha256").update(secret).digest("base64url");
}

/** Whether a cookie value has the shape of a session id (anything else is refused unread). */
export function isSessionIdShape(v: string): boolean {
  return SECRET_RE.test(v);
}

export function isTokenShape(v: string): boolean {
  return TOKEN_RE.test(v);
}
