import { describe, expect, it } from "vitest";

/**
 * The dashboard's chart colours (`client/src/pages/dashboard/dashboard.css`) keep at least 3:1 against the cards
 * they are drawn on, in both themes (WCAG 1.4.11, non-text contrast), with the card colour taken from the app's
 * own stylesheet. Vitest hands CSS imports to its (disabled) CSS pipeline, so the files are read from disk.
 */
interface ReadText {
  readFileSync(file: URL, encoding: "utf8"): string;
}
const runtime = globalThis as unknown as { process: { getBuiltinModule(id: "node:fs"): ReadText } };
const read = (rel: string) =>
  runtime.process.getBuiltinModule("node:fs").readFileSync(new URL(rel, import.meta.url), "utf8");
const APP = read("../../src/styles/app.css");
const DASH = read("../../src/pages/dashboard/dashboard.css");

type Theme = "dark" | "light";
const SERIES = ["new", "inProgress", "inReview", "validated", "other", "rejected"];

/** `--name: #rrggbb` declarations of the block that starts with `selector {`. */
function block(css: string, selector: string): Map<string, string> {
  const start = css.indexOf(`${selector} {`);
  if (start < 0) throw new Error(`no block ${selector}`);
  const body = css.slice(start, css.indexOf("}", start));
  return new Map([...body.matchAll(/(--[\w-]+):\s*(#[0-9a-fA-F]{6})/g)].map((m) => [m[1] ?? "", m[2] ?? ""]));
}

function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

describe("dashboard chart colours (WCAG non-text contrast ≥ 3:1, both themes)", () => {
  for (const theme of ["dark", "light"] as Theme[]) {
    const chart = block(DASH, `[data-theme="${theme}"] .dashboard`);
    const app = block(APP, `[data-theme="${theme}"]`);
    for (const s of SERIES) {
      it(`${theme}: ${s} on the card and on the page`, () => {
        const colour = chart.get(`--ch-${s}`);
        expect(colour, `--ch-${s} in the ${theme} theme`).toBeDefined();
        for (const surface of ["--bg2", "--bg"]) {
          const bg = app.get(surface) ?? "";
          const ratio = contrast(colour ?? "", bg);
          expect(ratio, `${String(colour)} on ${bg}: ${ratio.toFixed(2)}:1`).toBeGreaterThanOrEqual(3);
        }
      });
    }
  }
});
