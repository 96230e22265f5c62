// Shared helpers of the npm package's tests: where things are, the command line to compare with,
// the conformance corpus as calls, a static file server, and a headless Chromium.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const PKG = join(ROOT, "js/pkg");
export const CORPUS = join(ROOT, "tests/corpus");
export const ARTIFACTS = join(ROOT, "target/artifacts");

if (!existsSync(join(PKG, "package.json"))) {
  throw new Error("js/pkg is not built: run scripts/build-wasm.sh first");
}

/** The built command line: $TLS_COMPLIANCE_CLI, else target/release/tls-compliance. */
export const CLI = process.env.TLS_COMPLIANCE_CLI ?? join(ROOT, "target/release/tls-compliance");
if (!existsSync(CLI)) {
  throw new Error(`no command line at ${CLI}: build it (cargo build --release) or set TLS_COMPLIANCE_CLI`);
}

const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));

/** Text to hand to the command line as it is (not as a JSON value). */
export class Raw {
  constructor(text) {
    this.text = text;
  }
}

/**
 * Runs the command line with JSON arguments written to temporary files (a {@link Raw} as its
 * text), and returns its exit code and its stdout parsed (JSON.parse keeps the CLI's key order,
 * which is the contract's).
 */
export function cli(command, ...jsonArgs) {
  const dir = mkdtempSync(join(tmpdir(), "tls-compliance-cli-"));
  try {
    const files = jsonArgs.map((value, i) => {
      const file = join(dir, `arg${i}.json`);
      writeFileSync(file, value instanceof Raw ? value.text : JSON.stringify(value, null, 2));
      return file;
    });
    const run = spawnSync(CLI, [command, ...files], { encoding: "utf8" });
    if (run.error) throw run.error;
    return { status: run.status, stdout: run.stdout, json: JSON.parse(run.stdout) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What the npm package should return for a call, from the command line's answer: the output
 * itself, or, for invalid input, the error the package throws. A JS value has no line or column,
 * so those are dropped from the command line's errors (the text functions keep them).
 */
export function expectedFromCli(answer, { keepPositions = false } = {}) {
  const { status, json } = answer;
  if (status === 0) return { ok: json };
  if (json && typeof json === "object" && !Array.isArray(json) && "valid" in json) return { ok: json };
  if (json.error === "invalidPolicy" || json.error === "invalidScenario") {
    const errors = json.errors.map((e) => {
      if (keepPositions) return e;
      const { line, column, ...rest } = e;
      return rest;
    });
    return { thrown: { kind: json.error, errors } };
  }
  throw new Error(`unexpected command line answer (exit ${status}): ${JSON.stringify(json)}`);
}

/** Every policy file of the corpus and the built-in example, by a short name. */
function policyFiles() {
  const files = [];
  const add = (dir, label) => {
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
      files.push({ name: `${label}/${f}`, path: join(dir, f) });
    }
  };
  add(join(CORPUS, "policies"), "policies");
  add(join(CORPUS, "impact/policies"), "impact/policies");
  add(join(CORPUS, "diff/policies"), "diff/policies");
  files.push({ name: "src/example/policy.json", path: join(ROOT, "src/example/policy.json") });
  files.push({
    name: "shared-conformance/example-policy.json",
    path: join(CORPUS, "shared-conformance/example-policy.json"),
  });
  return files.filter((f) => existsSync(f.path));
}

/** Invalid input the corpus does not hold: each must fail the same way in every host. */
function badInputCalls(example, exampleScenarios) {
  const scenario = exampleScenarios[1];
  const badScenarios = [
    ["a scenario without direction", { recipients: ["a@b.example"], sender: "x@corp.example" }],
    ["a scenario with an unknown field", { ...scenario, priority: "high" }],
    ["a scenario with an unknown direction", { ...scenario, direction: "sideways" }],
    ["a recipient that is not an address", { ...scenario, recipients: ["bob"] }],
    ["a recipient with an empty local part", { ...scenario, recipients: ["@partner.example"] }],
    ["a recipient of the wrong type", { ...scenario, recipients: [42] }],
    ["an unknown field in a recipient", { ...scenario, recipients: [{ address: "a@b.example", urgent: true }] }],
    ["no recipients", { ...scenario, recipients: [] }],
    ["an outbound scenario without sender", { direction: "outbound", recipients: ["a@b.example"] }],
    ["an inbound scenario without from", { direction: "inbound", recipients: ["alice@corp.example"] }],
    ["a From: with two mailboxes", { direction: "inbound", from: "a@x.example, b@y.example", recipients: ["alice@corp.example"] }],
    ["a version that is a number", { ...scenario, connection: { tls: true, version: 1.2 } }],
    ["an unknown TLS version", { ...scenario, connection: { tls: true, version: "1.4" } }],
    ["tls false with a version", { ...scenario, connection: { tls: false, version: "1.2" } }],
    ["absent certificate with a hostname result", { ...scenario, connection: { tls: true, certificate: { trust: "absent", hostname: "match" } } }],
    ["an unknown certificate trust", { ...scenario, connection: { tls: true, certificate: { trust: "pinned" } } }],
    ["a scenario that is an array holding a bad one", [exampleScenarios[0], { ...scenario, recipients: ["nope"] }]],
    ["a scenario that is a string", "outbound"],
    ["a scenario that is null", null],
    ["a scenario that is a number", 7],
  ];
  const badPolicies = [
    ["a policy without version", { addressLists: [] }],
    ["a policy of version 2", { ...example, version: 2 }],
    ["a policy with an unknown field", { ...example, owner: "it" }],
    ["an unknown field in a setting", { version: 1, orgUnits: [{ path: "/", settings: [{ name: "A", strict: true }] }] }],
    ["an entry that is not an address or a domain", { version: 1, addressLists: [{ name: "L", entries: ["a@b@c", "ok.example"] }] }],
    ["a wildcard in the middle", { version: 1, addressLists: [{ name: "L", entries: ["a.*.example"] }] }],
    ["a setting naming an unknown list", { version: 1, orgUnits: [{ path: "/", settings: [{ name: "A", messages: ["outbound"], addressLists: ["Nope"] }] }] }],
    ["an org unit path without a leading slash", { version: 1, orgUnits: [{ path: "Sales" }] }],
    ["two lists of one name", { version: 1, addressLists: [{ name: "L" }, { name: "L" }] }],
    ["two settings of one name in one unit", { version: 1, orgUnits: [{ path: "/", settings: [{ name: "A" }, { name: "A" }] }] }],
    ["a member that is not an address", { version: 1, members: { "not-an-address": "/Sales" } }],
    ["an unknown message kind", { version: 1, orgUnits: [{ path: "/", settings: [{ name: "A", messages: ["sideways"] }] }] }],
    ["a minimum TLS version that is a number", { version: 1, orgUnits: [{ path: "/", settings: [{ name: "A", minTlsVersion: 1.2 }] }] }],
    ["entries that are not an array", { version: 1, addressLists: [{ name: "L", entries: "a.example" }] }],
    ["a policy that is an array", [example]],
    ["a policy that is a string", "policy"],
    ["a policy that is null", null],
  ];
  const calls = [];
  for (const [name, bad] of badScenarios) {
    calls.push({ id: `bad scenario: ${name}`, fn: "evaluate", args: [example, bad], cliArgs: ["eval", example, bad] });
    calls.push({ id: `bad scenario in impact: ${name}`, fn: "impact", args: [example, example, bad], cliArgs: ["impact", example, example, bad] });
  }
  for (const [name, bad] of badPolicies) {
    calls.push({ id: `bad policy: ${name}`, fn: "evaluate", args: [bad, scenario], cliArgs: ["eval", bad, scenario] });
    calls.push({ id: `bad policy in diff (after): ${name}`, fn: "diff", args: [example, bad], cliArgs: ["diff", example, bad] });
    calls.push({ id: `validate: ${name}`, fn: "validate", args: [bad], cliArgs: ["check", bad], ignorePositions: true });
  }
  return calls;
}

/**
 * The conformance corpus and the built-in example as calls of the npm package, each with the
 * arguments for the same command of the command line. `fn` names a package export; `evaluate`
 * calls are also made through a compiled handle by the tests.
 */
export function corpusCalls() {
  const calls = [];
  const policyIn = (dir) => (ref) => (typeof ref === "string" ? readJson(join(dir, ref)) : ref);

  const casesDir = join(CORPUS, "cases");
  if (existsSync(casesDir)) {
    const policy = policyIn(join(CORPUS, "policies"));
    for (const file of readdirSync(casesDir).filter((f) => f.endsWith(".json")).sort()) {
      for (const c of readJson(join(casesDir, file))) {
        const doc = policy(c.policy);
        calls.push({ id: `cases/${file}: ${c.name}`, fn: "evaluate", args: [doc, c.scenario], cliArgs: ["eval", doc, c.scenario] });
      }
    }
  }
  const shared = join(CORPUS, "shared-conformance/examples.json");
  if (existsSync(shared)) {
    const policy = policyIn(join(CORPUS, "shared-conformance"));
    for (const c of readJson(shared)) {
      const doc = policy(c.policy);
      calls.push({ id: `shared-conformance: ${c.name}`, fn: "evaluate", args: [doc, c.scenario], cliArgs: ["eval", doc, c.scenario] });
    }
  }
  const impactCases = join(CORPUS, "impact/cases.json");
  if (existsSync(impactCases)) {
    const policy = policyIn(join(CORPUS, "impact/policies"));
    for (const c of readJson(impactCases)) {
      const [before, after] = [policy(c.before), policy(c.after)];
      calls.push({ id: `impact: ${c.name}`, fn: "impact", args: [before, after, c.scenarios], cliArgs: ["impact", before, after, c.scenarios] });
    }
  }
  const diffCases = join(CORPUS, "diff/cases.json");
  if (existsSync(diffCases)) {
    const policy = policyIn(join(CORPUS, "diff/policies"));
    for (const c of readJson(diffCases)) {
      const [before, after] = [policy(c.before), policy(c.after)];
      calls.push({ id: `diff: ${c.name}`, fn: "diff", args: [before, after], cliArgs: ["diff", before, after] });
    }
  }

  const example = readJson(join(ROOT, "src/example/policy.json"));
  const exampleScenarios = readJson(join(ROOT, "src/example/scenarios.json"));
  calls.push({ id: "src/example: every scenario, as one array", fn: "evaluate", args: [example, exampleScenarios], cliArgs: ["eval", example, exampleScenarios] });
  exampleScenarios.forEach((s, i) => {
    calls.push({ id: `src/example: scenario ${i} (${s.name})`, fn: "evaluate", args: [example, s], cliArgs: ["eval", example, s] });
  });

  // Every policy as text, as an editor has it: the same report as `check`, positions included.
  for (const { name, path } of policyFiles()) {
    const text = readFileSync(path, "utf8");
    calls.push({ id: `validateText: ${name}`, fn: "validateText", args: [text], cliArgs: ["check", new Raw(text)], keepPositions: true });
    const doc = JSON.parse(text);
    calls.push({ id: `validate: ${name}`, fn: "validate", args: [doc], cliArgs: ["check", doc], ignorePositions: true });
  }

  calls.push(...badInputCalls(example, exampleScenarios));
  return calls;
}

/** Drops `line` and `column` from every diagnostic of a validation report. */
export function withoutPositions(report) {
  const strip = (list) => list.map(({ line, column, ...rest }) => rest);
  return { ...report, errors: strip(report.errors), warnings: strip(report.warnings) };
}

/**
 * The calls with what the command line answers for each, ready to compare with the package's
 * answers (`{ ok }` or `{ thrown: { kind, errors } }`).
 */
export function corpusWithExpectations() {
  return corpusCalls().map((call) => {
    const answer = cli(...call.cliArgs);
    let expected = expectedFromCli(answer, { keepPositions: call.keepPositions });
    if (call.ignorePositions && expected.ok) expected = { ok: withoutPositions(expected.ok) };
    return { ...call, expected };
  });
}

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/**
 * Serves files on 127.0.0.1 from `mounts` (URL prefix → directory), longest prefix first, and
 * `pages` (exact URL path → content). Resolves to `{ url, close }`.
 */
export function serveStatic(mounts, pages = {}) {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path === "/favicon.ico" && !(path in pages)) {
      res.writeHead(204);
      res.end();
      return;
    }
    if (path in pages) {
      res.writeHead(200, { "content-type": MIME[extname(path) || ".html"] ?? MIME[".html"] });
      res.end(pages[path]);
      return;
    }
    const prefix = prefixes.find((p) => path.startsWith(p));
    if (prefix !== undefined) {
      const base = resolve(mounts[prefix]);
      let file = resolve(base, "." + sep + path.slice(prefix.length));
      if (file.startsWith(base) && existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
      if (file.startsWith(base) && existsSync(file) && statSync(file).isFile()) {
        res.writeHead(200, { "content-type": MIME[extname(file)] ?? "application/octet-stream" });
        res.end(readFileSync(file));
        return;
      }
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
  });
  return new Promise((resolveServer) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolveServer({ url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

/** Chromium's executable: $CHROMIUM, else Debian's. */
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/**
 * Starts Debian's Chromium, headless, through playwright-core (which never downloads a browser),
 * with a fresh profile directory. Resolves to `{ context, close }`.
 */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "tls-compliance-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1440, height: 1000 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Asserts that an outcome from {@link runCall} (its JSON text) is what the command line answered:
 * the same JSON, compared deeply and byte for byte after `JSON.stringify` (the command line's key
 * order is the contract's), or the same thrown error: a JS `Error` named `TlsComplianceError`
 * with the same `kind` and the same `errors`.
 */
export async function assertSameAsCli(call, outcomeText) {
  const assert = (await import("node:assert/strict")).default;
  const outcome = JSON.parse(outcomeText);
  const check = (got, how) => {
    if ("ok" in call.expected) {
      assert.ok("ok" in got, `${how} threw ${JSON.stringify(got.thrown)}; the command line answered ${JSON.stringify(call.expected.ok)}`);
      assert.deepStrictEqual(got.ok, call.expected.ok, `${how}: not the command line's answer`);
      assert.equal(JSON.stringify(got.ok), JSON.stringify(call.expected.ok), `${how}: not byte-equal`);
    } else {
      assert.ok("thrown" in got, `${how} returned ${JSON.stringify(got.ok)}; the command line refused the input`);
      const t = got.thrown;
      assert.equal(t.isError, true, `${how}: threw something that is not an Error`);
      assert.equal(t.name, "TlsComplianceError");
      assert.equal(t.kind, call.expected.thrown.kind, `${how}: kind`);
      assert.ok(t.errors.length > 0, `${how}: no errors`);
      assert.deepStrictEqual(t.errors, call.expected.thrown.errors, `${how}: errors`);
      assert.equal(JSON.stringify(t.errors), JSON.stringify(call.expected.thrown.errors), `${how}: errors not byte-equal`);
    }
  };
  check(outcome, call.fn);
  if (outcome.viaHandle) check(outcome.viaHandle, "compile(doc).evaluate");
}
