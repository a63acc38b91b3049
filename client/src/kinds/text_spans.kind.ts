import type { KindListing } from "./KindView.js";

/** `text_spans`: listed in the object list, not drawn on the canvas. */
export const kindListing: KindListing = { table: "text_spans", label: "span" };
