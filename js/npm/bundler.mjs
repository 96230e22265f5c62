// Bundlers with WebAssembly ESM integration (webpack `asyncWebAssembly`, Vite with a wasm plugin):
// the bundler instantiates the .wasm, so `init` has nothing left to do. Browsers and bundlers that
// honour the `browser` condition (Vite, webpack, esbuild, Rollup) get the `web` build instead.
export * from "./bundler/tls_compliance.js";

/** Resolves at once: the bundler has loaded the module. */
export default async function init() {}

/** Does nothing: the bundler has loaded the module. */
export function initSync() {}
