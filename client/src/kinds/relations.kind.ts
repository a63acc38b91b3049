import type { KindListing } from "./KindView.js";

/** `relations`: listed in the object list, not drawn on the canvas. */
export const kindListing: KindListing = { table: "relations", label: "relation" };
