export { observeRecordChanges, type DocChanges, type RowChange } from "./changes.js";
export {
  cellOfMap,
  hasRow,
  patchRecord,
  patchRow,
  patchRowCells,
  readCell,
  readRecord,
  readRecordCell,
  readRecordCells,
  readRow,
  readRowCells,
  readRows,
  removeRow,
  rowIds,
  rowOfMap,
  transact,
  writeRow,
  writeRowCells,
  type DocRecord,
  type FieldOf,
} from "./access.js";
export { deleteWithDependents, removeDependents, type Removed } from "./cascade.js";
export { repairDoc, type RepairPolicy } from "./repair.js";
export { randomId, type IdGenerator } from "./ids.js";
export { checkDoc, checkDocRecord, checkDocRow, checkRowKey } from "./integrity.js";
export { introducedIssues } from "./issueDiff.js";
export {
  clearOutsideLayout,
  holdsLayoutOnly,
  LAYOUT_ROOTS,
  layoutBreaches,
  wouldWait,
  type LayoutBreach,
} from "./updateRoots.js";
export { scanUpdate, UpdateScanError, type ScannedStruct, type StructId } from "./updateScan.js";
export {
  isComponentTable,
  RECORD_COLUMNS_OUTSIDE_DOC,
  RECORD_MAP,
  recordDocGuid,
  recordMap,
  tableMap,
  type RowMap,
} from "./layout.js";
export {
  addAnswer,
  addKeyframe,
  addQuestion,
  addRow,
  createEntity,
  deleteRows,
  DocEditError,
  glueTracklets,
  moveVertex,
  relabel,
  setRecordFields,
  splitTracklet,
  updateRow,
  type AnnotationInput,
  type DocContext,
} from "./mutators.js";
export {
  clientOrigin,
  inferenceOrigin,
  isOrigin,
  PERSISTENCE_ORIGIN,
  restOrigin,
  serverOrigin,
  type Origin,
} from "./origins.js";
export { applyTextEdit } from "./collabText.js";
export {
  answerMode,
  choiceLetter,
  formatAnswer,
  hasExplanation,
  isAnswered,
  MAX_CHOICES,
  parseAnswer,
  type ChoiceAnswer,
} from "./vqaAnswer.js";
export {
  conversationsOf,
  deleteQuestion,
  editQuestion,
  newConversationId,
  type Conversation,
  type QuestionEdit,
  type QuestionThread,
} from "./vqaThreads.js";
export { answerNumbersToHeal, settleQuestionNumbers } from "./vqaNumbers.js";
export { applyRowsToDoc, diffRecordRows, rowsOfDoc, type RecordRows, type TableDiff } from "./rows.js";
export {
  actionBetween,
  availableActions,
  canEditRecord,
  isNamedAction,
  isRecordStatus,
  setStatus,
  transition,
  workflowState,
  WORKFLOW_ACTIONS,
  type NamedAction,
  type RecordStatus,
  type Role,
  type WorkflowAction,
  type WorkflowState,
  type WorkflowRefusal,
  type WorkflowResult,
} from "./workflow.js";
export {
  codePointToUtf16,
  graphemeBoundaries,
  mentionOf,
  MENTION_JOINER,
  PIXANO_OFFSET_UNIT,
  selectionToRanges,
  spanColumns,
  spanRanges,
  TextOffsetError,
  utf16ToCodePoint,
  utf16ToUtf8,
  type TextRange,
} from "./textOffsets.js";
export { createSpan, deleteSpan, relinkSpan, setSpanRanges, SpanEditError, type SpanTarget } from "./spans.js";
export {
  addTrackKeyframe,
  createTrack,
  deleteTrack,
  endTrackAt,
  extendTrack,
  INTERPOLATED_TABLES,
  materialiseKeyframe,
  setTrackState,
  trackKeyframes,
  trackStateAt,
  trackShapeAt,
  type FrameRef,
  type InterpolatedTable,
  type TrackKeyframe,
  type TrackTable,
} from "./tracks.js";
export {
  acceptProposal,
  belowThreshold,
  bulkAccept,
  correctEntityProposals,
  correctionPatch,
  hasReviewColumn,
  isProposal,
  PIXANO_PRE_ANNOTATION,
  PROPOSAL_TABLES,
  ProposalError,
  proposalScore,
  proposalsOf,
  rejectProposal,
  REVIEW_STATUS_FIELD,
  reviewStatusOf,
  reviewStatusPatch,
  setReviewStatus,
  storedReviewStatus,
  type ProposalDecision,
  type ProposalRef,
  type ReviewStatus,
} from "./proposals.js";
