/**
 * A refused review action, with the HTTP status the REST layer answers (`{"detail": message}`) and the reason the
 * live channel acks. Nothing was written when one is thrown.
 */
export class ReviewError extends Error {
  override name = "ReviewError";
  constructor(
    readonly reason: "not_found" | "too_many" | "bad_pin" | "forbidden",
    message: string,
  ) {
    super(message);
  }

  get status(): 404 | 409 | 422 | 403 {
    switch (this.reason) {
      case "not_found":
        return 404;
      case "too_many":
        return 409;
      case "bad_pin":
        return 422;
      case "forbidden":
        return 403;
    }
  }
}
