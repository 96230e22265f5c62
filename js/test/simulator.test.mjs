// The policy simulator end to end, in real Chromium driven by playwright-core, against the built
// page (host-examples/simulator/dist) served on 127.0.0.1: it loads the example, a policy edit is
// typed into the editor, a scenario is built with the form and saved, the decision shown must be
// the command line's for the same input, and a broken policy must show its error marker at the
// line the command line names. Screenshots go to target/artifacts/.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { ARTIFACTS, ROOT, Raw, cli, launchChromium, serveStatic } from "./support.mjs";

const DIST = join(ROOT, "host-examples/simulator/dist");
if (!existsSync(join(DIST, "index.html"))) {
  throw new Error("the simulator is not built: run scripts/build-simulator.sh first");
}

const exampleText = readFileSync(join(ROOT, "src/example/policy.json"), "utf8");
const example = JSON.parse(exampleText);
const scenarios = JSON.parse(readFileSync(join(ROOT, "src/example/scenarios.json"), "utf8"));

// The edit: the partner setting now asks for TLS 1.3.
const editedText = exampleText.replace('"minTlsVersion": "1.2"', '"minTlsVersion": "1.3"');
const edited = JSON.parse(editedText);

let server;
let browser;
let page;
const pageErrors = [];

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await serveStatic({ "/": DIST });
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && pageErrors.push(m.text()));
  await page.goto(`${server.url}/`);
  await settled();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Waits until the page has taken in the last edit. */
async function settled() {
  await page.waitForFunction(() => document.body.dataset.ready === "true", null, { timeout: 30_000 });
}

/** Replaces the editor's text the way a person would: focus, select all, type. */
async function typePolicy(text) {
  await page.click(".cm-content");
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText(text);
  await page.waitForFunction(() => document.body.dataset.ready === "false", null, { timeout: 5_000 }).catch(() => {});
  await settled();
}

const savedRows = () =>
  page.$$eval('[data-testid="saved-table"] tbody tr', (rows) =>
    rows.map((r) => ({ name: r.querySelector("th").textContent, changed: r.dataset.changed === "true" })),
  );

/** The editor line (by the editor's own line numbers) where the first error marker sits. */
const errorMarkerLine = () =>
  page.evaluate(() => {
    const mark = document.querySelector(".cm-lintRange-error");
    if (!mark) return null;
    const top = mark.closest(".cm-line").getBoundingClientRect().top;
    let best = null;
    for (const g of document.querySelectorAll(".cm-lineNumbers .cm-gutterElement")) {
      const d = Math.abs(g.getBoundingClientRect().top - top);
      if (g.textContent && (!best || d < best.d)) best = { d, n: Number(g.textContent) };
    }
    return best?.n ?? null;
  });

test("the page loads the built-in example policy and scenarios", async () => {
  assert.equal(await page.title(), "TLS compliance policy simulator");
  const check = cli("check", new Raw(exampleText)).json;
  assert.equal(await page.textContent("#policy-status"), `Valid policy · ${check.warnings.length} warnings`);
  const problems = await page.$$eval("#problems li.problem", (items) => items.map((li) => [li.dataset.code, Number(li.dataset.line)]));
  assert.deepEqual(problems, check.warnings.map((w) => [w.code, w.line]));
  const units = await page.$$eval("[data-org-unit]", (items) => items.map((li) => li.dataset.orgUnit));
  assert.deepEqual(units, ["/", "/Finance", "/Finance/Audit", "/Operations"]);
  assert.deepEqual((await savedRows()).map((r) => r.name), scenarios.map((s) => s.name));
  assert.ok((await savedRows()).every((r) => !r.changed));
  // The builder starts with the first saved scenario, decided as the command line decides it.
  const shown = await page.textContent('[data-testid="decision-json"]');
  assert.equal(shown, JSON.stringify(cli("eval", example, scenarios[0]).json, null, 2));
  await page.screenshot({ path: join(ARTIFACTS, "simulator-1-loaded.png"), fullPage: true });
});

test("an edit typed into the policy highlights the saved scenarios it changes, with the audit-log diff", async () => {
  await typePolicy(editedText);
  assert.match(await page.textContent("#policy-status"), /^Valid policy/);
  const fromCli = cli("impact", example, edited, scenarios).json;
  const changedByCli = fromCli.scenarios.filter((s) => s.changes.length > 0 || s.transaction).map((s) => s.index);
  assert.ok(changedByCli.length > 0, "the edit should change something");
  const rows = await savedRows();
  assert.deepEqual(rows.map((r, i) => (r.changed ? i : -1)).filter((i) => i >= 0), changedByCli);
  const audit = await page.textContent('[data-testid="audit-log"]');
  const change = cli("diff", example, edited).json.changes[0];
  assert.equal(change.change, "settingChanged");
  assert.ok(audit.includes(change.setting) && audit.includes(change.field) && audit.includes("1.2 → 1.3"), audit);
});

