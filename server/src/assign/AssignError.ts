/**
 * A refused assignment request, with the HTTP status the REST layer answers (`{"detail": message}`). Nothing was
 * written when one is thrown.
 */
export class AssignError extends Error {
  override name = "AssignError";
  constructor(
    readonly reason: "not_found" | "bad_request" | "too_many" | "forbidden",
    message: string,
  ) {
    super(message);
  }

  get status(): 404 | 422 | 413 | 403 {
    switch (this.reason) {
      case "not_found":
        return 404;
      case "bad_request":
        return 422;
      case "too_many":
        return 413;
      case "forbidden":
        return 403;
    }
  }
}
