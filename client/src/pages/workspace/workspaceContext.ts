import type { Accessor } from "solid-js";
import type { Awareness } from "y-protocols/awareness";
import type * as Y from "yjs";
import type { DocContext, Origin } from "@tessera/shared-crdt";
import type { CanvasController, CanvasView, SelectionRef } from "../../canvas/types.js";
import type { DatasetMeta } from "../../app/datasetMeta.js";
import type { EntityIndex, EntityItem } from "../../app/EntityIndex.js";
import type { RecordSession } from "../../sync/recordSession.js";
import type { Peer } from "./recordBindings.js";
import type { ProposalModel } from "../../proposals/proposalModel.js";

/** What the workspace's panels share (built once per open record by the workspace page). */
export interface WorkspaceContext {
  readonly datasetId: string;
  readonly recordId: string;
  readonly meta: DatasetMeta;
  readonly session: RecordSession;
  readonly origin: Origin;
  readonly docCtx: DocContext;
  readonly index: EntityIndex;
  readonly items: Accessor<readonly EntityItem[]>;
  /** The record's document arrived from the server (before that, no objects means nothing yet). */
  readonly loaded: Accessor<boolean>;
  readonly selection: Accessor<readonly SelectionRef[]>;
  /** The canvas once it runs (null before, and in builds without it). */
  readonly controller: Accessor<CanvasController | null>;
  /** The views the canvas opened with (null while they load). */
  readonly views: Accessor<CanvasView[] | null>;
  readonly awareness: Awareness;
  /** Everyone else on this record (one entry per awareness client; not this tab). */
  readonly peers: Accessor<readonly Peer[]>;
  /** Whom this person follows once on the leader's record (follow mode), else null. */
  readonly followedUserId: Accessor<string | null>;
  /** This person moved the view themselves (a pan, a seek): follow mode stops, as for a pan of the canvas. */
  userMovedView(): void;
  /**
   * This person's place for the dataset's live channel (presence in the explorer and library):
   * the frame they are on, for a video. Cheap to call; the channel sends only changes.
   */
  setLivePresence(p: { frame: number | null }): void;
  /** This person's undo manager (only their own edits). */
  readonly undo: Y.UndoManager;
  readonly editable: Accessor<boolean>;
  readonly hidden: Accessor<ReadonlySet<string>>;
  readonly locked: Accessor<ReadonlySet<string>>;
  selectEntity(entityId: string): void;
  /** Selects rows on the canvas and in the panels. */
  select(refs: readonly SelectionRef[]): void;
  toggleHidden(entityId: string): void;
  toggleLocked(entityId: string): void;
  /** Sets an entity's label field; reports refusals as toasts. */
  relabel(entityId: string, value: string): void;
  colorOfLabel(label: string): string;
  /** The record's model proposals: threshold, review actions (SPEC D-PROPOSAL). */
  readonly proposals: ProposalModel;
  nameOf(clientId: number): { name: string; color: string } | null;
}
