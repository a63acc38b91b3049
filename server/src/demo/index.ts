/** The demo library `npm start` creates on first run (see `createDemoLibrary`). */
export {
  createDemoLibrary,
  type CreateDemoOptions,
  type DemoDatasetReport,
  type DemoReport,
} from "./createDemoLibrary.js";
export {
  buildDemoPlans,
  DEFAULT_DEMO_SEED,
  DEFAULT_DEMO_SIZES,
  type DemoPlanOptions,
  type DemoSizes,
} from "./demoPlans.js";
export type { DemoInfo, DemoPlan } from "./plan.js";
export { ENTITY_LINKING_DATASET_ID } from "./entityLinkingDataset.js";
export { IMAGE_DATASET_ID } from "./imageDataset.js";
export { VIDEO_DATASET_ID } from "./videoDataset.js";
export { VQA_DATASET_ID } from "./vqaDataset.js";
