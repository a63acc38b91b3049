import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

/**
 * The web client: built into `client/dist`, which the server serves at `/` (`npm start` builds it
 * when its sources are newer). `npm run dev -w client` proxies the API, the sync endpoint and the
 * live channel to a server on 127.0.0.1:7492.
 */
const api = process.env.TESSERA_API ?? "http://127.0.0.1:7492";

export default defineConfig({
  root: import.meta.dirname,
  plugins: [solid()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 2000,
    sourcemap: false,
  },
  server: {
    host: "127.0.0.1",
    proxy: {
      "/datasets": api,
      "/media": api,
      "/auth": api,
      "/health": api,
      "/sync": { target: api.replace(/^http/, "ws"), ws: true },
      "/socket.io": { target: api, ws: true },
    },
  },
});
