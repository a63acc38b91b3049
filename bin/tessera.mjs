#!/usr/bin/env node
// Launcher of the `tessera` CLI: registers tsx's ESM loader, then runs the TypeScript entry point
// directly (no build step), so `npx tessera …` works from a checkout.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../server/src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
