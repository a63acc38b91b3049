export { CloseCode } from "./closeCodes.js";
export { isPersistReply, isPersistRequest, type PersistReply, type PersistRequest } from "./jobs.js";
export {
  decodeFrame,
  decodeTesseraMessage,
  encodeAwarenessFrame,
  encodeSyncFrame,
  encodeTesseraMessage,
  FrameError,
  MessageType,
  SyncType,
  type DecodedFrame,
  type TesseraMessage,
} from "./syncMessages.js";
