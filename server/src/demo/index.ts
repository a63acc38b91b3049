/** The demo library `npm start` creates on first run (see `createDemoLibrary`). */
export { createDemoLibrary, type DemoReport } from "./createDemoLibrary.js";
