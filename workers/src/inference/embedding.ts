/** An image embedding as the encoder produced it (float32, row-major). */
export interface Embedding {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

export class EmbeddingFormatError extends Error {
  override name = "EmbeddingFormatError";
}

const MAGIC = 0x54454d42; // "TEMB"

/** `[magic u32][rank u32][dims u32 × rank][float32 data]`, little-endian. */
export function serializeEmbedding(e: Embedding): Buffer {
  const header = Buffer.alloc(8 + 4 * e.dims.length);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(e.dims.length, 4);
  e.dims.forEach((d, i) => header.writeUInt32LE(d, 8 + 4 * i));
  return Buffer.concat([header, Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength)]);
}

export function deserializeEmbedding(buf: Buffer): Embedding {
  if (buf.length < 8 || buf.readUInt32LE(0) !== MAGIC) throw new EmbeddingFormatError("not an embedding file");
  const rank = buf.readUInt32LE(4);
  if (rank < 1 || rank > 8 || buf.length < 8 + 4 * rank) throw new EmbeddingFormatError("bad embedding rank");
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(buf.readUInt32LE(8 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const offset = 8 + 4 * rank;
  if (buf.length !== offset + 4 * count) throw new EmbeddingFormatError("embedding file has the wrong length");
  const data = new Float32Array(count);
  Buffer.from(data.buffer).set(buf.subarray(offset));
  return { dims, data };
}
