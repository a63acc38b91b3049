export * from "./rest.js";
export * from "./responses.js";
