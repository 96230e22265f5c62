// The conformance corpus, the built-in example and a table of invalid inputs, through the npm
// package in Node: every answer must be the command line's, byte for byte.

import { test } from "node:test";
import assert from "node:assert/strict";

import * as api from "../pkg/node.mjs";
import { runCall } from "./run-call.mjs";
import { assertSameAsCli, corpusWithExpectations } from "./support.mjs";

const calls = corpusWithExpectations();

test("the corpus holds decisions, impact reports, diffs, reports and refusals", () => {
  const count = (fn) => calls.filter((c) => c.fn === fn).length;
  assert.ok(count("evaluate") >= 50, `only ${count("evaluate")} evaluate calls`);
  assert.ok(count("impact") >= 20 && count("diff") >= 20 && count("validateText") >= 5);
  assert.ok(calls.filter((c) => "thrown" in c.expected).length >= 50);
});

for (const call of calls) {
  test(`node: ${call.id}`, async () => {
    await assertSameAsCli(call, runCall(api, call.fn, call.args));
  });
}
