import type { DatasetSchema } from "@tessera/shared-crdt";
import type { V2Kind } from "./kinds.js";
import type { ViewKind } from "./spec.js";

/** What one JSONL v2 line parses into (`grammar.ts`), and the header's defaults. */

export interface SourceSpec {
  readonly type: string;
  readonly name: string;
}

export interface HeaderDefaults {
  readonly bbox: { readonly format?: "xywh" | "xyxy"; readonly isNormalized?: boolean };
  readonly source: SourceSpec;
}

export const DEFAULT_HEADER: HeaderDefaults = { bbox: {}, source: { type: "ground_truth", name: "import" } };

interface FrameSpec {
  readonly uri: string;
  readonly frameIndex?: number;
  readonly timestamp?: number;
  readonly id?: string;
}

export type ViewPayload =
  | {
      readonly kind: "image";
      readonly uri: string;
      readonly width?: number;
      readonly height?: number;
      readonly id?: string;
    }
  | {
      readonly kind: "sequence_frames";
      readonly frames?: FrameSpec[];
      readonly framePattern?: string;
      readonly fps?: number;
    }
  | { readonly kind: "text"; readonly uri?: string; readonly content?: string; readonly id?: string }
  | {
      readonly kind: "video";
      readonly uri: string;
      readonly fps?: number;
      readonly fromTimestamp: number;
      readonly toTimestamp: number;
      readonly id?: string;
    }
  | { readonly kind: "point_cloud"; readonly uri: string; readonly id?: string };

export interface AnnotationSpec {
  readonly kind: V2Kind;
  readonly pointer: string;
  readonly view?: string;
  readonly id?: string;
  readonly frameIndex?: number;
  readonly source?: SourceSpec;
  readonly attrs: Record<string, unknown>;
  /** Kind fields, checked: bbox coords/format/is_normalized/confidence, mask rle|polygons, … */
  readonly fields: Record<string, unknown>;
}

export interface TrackletSpec {
  readonly id?: string;
  readonly source?: SourceSpec;
  readonly view: string;
  readonly startTimestep: number;
  readonly endTimestep: number;
  readonly startTimestamp?: number;
  readonly endTimestamp?: number;
}

interface StateSpec {
  readonly frameIndex: number;
  readonly attrs: Record<string, unknown>;
  readonly id?: string;
}

export interface EntitySpec {
  readonly pointer: string;
  readonly id?: string;
  readonly parentId?: string;
  readonly attrs: Record<string, unknown>;
  readonly annotations: AnnotationSpec[];
  readonly tracklets: TrackletSpec[];
  readonly states: StateSpec[];
}

export interface MessageSpec {
  readonly type: "SYSTEM" | "QUESTION" | "ANSWER";
  readonly content: string;
  readonly questionType?: string;
  readonly choices?: string[];
  readonly user?: string;
  readonly views?: string[];
  readonly id?: string;
  readonly number?: number;
  readonly entityIds?: string[];
  readonly source?: SourceSpec;
}

export interface ConversationSpec {
  readonly id?: string;
  readonly messages: MessageSpec[];
}

export interface SidecarSpec {
  readonly kind: "mask" | "bbox";
  readonly view: string;
  readonly pattern: string;
  readonly encoding: "index_png" | "track_json";
  readonly entityMap: "auto" | Readonly<Record<string, string>>;
}

export interface LineSpec {
  readonly line: number;
  readonly id?: string;
  readonly split?: string;
  readonly attrs: Record<string, unknown>;
  readonly views: ReadonlyMap<string, ViewPayload>;
  readonly entities: EntitySpec[];
  readonly conversations: ConversationSpec[];
  readonly annotationFiles: SidecarSpec[];
}

/** What the grammar needs to know about the target dataset. */
export interface GrammarContext {
  readonly viewKinds: ReadonlyMap<string, ViewKind>;
  readonly schema: DatasetSchema;
}
