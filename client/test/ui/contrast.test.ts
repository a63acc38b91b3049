import { describe, expect, it } from "vitest";

/**
 * The stylesheet's text. Vitest hands CSS imports (even `?raw`) to its CSS pipeline, which is off
 * in tests, and the client's types have no Node: `fs` is taken from the runtime, typed here.
 */
interface ReadText {
  readFileSync(file: URL, encoding: "utf8"): string;
}
const runtime = globalThis as unknown as { process: { getBuiltinModule(id: "node:fs"): ReadText } };
const CSS = runtime.process
  .getBuiltinModule("node:fs")
  .readFileSync(new URL("../../src/styles/app.css", import.meta.url), "utf8");

/**
 * WCAG AA for buttons and chips: text at least 4.5:1 against its background, in both
 * themes, computed from the stylesheet itself (`client/src/styles/app.css`): each pair below names
 * the rules its text colour and background come from, `var(--…)` resolved in the theme's block.
 */

const AA_TEXT = 4.5;

/** selector → property → value, for every rule of the sheet (selector lists split). */
function parseRules(css: string): Map<string, Map<string, string>> {
  const rules = new Map<string, Map<string, string>>();
  const clean = css.replace(/\/\*[\s\S]*?\*\//g, "");
  for (const m of clean.matchAll(/([^{}]+)\{([^{}]*)\}/g)) {
    const selectors = (m[1] ?? "").split(",").map((s) => s.trim());
    for (const sel of selectors) {
      const decls = rules.get(sel) ?? new Map<string, string>();
      for (const d of (m[2] ?? "").split(";")) {
        const i = d.indexOf(":");
        if (i > 0) decls.set(d.slice(0, i).trim(), d.slice(i + 1).trim());
      }
      rules.set(sel, decls);
    }
  }
  return rules;
}

const RULES = parseRules(CSS);
type Theme = "dark" | "light";
const THEMES: readonly Theme[] = ["dark", "light"];

function declared(selector: string, prop: string): string {
  const v = RULES.get(selector)?.get(prop);
  if (v === undefined) throw new Error(`app.css has no ${prop} in ${selector}`);
  return v;
}

/** A colour value resolved to `#rrggbb` in a theme. */
function resolve(value: string, theme: Theme): string {
  const v = /^var\((--[\w-]+)\)$/.exec(value);
  if (v?.[1]) {
    const name = v[1];
    const inTheme = RULES.get(`[data-theme="${theme}"]`)?.get(name) ?? RULES.get(":root")?.get(name);
    if (inTheme === undefined) throw new Error(`${name} is not defined for the ${theme} theme`);
    return resolve(inTheme, theme);
  }
  if (/^#[0-9a-f]{6}$/i.test(value)) return value.toLowerCase();
  if (/^#[0-9a-f]{3}$/i.test(value)) return `#${[...value.slice(1)].map((c) => c + c).join("")}`.toLowerCase();
  throw new Error(`not a solid colour: ${value}`);
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

/** Where a colour comes from: a rule's property, or a theme variable. */
type Source = { readonly rule: string; readonly prop: string } | { readonly var: string };
const rule = (r: string, prop = "background"): Source => ({ rule: r, prop });
const v = (name: string): Source => ({ var: name });
/** Text inherited from the page. */
const TEXT = rule("body", "color");
/** The surfaces a transparent button or chip sits on: the page, panels and dialogs, toolbars. */
const SURFACES = [v("--bg"), v("--bg2"), v("--bg3")];

const PAIRS: ReadonlyArray<{ name: string; text: Source; on: readonly Source[] }> = [
  { name: "button", text: TEXT, on: [rule(".btn")] },
  { name: "button hovered", text: TEXT, on: [rule(".btn:hover:not(:disabled)")] },
  { name: "primary button", text: rule(".btn.primary", "color"), on: [rule(".btn.primary")] },
  {
    name: "primary button hovered",
    text: rule(".btn.primary", "color"),
    on: [rule(".btn.primary:hover:not(:disabled)")],
  },
  { name: "danger button", text: rule(".btn.danger", "color"), on: SURFACES },
  { name: "ghost button", text: TEXT, on: SURFACES },
  { name: "tool rail button, on", text: rule(".rail button.on", "color"), on: [rule(".rail button.on")] },
  { name: "chip: new", text: rule(".chip", "color"), on: [rule(".chip.st-new")] },
  { name: "chip: in progress", text: rule(".chip", "color"), on: [rule(".chip.st-inProgress")] },
  { name: "chip: in review", text: rule(".chip.st-inReview", "color"), on: [rule(".chip.st-inReview")] },
  { name: "chip: validated", text: rule(".chip.st-validated", "color"), on: [rule(".chip.st-validated")] },
  { name: "chip: other status", text: rule(".chip.st-other", "color"), on: SURFACES },
  { name: "badge", text: rule(".badge", "color"), on: [rule(".badge")] },
  { name: "filter chip", text: TEXT, on: [rule(".filter-chip")] },
];

function colour(s: Source, theme: Theme): string {
  return resolve("var" in s ? `var(${s.var})` : declared(s.rule, s.prop), theme);
}

describe("WCAG AA contrast of buttons and chips (text ≥ 4.5:1, both themes)", () => {
  for (const theme of THEMES)
    for (const p of PAIRS)
      it(`${theme}: ${p.name}`, () => {
        const fg = colour(p.text, theme);
        for (const bgSource of p.on) {
          const bg = colour(bgSource, theme);
          const ratio = contrast(fg, bg);
          expect(ratio, `${fg} on ${bg}: ${ratio.toFixed(2)}:1`).toBeGreaterThanOrEqual(AA_TEXT);
        }
      });

  it("computes the WCAG ratio (black on white is 21:1, a colour on itself 1:1)", () => {
    expect(contrast("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrast("#4f8cff", "#4f8cff")).toBe(1);
    expect(contrast("#ffffff", "#767676")).toBeCloseTo(4.54, 2);
  });
});
