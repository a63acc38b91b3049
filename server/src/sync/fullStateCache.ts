import * as Y from "yjs";
import { encodeSyncFrame, SyncType } from "@tessera/shared-crdt";

/**
 * A room's answer to a joiner with an empty state vector: the whole document as one step-2 frame,
 * encoded once per version of the document and dropped at its next change (its `update` handler is
 * registered before any other, so no change, the persistence origin's included, is missed). A storm
 * of N joiners encodes once, not N times; right after a load the loader's own bytes (the snapshot,
 * or the first snapshot) serve, with no encoding at all.
 */
export class FullStateCache {
  private state: Uint8Array | null;
  private frame: Uint8Array | null = null;
  private encodes = 0;
  private changedFlag = false;

  constructor(
    private readonly doc: Y.Doc,
    loaded: Uint8Array | null,
  ) {
    this.state = loaded;
    this.doc.on("update", this.drop);
  }

  /** The document changed since it was loaded (anything the loaded bytes do not hold). */
  get changed(): boolean {
    return this.changedFlag;
  }

  /** How many times the whole document was encoded for joiners. */
  get encodings(): number {
    return this.encodes;
  }

  step2(): Uint8Array {
    if (!this.frame) {
      if (!this.state) {
        this.state = Y.encodeStateAsUpdate(this.doc);
        this.encodes++;
      }
      this.frame = encodeSyncFrame(SyncType.step2, this.state);
      this.state = null;
    }
    return this.frame;
  }

  dispose(): void {
    this.doc.off("update", this.drop);
    this.drop();
  }

  private readonly drop = (): void => {
    this.changedFlag = true;
    this.state = null;
    this.frame = null;
  };
}
