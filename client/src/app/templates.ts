import type { KeypointTemplate } from "../canvas/types.js";

/**
 * Keypoint templates offered by the keypoints tool. `face` and `person` keep the ids, point order
 * and edges of Pixano's UI templates, so keypoints drawn here match rows Pixano wrote (the demo's
 * people use `person`); `cow` is a quadruped skeleton of our own.
 */
export const KEYPOINT_TEMPLATES: readonly KeypointTemplate[] = [
  {
    id: "person",
    labels: ["head", "middle", "left arm", "right arm", "belly", "left foot", "right foot"],
    edges: [
      [0, 1],
      [1, 2],
      [1, 3],
      [1, 4],
      [4, 5],
      [4, 6],
    ],
    layout: [
      [0.5, 0.1],
      [0.5, 0.4],
      [0.3, 0.4],
      [0.7, 0.4],
      [0.5, 0.7],
      [0.3, 0.9],
      [0.7, 0.9],
    ],
  },
  {
    id: "face",
    labels: ["eye left", "eye right", "nose", "mouth"],
    edges: [
      [0, 2],
      [1, 2],
      [2, 3],
    ],
    layout: [
      [0.3, 0.25],
      [0.6, 0.25],
      [0.45, 0.45],
      [0.45, 0.75],
    ],
  },
  {
    id: "cow",
    labels: [
      "head",
      "withers",
      "rump",
      "tail",
      "front left hoof",
      "front right hoof",
      "hind left hoof",
      "hind right hoof",
    ],
    edges: [
      [0, 1],
      [1, 2],
      [2, 3],
      [1, 4],
      [1, 5],
      [2, 6],
      [2, 7],
    ],
    layout: [
      [0.08, 0.3],
      [0.3, 0.3],
      [0.8, 0.32],
      [0.95, 0.45],
      [0.28, 0.95],
      [0.36, 0.95],
      [0.75, 0.95],
      [0.83, 0.95],
    ],
  },
];
