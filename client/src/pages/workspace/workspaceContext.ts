import type { Accessor } from "solid-js";
import type { DocContext, Origin } from "@tessera/shared-crdt";
import type { SelectionRef } from "../../canvas/types.js";
import type { DatasetMeta } from "../../app/datasetMeta.js";
import type { EntityIndex, EntityItem } from "../../app/EntityIndex.js";
import type { RecordSession } from "../../sync/recordSession.js";

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
  readonly editable: Accessor<boolean>;
  readonly hidden: Accessor<ReadonlySet<string>>;
  readonly locked: Accessor<ReadonlySet<string>>;
  selectEntity(entityId: string): void;
  toggleHidden(entityId: string): void;
  toggleLocked(entityId: string): void;
  /** Sets an entity's label field; reports refusals as toasts. */
  relabel(entityId: string, value: string): void;
  colorOfLabel(label: string): string;
  nameOf(clientId: number): { name: string; color: string } | null;
}
