/**
 * The one thing a {@link Connection} needs of its transport, stated narrowly (as tldraw's
 * `TLRoomSocket`) so the real room can run over `ws` in the server and over an in-memory link in
 * tests and the convergence fuzzer. Frames in the other direction, and the socket's end, are
 * handed to the connection by whoever owns the transport (`Connection.receive`,
 * `Connection.ended`): see `wsSocket.ts` for the `ws` side.
 *
 * Why each member exists:
 * - `send`: every frame the room sends (sync, awareness, Tessera messages) is one binary message.
 * - `close`: the room ends a connection with a typed close code (shared-crdt `closeCodes.ts`).
 * - `isOpen`: frames are only sent on an open socket (a closing one would throw or drop them).
 * - `bufferedAmount`: a peer that reads too slowly is closed (1013) before it costs the server
 *   unbounded memory; only the transport knows what it still holds.
 * - `reading`: the intake's back-pressure; switching it off stops reading the peer's frames
 *   (TCP back-pressure on the sender) until the backlog halves.
 */
export interface RoomSocket {
  send(frame: Uint8Array): void;
  close(code: number, reason: string): void;
  readonly isOpen: boolean;
  readonly bufferedAmount: number;
  reading(on: boolean): void;
}
