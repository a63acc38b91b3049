import { datasetSchemaOf, parseDatasetInfo, type DatasetSchema } from "../../src/index.js";

/** A dataset declaring every component table, with a custom `category` on entities. */
export function fullSchema(): DatasetSchema {
  const plain = (base: string) => ({ base, fields: {} });
  return datasetSchemaOf(
    parseDatasetInfo({
      id: "fuzz",
      name: "fuzz",
      workspace: "video",
      record: plain("Record"),
      entity: { base: "Entity", name: "Obj", fields: { category: { collection: false, type: "str", required: false, default: "" } } },
      entity_dynamic_state: plain("EntityDynamicState"),
      bbox: plain("BBox"),
      mask: plain("CompressedRLE"),
      keypoint: plain("KeyPoints"),
      tracklet: plain("Tracklet"),
      message: plain("Message"),
      multi_path: plain("MultiPath"),
      text_span: plain("TextSpan"),
      classification: plain("Classification"),
      relation: plain("Relation"),
      views: { image: plain("SequenceFrame") },
    }),
  );
}