test("a scenario built with the form is decided as the command line decides it, and saved", async () => {
  await page.getByRole("button", { name: "New scenario" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Alice to the bank and a routed desk over self-signed TLS 1.2");
  await page.getByLabel("Sender (MAIL FROM)").fill("alice@corp.example");
  await page.getByLabel("Recipient 1", { exact: true }).fill("ceo@bank.example");
  await page.getByRole("button", { name: "Add recipient" }).click();
  await page.keyboard.type("desk@routed.example");
  await page.locator("#recipient-1-secure").check();
  await page.getByLabel("TLS", { exact: true }).selectOption("on");
  await page.getByLabel("Version").selectOption("1.2");
  await page.getByLabel("Certificate trust").selectOption("self-signed");
  await page.getByLabel("Certificate hostname").selectOption("match");

  const scenario = {
    name: "Alice to the bank and a routed desk over self-signed TLS 1.2",
    direction: "outbound",
    sender: "alice@corp.example",
    recipients: ["ceo@bank.example", { address: "desk@routed.example", secureTransportRequired: true }],
    connection: { tls: true, version: "1.2", certificate: { trust: "self-signed", hostname: "match" } },
  };
  assert.equal(await page.textContent('[data-testid="scenario-json"]'), JSON.stringify(scenario, null, 2));
  const decision = cli("eval", edited, scenario).json;
  assert.equal(await page.textContent('[data-testid="decision-json"]'), JSON.stringify(decision, null, 2));
  assert.equal((await page.textContent('[data-testid="transaction-verdict"]')).trim(), decision.transaction.verdict);
  const verdicts = await page.$$eval('[data-testid="decision-table"] tbody tr', (rows) => rows.map((r) => r.querySelector(".badge").textContent));
  assert.deepEqual(verdicts, decision.recipients.map((r) => r.verdict));

  await page.getByRole("button", { name: "Save scenario" }).click();
  const rows = await savedRows();
  assert.equal(rows.length, scenarios.length + 1);
  assert.equal(rows.at(-1).name, scenario.name);
  const changedByCli = cli("impact", example, edited, scenario).json.changedScenarios === 1;
  assert.equal(rows.at(-1).changed, changedByCli);
  await page.screenshot({ path: join(ARTIFACTS, "simulator-2-edited.png"), fullPage: true });
});

test("a saved scenario loads into the builder from the keyboard", async () => {
  await page.getByRole("button", { name: "Load scenario 4 into the builder" }).focus();
  await page.keyboard.press("Enter");
  assert.equal(await page.inputValue("#scenario-from"), scenarios[3].from);
  assert.equal(await page.textContent('[data-testid="decision-json"]'), JSON.stringify(cli("eval", edited, scenarios[3]).json, null, 2));
});

test("a policy naming an unknown list shows the error marker at the line the command line names", async () => {
  const broken = editedText.replace('"addressLists": ["Partners"]', '"addressLists": ["Partnerz"]');
  const expected = cli("check", new Raw(broken)).json.errors;
  assert.equal(expected.length, 1);
  assert.equal(expected[0].code, "unknown-address-list");
  await typePolicy(broken);
  assert.match(await page.textContent("#policy-status"), /^1 error/);
  const problem = page.locator('#problems li.problem.error[data-code="unknown-address-list"]');
  assert.equal(await problem.getAttribute("data-line"), String(expected[0].line));
  assert.match(await problem.textContent(), new RegExp(`line ${expected[0].line}, column ${expected[0].column}`));
  await problem.locator("button").click();
  assert.equal(await errorMarkerLine(), expected[0].line);
  assert.equal((await page.textContent(".cm-lintRange-error")).trim(), '"Partnerz"');
  assert.equal(await page.isVisible("#stale-tree"), true);
  await page.screenshot({ path: join(ARTIFACTS, "simulator-3-error.png"), fullPage: false });
});

test("a policy that is not JSON shows the syntax error at the line the command line names", async () => {
  const broken = editedText.replace('"version": 1,', '"version": 1');
  const expected = cli("check", new Raw(broken)).json.errors;
  assert.equal(expected[0].code, "invalid-json");
  await typePolicy(broken);
  const problem = page.locator('#problems li.problem.error[data-code="invalid-json"]');
  assert.equal(await problem.getAttribute("data-line"), String(expected[0].line));
  await problem.locator("button").click();
  assert.equal(await errorMarkerLine(), expected[0].line);
  // Putting the text right again clears the markers.
  await typePolicy(editedText);
  assert.equal(await page.$(".cm-lintRange-error"), null);
  assert.match(await page.textContent("#policy-status"), /^Valid policy/);
});

test("every control is a native, labelled control and Tab reaches them in reading order", async () => {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("button, input, select, textarea, [contenteditable='true']")]
      .filter((el) => {
        if (el.matches("input, select, textarea")) return el.labels.length === 0 && !el.getAttribute("aria-label");
        if (el.matches("[contenteditable='true']")) return !el.getAttribute("aria-label");
        return !(el.getAttribute("aria-label") || el.textContent.trim());
      })
      .map((el) => el.outerHTML.slice(0, 80)),
  );
  assert.deepEqual(unlabelled, []);
  const clickableDivs = await page.evaluate(() => [...document.querySelectorAll("div[onclick], span[onclick], [role='button']")].length);
  assert.equal(clickableDivs, 0);

  // The first focusable element is the skip link; Tab on from there.
  await page.focus(".skip-link");
  const order = [];
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press("Tab");
    order.push(await page.evaluate(() => document.activeElement.id || document.activeElement.className || document.activeElement.tagName));
  }
  const at = (id) => order.indexOf(id);
  assert.ok(at("save-policy") >= 0 && at("save-policy") < at("revert-policy") && at("revert-policy") < at("load-example"), order.join(" "));
  const editor = order.findIndex((x) => String(x).includes("cm-content"));
  assert.ok(editor > at("load-example"), `the editor comes after the top bar: ${order.join(" ")}`);
  // Tab leaves the editor (it is not trapped there) and goes on to the problems and the form.
  assert.ok(order.slice(editor + 1).some((x) => x === "scenario-name" || String(x).includes("link")), order.join(" "));
});

test("the page logged no errors", () => {
  assert.deepEqual(pageErrors, []);
});
