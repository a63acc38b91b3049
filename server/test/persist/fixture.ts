export { serverSide, type ServerSide } from "../../../storage/test/serverSide.js";
