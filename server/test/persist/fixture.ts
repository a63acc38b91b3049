export { info, rows, serverSide, type ServerSide } from "../../../storage/test/serverSide.js";
