export { info, rows, serverSide, type ServerSide } from "../../../dataset/test/state/serverSide.js";
