import { datasetSchemaOf, parseDatasetInfo, type DatasetInfo, type DatasetSchema } from "../../src/index.js";

const plain = (base: string) => ({ base, fields: {} });

/** The `info.json` of a dataset declaring every component table, with a custom `category` on entities. */
export function fullInfo(id = "fuzz"): DatasetInfo {
  return parseDatasetInfo({
    id,
    name: id,
    description: "",
    size: "Unknown",
    preview: "",
    workspace: "video",
    storage_mode: "mixed",
    record: plain("Record"),
    entity: {
      base: "Entity",
      name: "Obj",
      fields: { category: { collection: false, type: "str", required: false, default: "" } },
    },
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
  });
}

export function fullSchema(): DatasetSchema {
  return datasetSchemaOf(fullInfo());
}
