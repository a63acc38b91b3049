export { CloseCode } from "./closeCodes.js";
export {
  LIVE_NAMESPACE,
  LIVE_PROTOCOL_VERSION,
  type ActivityEntry,
  type AssignChange,
  type LiveAck,
  type LiveClientToServer,
  type LiveHandshake,
  type LiveServerToClient,
  type LiveUser,
  type Presence,
  type ReviewThreadChange,
  type StatusChange,
} from "./live.js";
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
export {
  isInferenceReply,
  isInferenceRequest,
  type EmbeddingSource,
  type InferenceReply,
  type InferenceRequest,
  type InferenceStats,
  type SamModelSpec,
  type SegmentPrompt,
} from "./inference.js";
export { isResizedImage, type EncodedImage, type ImageInput, type ResizedImage } from "./images.js";
export type { ClipModelSpec, EmbedReply, EmbedRequest } from "./inferenceEmbed.js";
export { type DetectorSpec, type Detection, type DetectReply, type DetectRequest } from "./detect.js";
export type {
  TrackBox,
  TrackerSpec,
  TrackReply,
  TrackRequest,
  TrackStepReply,
  TrackStepRequest,
  TrackTemplateReply,
  TrackTemplateRequest,
} from "./track.js";
export type { PreannotateJob, PreannotateStatus } from "./preannotateJob.js";
export {
  parsePersistJob,
  parsePersistJobResult,
  persistJobEntry,
  type PersistJobFields,
  type PersistJobResult,
} from "./persistGroup.js";
export type { LiveJob, TrackJob, TrackJobStatus } from "./trackJob.js";
