import * as random from "lib0/random";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A row id generator; injected so tests and the fuzzer are deterministic. */
export type IdGenerator = () => string;

/** 22 base62 characters (≈131 bits), the length of Pixano's shortuuid ids. */
export const randomId: IdGenerator = () => {
  let s = "";
  for (let i = 0; i < 22; i++) s += ALPHABET[random.uint32() % 62];
  return s;
};
