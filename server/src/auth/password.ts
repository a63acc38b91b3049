import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { PASSWORD_MAX } from "@tessera/shared-crdt/api";

/**
 * Password hashing with scrypt (docs/ARCHITECTURE.md §5): a random 16-byte salt per password and the
 * parameters stored beside the hash, as a PHC-style string
 * `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64url), so the cost can rise later without breaking
 * stored hashes. Comparison is constant-time (`timingSafeEqual`).
 */

export interface ScryptCost {
  /** log2 of N. 15 → N = 32768: ~32 MiB and tens of milliseconds per hash. */
  readonly ln: number;
  readonly r: number;
  readonly p: number;
}

export const DEFAULT_SCRYPT_COST: ScryptCost = { ln: 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Longest password accepted (declared with the REST schemas, which enforce it at the boundary). */
const MAX_PASSWORD_LENGTH = PASSWORD_MAX;
const MIN_PASSWORD_LENGTH = 8;

class PasswordHashError extends Error {
  override name = "PasswordHashError";
}

function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const N = 2 ** cost.ln;
  const options: ScryptOptions = { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFC"), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** A new salted hash of `password`. */
export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, cost);
  return `$scrypt$ln=${cost.ln},r=${cost.r},p=${cost.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

function parse(stored: string): { cost: ScryptCost; salt: Buffer; key: Buffer } {
  const m = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(stored);
  if (!m) throw new PasswordHashError("not a scrypt hash");
  const cost = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (cost.ln < 1 || cost.ln > 20 || cost.r < 1 || cost.p < 1)
    throw new PasswordHashError("scrypt parameters out of range");
  return { cost, salt: Buffer.from(m[4] ?? "", "base64url"), key: Buffer.from(m[5] ?? "", "base64url") };
}

/** Whether `password` matches `stored`; the comparison of the derived keys is constant-time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const { cost, salt, key } = parse(stored);
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  const candidate = await derive(password, salt, cost);
  return candidate.length === key.length && timingSafeEqual(candidate, key);
}

/** A generated password: 18 random bytes, 24 base64url characters (~144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString("base64url");
}

/** Why a chosen password is refused, or null when it is acceptable. */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `a password has at most ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}
