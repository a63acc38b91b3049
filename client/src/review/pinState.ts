import { createMemo, createSignal, type Accessor } from "solid-js";
import type { ReviewPin, ReviewThread } from "@tessera/shared-crdt/api";
import type { PinInput } from "../canvas/render/pinLayout.js";
import { numberedPins } from "./pins.js";

/** What a new comment is pinned to: nothing, the selected object, or a point / region drawn on the canvas. */
export type PinChoice = "none" | "object" | "point" | "region";

/**
 * The review panel's side of the pins on the canvas: the numbered pins, whether resolved ones
 * show (dimmed), which thread a click on a pin opened, and the point or region pin being drawn for
 * a new comment (the canvas layer captures the gesture while `capturing` says so).
 */
export function pinState(threads: Accessor<readonly ReviewThread[]>) {
  const pins = createMemo<readonly PinInput[]>(() => numberedPins(threads()));
  const [showResolved, setShowResolved] = createSignal(false);
  const [focused, setFocused] = createSignal<string | null>(null, { equals: false });
  const [choice, setChoice] = createSignal<PinChoice>("object");
  const [capturing, setCapturing] = createSignal<"point" | "region" | null>(null);
  const [drawn, setDrawn] = createSignal<ReviewPin | null>(null);
  const numberOf = (threadId: string) => pins().find((p) => p.threadId === threadId)?.number ?? null;
  return {
    pins,
    numberOf,
    showResolved,
    setShowResolved,
    focused,
    /** A pin was clicked: its thread opens in the review panel (every click notifies, so a second one scrolls again). */
    focus: (threadId: string | null) => setFocused(threadId),
    choice,
    /** Choosing point or region starts drawing it on the canvas; any choice forgets a pin drawn before. */
    choose(c: PinChoice) {
      setChoice(c);
      setDrawn(null);
      setCapturing(c === "point" || c === "region" ? c : null);
    },
    capturing,
    drawn,
    /** The canvas's answer to a capture: the pin, or null when cancelled (then no pin is drawn). */
    captured(pin: ReviewPin | null) {
      setCapturing(null);
      setDrawn(pin);
      if (!pin) setChoice("none");
    },
    /** After a comment is sent: the next one starts from the selected object again. */
    reset() {
      setDrawn(null);
      setCapturing(null);
      setChoice("object");
    },
  };
}

export type PinState = ReturnType<typeof pinState>;
