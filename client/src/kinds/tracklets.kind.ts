import type { KindListing } from "./KindView.js";

/** `tracklets`: listed in the object list, not drawn on the canvas. */
export const kindListing: KindListing = { table: "tracklets", label: "track" };
