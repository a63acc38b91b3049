import type { KindListing } from "./KindView.js";

/** `classifications`: listed in the object list, not drawn on the canvas. */
export const kindListing: KindListing = { table: "classifications", label: "class" };
