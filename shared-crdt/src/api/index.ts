export * from "./rest.js";
