// Node, ESM: the `nodejs` build instantiates the .wasm synchronously when it is first imported,
// so `init` has nothing left to do. It exists so that one `await init()` works everywhere.
export * from "./node/tls_compliance.js";

/** Resolves at once: the module is already loaded. */
export default async function init() {}

/** Does nothing: the module is already loaded. */
export function initSync() {}
