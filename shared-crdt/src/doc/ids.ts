import { getRandomValues } from "lib0/webcrypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A row id generator; injected so tests and the fuzzer are deterministic. */
export type IdGenerator = () => string;

const ID_LENGTH = 22;

/**
 * 22 base62 characters (≈131 bits), the length of Pixano's shortuuid ids. The 22 random words are
 * drawn in one `getRandomValues` call (one per character cost ≈ 0.1 ms an id on the server, which
 * makes several per edit: activity entries, W1).
 */
export const randomId: IdGenerator = () => {
  const words = getRandomValues(new Uint32Array(ID_LENGTH));
  let s = "";
  for (let i = 0; i < ID_LENGTH; i++) s += ALPHABET[(words[i] ?? 0) % 62];
  return s;
};
