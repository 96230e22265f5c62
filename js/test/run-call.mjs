// Runs one call of the npm package and describes its outcome as JSON text, in whichever engine it
// runs (Node, or Chromium, where the page imports this same file). The text is made where the call
// ran, so that a comparison with the command line's JSON is byte for byte.

/** What a thrown value looks like, as data. */
function describeThrown(e) {
  return {
    isError: e instanceof Error,
    name: e?.name,
    kind: e?.kind,
    input: e?.input,
    errors: e?.errors,
    message: e?.message,
  };
}

/**
 * Calls `api[fn](...args)` and returns `{ ok }` or `{ thrown }` as JSON text. For `evaluate`, also
 * decides through a compiled handle (`compile(doc).evaluate(scenario)`) and returns that outcome
 * as `viaHandle`: both forms must answer the same.
 */
export function runCall(api, fn, args) {
  const outcome = (f) => {
    try {
      return { ok: f() };
    } catch (e) {
      return { thrown: describeThrown(e) };
    }
  };
  const result = outcome(() => api[fn](...args));
  if (fn === "evaluate") {
    let handle;
    result.viaHandle = outcome(() => {
      handle = api.compile(args[0]);
      return handle.evaluate(args[1]);
    });
    handle?.free();
  }
  return JSON.stringify(result);
}
