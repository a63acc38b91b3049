import { buildEntityLinkingDataset } from "./entityLinkingDataset.js";
import { buildImageDataset } from "./imageDataset.js";
import type { DemoPlan } from "./plan.js";
import { Prng } from "@tessera/shared-crdt";
import { buildVideoDataset } from "./videoDataset.js";
import { buildVqaDataset } from "./vqaDataset.js";

/** How big each demo dataset is: the defaults are what `npm start` creates. */
interface DemoSizes {
  readonly images: number;
  readonly videos: number;
  readonly framesPerVideo: number;
  readonly vqa: number;
  readonly entityLinking: number;
}

const DEFAULT_DEMO_SIZES: DemoSizes = { images: 300, videos: 4, framesPerVideo: 20, vqa: 20, entityLinking: 10 };

export interface DemoPlanOptions {
  /** Same seed, same datasets (ids, geometry, statuses, pixels). */
  readonly seed?: number;
  /** Record timestamps are laid out before this instant. */
  readonly now?: () => Date;
  readonly sizes?: Partial<DemoSizes>;
}

const DEFAULT_DEMO_SEED = 7492;

/**
 * Every demo dataset as a plan (rows + media), not yet written. Each dataset draws from its own
 * PRNG stream, so resizing one never changes another.
 */
export async function buildDemoPlans(options: DemoPlanOptions = {}): Promise<DemoPlan[]> {
  const root = new Prng(options.seed ?? DEFAULT_DEMO_SEED);
  const now = options.now ?? (() => new Date());
  const sizes = { ...DEFAULT_DEMO_SIZES, ...options.sizes };
  const ctx = (label: string) => ({ rng: root.fork(label), now });
  return Promise.all([
    buildImageDataset(ctx("image"), { records: sizes.images }),
    buildVideoDataset(ctx("video"), { records: sizes.videos, frames: sizes.framesPerVideo }),
    buildVqaDataset(ctx("vqa"), { records: sizes.vqa }),
    buildEntityLinkingDataset(ctx("entity_linking"), { records: sizes.entityLinking }),
  ]);
}
