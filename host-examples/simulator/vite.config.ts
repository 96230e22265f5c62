import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The simulator is a static page: `vite build` writes it to dist/ with relative paths, so it can
// be served from any directory, offline (no CDN: everything, the .wasm included, is bundled).
export default defineConfig({
  base: "./",
  server: {
    // The built-in example lives in the core crate (src/example/); the page imports it from there.
    fs: { allow: [fileURLToPath(new URL("../..", import.meta.url))] },
  },
  // Pre-bundling would move the package's JS away from its .wasm (which it finds through
  // `new URL(..., import.meta.url)`); serve it as it is.
  optimizeDeps: { exclude: ["tls-compliance"] },
  build: { target: "es2022", chunkSizeWarningLimit: 1024 },
});
