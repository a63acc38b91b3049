import { defineConfig } from "vite";

/**
 * The render and video seek benchmark pages (`render.html`, `seek.html`), built apart from the app into `client/bench/dist`
 * and served by `vite preview` from `run.mjs`.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  logLevel: "warn",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 4000,
    rollupOptions: {
      input: { render: `${import.meta.dirname}/render.html`, seek: `${import.meta.dirname}/seek.html` },
    },
  },
  preview: { host: "127.0.0.1", strictPort: true },
});
