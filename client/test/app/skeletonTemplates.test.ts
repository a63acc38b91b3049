import "../canvas/pixiInNode.js";
import { createRoot } from "solid-js";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { Awareness } from "y-protocols/awareness";
import type { LabelField } from "../../src/app/categories.js";
import { categoryForTemplate, datasetTemplates, KEYPOINT_TEMPLATES, parseTemplate } from "../../src/app/templates.js";
import { canvasSettings } from "../../src/pages/workspace/canvasSettings.js";

// canvasSettings remembers the category in localStorage: a real in-memory one under node.
const store = new Map<string, string>();
(globalThis as { localStorage?: Pick<Storage, "getItem" | "setItem"> }).localStorage ??= {
  getItem: (k) => store.get(k) ?? null,
  setItem: (k, v) => void store.set(k, v),
};

const field: LabelField = { name: "category", values: ["car", "person", "cow"], restricted: true };

describe("keypoint templates read from the dataset", () => {
  it("offers the templates declared in info.json, not the built-ins", () => {
    const info = {
      id: "d",
      keypoint_templates: [
        {
          id: "hand",
          labels: ["wrist", "thumb", "index"],
          edges: [
            [0, 1],
            [0, 2],
          ],
          category: "person",
        },
        {
          id: "bird",
          labels: ["beak", "tail"],
          edges: [[0, 1]],
          layout: [
            [0.1, 0.5],
            [0.9, 0.5],
          ],
        },
      ],
    };
    const r = datasetTemplates(info, undefined);
    expect(r.fromDataset).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.templates.map((t) => t.id)).toEqual(["hand", "bird"]);
    const hand = r.templates[0];
    expect(hand?.layout).toHaveLength(3);
    for (const [x, y] of hand?.layout ?? []) expect(x >= 0 && x <= 1 && y >= 0 && y <= 1).toBe(true);
    expect(hand?.category).toBe("person");
    expect(r.templates[1]?.layout).toEqual([
      [0.1, 0.5],
      [0.9, 0.5],
    ]);
  });

  it("takes the ids of Pixano's template_id pick-list from the built-ins", () => {
    const fv = { annotations: { keypoints: [{ name: "template_id", restricted: true, values: ["face", "nope"] }] } };
    const r = datasetTemplates({ id: "d" }, fv);
    expect(r.templates.map((t) => t.id)).toEqual(["face"]);
    expect(r.problems).toEqual(["nope: in the template_id pick-list but declared nowhere"]);
  });

  it("falls back to the built-ins only when the dataset declares none", () => {
    const r = datasetTemplates({ id: "d" }, { annotations: {} });
    expect(r.fromDataset).toBe(false);
    expect(r.templates).toBe(KEYPOINT_TEMPLATES);
  });

  it("refuses malformed declarations with a reason and keeps the valid ones", () => {
    expect(parseTemplate({ id: "x", labels: ["a", "b"], edges: [[0, 5]] })).toBe(
      "x: edge [0, 5] points past its 2 labels",
    );
    expect(parseTemplate({ id: "x", labels: [] })).toBe("x: labels must be a non-empty list of strings");
    expect(parseTemplate({ id: "x", labels: ["a"], layout: [[2, 0]] })).toBe(
      "x: layout points must be [x, y] within 0..1",
    );
    const r = datasetTemplates({ id: "d", keypoint_templates: [{ id: "" }, { id: "ok", labels: ["a"] }] }, undefined);
    expect(r.templates.map((t) => t.id)).toEqual(["ok"]);
    expect(r.problems).toHaveLength(1);
  });
});

describe("category of a new skeleton", () => {
  it("is the template's category, not the last used one", () => {
    const cow = KEYPOINT_TEMPLATES.find((t) => t.id === "cow");
    expect(categoryForTemplate(cow, field, "car")).toBe("cow");
    expect(categoryForTemplate({ ...cow!, category: "person" }, field, "car")).toBe("person");
    // A template the dataset's categories say nothing about keeps the last one.
    expect(
      categoryForTemplate(
        KEYPOINT_TEMPLATES.find((t) => t.id === "face"),
        field,
        "car",
      ),
    ).toBe("car");
  });

  it("new skeleton does not take the last used category: choosing the cow template sets cow", () => {
    createRoot((dispose) => {
      const settings = canvasSettings({
        datasetId: `skeleton-${Math.random()}`,
        field,
        templates: KEYPOINT_TEMPLATES,
        controller: () => null,
        awareness: new Awareness(new Y.Doc()),
        onTool: () => undefined,
      });
      // The last shape drawn was a car box.
      settings.setTool("bbox");
      settings.setCategory("car");
      settings.setTool("keypoints");
      settings.setTemplate("cow");
      expect(settings.category()).toBe("cow");
      settings.setTemplate("person");
      expect(settings.category()).toBe("person");
      // Choosing a category by hand afterwards still wins for the next skeleton.
      settings.setCategory("car");
      expect(settings.category()).toBe("car");
      dispose();
    });
  });
});
