/**
 * Why a semantic-search or embeddings request cannot be answered, with the HTTP status Pixano 0.8
 * answers for it (`explorer.py`): 400 no embeddings / bad request, 404 unknown record or model,
 * 409 stale or mixed embedding space, 503 broken storage or no model to embed with.
 */
export class SearchError extends Error {
  override name = "SearchError";
  constructor(
    readonly status: 400 | 404 | 409 | 422 | 503,
    message: string,
  ) {
    super(message);
  }
}
