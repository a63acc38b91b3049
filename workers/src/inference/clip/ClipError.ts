/** An embedding request the model or its tokenizer cannot answer (the server gets it as `failed`). */
export class ClipError extends Error {
  override name = "ClipError";
}
