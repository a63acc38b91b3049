/**
 * Websocket close codes of the sync endpoint (SPEC P-CLOSE). 1000–1015 are the standard ones; the
 * 4xxx range is ours. Stock y-websocket clients do not interpret codes (they reconnect), so
 * refusals that must stop them happen at the HTTP upgrade (401/403/404/503) instead.
 */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  /** A frame that is not a y-websocket message (truncated, garbage, unknown type). */
  malformedFrame: 4400,
  /** An update larger than the server accepts. */
  updateTooLarge: 4413,
  /** The record was deleted while open. */
  recordGone: 4410,
  /** The connection's sign-in ended (logout, expiry, revocation): sign in again, then reconnect. */
  unauthorized: 4401,
  /** Too many invalid updates from one connection: protocol abuse. */
  tooManyInvalid: 4422,
  /** One connection's backlog of frames not yet handled passed its hard bound (update flood). */
  tooManyPending: 4429,
  /** An awareness frame with too many entries, or a connection claiming too many awareness client ids. */
  tooManyAwarenessClients: 4430,
  /** Server overloaded or shutting down; the client should back off. */
  tryLater: 1013,
  internalError: 1011,
  /**
   * Scaled mode: this process stopped serving the record (its lease was lost, or the owner a connection was
   * forwarded to went away); another process owns it now. Reconnect (any process) and resync.
   */
  ownerLost: 4503,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
