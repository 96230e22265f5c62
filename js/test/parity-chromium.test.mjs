// The conformance corpus, the built-in example and the table of invalid inputs, through the npm
// package's browser build (`web`, ESM with init) in real Chromium: every answer must be the
// command line's, byte for byte. The page imports the same run-call.mjs as the Node test, so the
// JSON text compared is made by Chromium's own JSON.stringify.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";

import { ROOT, PKG, assertSameAsCli, corpusWithExpectations, launchChromium, serveStatic } from "./support.mjs";

const calls = corpusWithExpectations();

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>tls-compliance parity</title>
<script type="module">
  import init, * as api from "/pkg/web/tls_compliance.js";
  import { runCall } from "/test/run-call.mjs";
  await init();
  window.runAll = (calls) => calls.map((c) => runCall(api, c.fn, c.args));
  document.title = "ready";
</script>`;

let server;
let browser;
let outcomes;
const pageErrors = [];

before(async () => {
  server = await serveStatic({ "/pkg/": PKG, "/test/": join(ROOT, "js/test") }, { "/": PAGE });
  browser = await launchChromium();
  const page = await browser.context.newPage();
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && pageErrors.push(m.text()));
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => document.title === "ready", null, { timeout: 30_000 });
  outcomes = await page.evaluate((cs) => window.runAll(cs), calls.map(({ fn, args }) => ({ fn, args })));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test("the page loaded the package in Chromium without errors", () => {
  assert.equal(outcomes.length, calls.length);
  assert.deepEqual(pageErrors, []);
});

calls.forEach((call, i) => {
  test(`chromium: ${call.id}`, async () => {
    await assertSameAsCli(call, outcomes[i]);
  });
});
