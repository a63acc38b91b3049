import type { Row } from "@tessera/shared-crdt";
import { bboxCoords } from "./annotate.js";
import {
  commentFor,
  customManifest,
  emptyFeaturesValues,
  mapLimit,
  onStillImage,
  pickStatus,
  plain,
  provenance,
  push,
  recordTimes,
  type DemoContext,
  type DemoPlan,
} from "./plan.js";
import type { Prng } from "@tessera/shared-crdt";
import { embeddedImageRow, renderSvg } from "./render.js";
import { makeScene, sceneSvg, WEATHERS, type Scene } from "./scene.js";
import { CATEGORIES, type Category } from "./shapes.js";

/**
 * `demo_vqa`: images with question/answer conversations in every question type Pixano knows.
 * Answers to choice questions use the UI's encoding, `[[A,C]] explanation` (letters = 0-based
 * choice index + 'A'). Numbering follows Pixano 0.8: a question and its answers share a number,
 * the SYSTEM prompt is 0. Records still in progress have unanswered questions left.
 */
const VQA_DATASET_ID = "demo_vqa";

export interface VqaDatasetOptions {
  readonly records: number;
}

const letters = (indexes: readonly number[]) => indexes.map((i) => String.fromCharCode(65 + i)).join(",");

function shuffled<T>(items: readonly T[], rng: Prng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

interface Turn {
  readonly questionType:
    "OPEN" | "SINGLE_CHOICE" | "SINGLE_CHOICE_EXPLANATION" | "MULTI_CHOICE" | "MULTI_CHOICE_EXPLANATION";
  readonly question: string;
  readonly choices: string[];
  readonly answer: string;
  readonly entityIds: string[];
}

const WEATHER_WHY: Record<(typeof WEATHERS)[number], string> = {
  sunny: "The sky is clear and blue.",
  cloudy: "Grey clouds cover the sky.",
  rainy: "Rain streaks cross the whole picture.",
  foggy: "Everything is washed out by a white haze.",
  snowy: "The ground is white and snowflakes fall.",
};

function turnsFor(scene: Scene, entityIds: readonly string[], rng: Prng): Turn[] {
  const turns: Turn[] = [];
  const labels = scene.objects.map((o) => o.label);
  turns.push({
    questionType: "OPEN",
    question: "How many objects can you see in this picture?",
    choices: [],
    answer: `${labels.length}: ${labels.join(", ")}.`,
    entityIds: [...entityIds],
  });
  const weathers = shuffled(WEATHERS, rng).slice(0, 4);
  if (!weathers.includes(scene.weather)) weathers[rng.int(0, 3)] = scene.weather;
  const explained = rng.chance(0.5);
  const w = weathers.indexOf(scene.weather);
  turns.push({
    questionType: explained ? "SINGLE_CHOICE_EXPLANATION" : "SINGLE_CHOICE",
    question: "What is the weather like?",
    choices: weathers,
    answer: `[[${letters([w])}]]${explained ? ` ${WEATHER_WHY[scene.weather]}` : ""}`,
    entityIds: [],
  });
  const present = new Set<Category>(scene.objects.map((o) => o.category));
  const options = shuffled(CATEGORIES, rng).slice(0, 4);
  const right = options.map((c, i) => (present.has(c) ? i : -1)).filter((i) => i >= 0);
  const multiExplained = rng.chance(0.5);
  turns.push({
    questionType: multiExplained ? "MULTI_CHOICE_EXPLANATION" : "MULTI_CHOICE",
    question: "Which of these appear in the image?",
    choices: options,
    // No right option is answered with empty brackets, as the UI does with nothing ticked.
    answer: `[[${letters(right)}]]${multiExplained ? ` I can see ${[...present].join(" and ")}.` : ""}`,
    entityIds: scene.objects
      .flatMap((o, k) => (options.includes(o.category) ? [entityIds[k] ?? ""] : []))
      .filter((id) => id !== ""),
  });
  const k = rng.int(0, scene.objects.length - 1);
  const object = scene.objects[k];
  if (object && object.category !== "tree") {
    const colour =
      object.label
        .split(" ")
        .filter((word) => !["car", "house", "balloon", "sign", "person", "in"].includes(word))[0] ?? "";
    turns.push({
      questionType: "OPEN",
      question: `What colour is the ${object.category === "person" ? "person's clothing" : object.category}?`,
      choices: [],
      answer: colour ? `It is ${colour}.` : "I cannot tell.",
      entityIds: [entityIds[k] ?? ""].filter((id) => id !== ""),
    });
  }
  return turns;
}

export async function buildVqaDataset(ctx: DemoContext, options: VqaDatasetOptions): Promise<DemoPlan> {
  const rng = ctx.rng;
  const rows: DemoPlan["rows"] = {};
  const scenes: Scene[] = [];
  for (let i = 0; i < options.records; i++) {
    scenes.push(makeScene(rng, { categories: shuffled(CATEGORIES, rng).slice(0, rng.int(2, 4)) }));
  }
  const size = { width: scenes[0]?.width ?? 320, height: scenes[0]?.height ?? 240 };
  scenes.forEach((scene, i) => {
    const recordId = `vqa_${String(i + 1).padStart(3, "0")}`;
    const viewId = `${recordId}_image`;
    const status = pickStatus(rng);
    push(rows, "records", {
      id: recordId,
      split: i % 5 === 4 ? "val" : "train",
      ...recordTimes(ctx, i, options.records, status),
      status,
      comment: commentFor(status, rng),
    });
    const who = provenance(status === "validated" ? "ground_truth" : "human");
    const entityIds = scene.objects.map((object, k) => {
      const entityId = `${recordId}_obj${k + 1}`;
      push(rows, "entities", { id: entityId, record_id: recordId, parent_id: "", category: object.category });
      const bbox: Row = {
        id: `${entityId}_bbox`,
        record_id: recordId,
        entity_id: entityId,
        ...who,
        ...onStillImage(viewId),
        coords: bboxCoords(object, size),
        format: "xywh",
        is_normalized: true,
        confidence: 1,
      };
      push(rows, "bboxes", bbox);
      return entityId;
    });
    const conversationId = `${recordId}_conv1`;
    const message = (n: number, type: string, suffix: string, fields: Partial<Row>): Row => ({
      id: `${conversationId}_${String(n).padStart(2, "0")}${suffix}`,
      record_id: recordId,
      entity_ids: [],
      ...who,
      view_id: "",
      conversation_id: conversationId,
      number: n,
      user: "user",
      type,
      content: "",
      choices: [],
      question_type: "",
      ...fields,
    });
    if (i % 3 === 0) {
      push(
        rows,
        "messages",
        message(0, "SYSTEM", "_system", {
          content: "You are a careful visual assistant. Answer from the picture only.",
        }),
      );
    }
    const turns = turnsFor(scene, entityIds, rng);
    // In-progress work leaves the last questions unanswered.
    const answered = status === "new" ? 0 : status === "inProgress" ? rng.int(1, turns.length - 1) : turns.length;
    turns.forEach((turn, n) => {
      push(
        rows,
        "messages",
        message(n, "QUESTION", "_q", {
          entity_ids: turn.entityIds,
          view_id: viewId,
          content: turn.question,
          choices: turn.choices,
          question_type: turn.questionType,
        }),
      );
      if (n < answered)
        push(rows, "messages", message(n, "ANSWER", "_a", { entity_ids: turn.entityIds, content: turn.answer }));
    });
  });

  const rendered = await mapLimit(scenes, 4, (scene) => renderSvg(sceneSvg(scene), "JPEG"));
  rendered.forEach((img, i) => push(rows, "images", embeddedImageRow(`vqa_${String(i + 1).padStart(3, "0")}`, img)));
  const featuresValues = emptyFeaturesValues();
  featuresValues.entities.entities = [{ name: "category", restricted: true, values: [...CATEGORIES] }];
  return {
    info: {
      id: VQA_DATASET_ID,
      name: "demo_vqa",
      description:
        "Synthetic scenes with conversations: open, single-choice and multi-choice questions, answered and pending.",
      workspace: "image_vqa",
      slots: {
        record: plain("Record"),
        entity: customManifest("Entity", "DemoObject", ["category"]),
        bbox: plain("BBox"),
        message: plain("Message"),
      },
      views: { image: plain("Image") },
    },
    featuresValues,
    rows,
    mosaic: rendered.slice(0, 4).map((r) => r.bytes),
  };
}
