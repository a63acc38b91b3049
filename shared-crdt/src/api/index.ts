export * from "./rest.js";
export * from "./responses.js";
export * from "./videoFrames.js";
export * from "./review.js";
export * from "./dashboard.js";
export * from "./filterValues.js";
export * from "./assign.js";
