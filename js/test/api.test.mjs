// The npm package's behaviour beyond the corpus: the shapes it hands back, the handle's life, and
// what it does with input no corpus holds — every kind of wrong JS value must come back as a
// thrown `TlsComplianceError` (or a report, for the validate functions), never a WebAssembly trap,
// and the module must keep working afterwards.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

import init, * as api from "../pkg/node.mjs";
import { ROOT, cli } from "./support.mjs";

const example = JSON.parse(readFileSync(join(ROOT, "src/example/policy.json"), "utf8"));
const exampleText = readFileSync(join(ROOT, "src/example/policy.json"), "utf8");
const scenarios = JSON.parse(readFileSync(join(ROOT, "src/example/scenarios.json"), "utf8"));
const mismatch = scenarios[1];

/** Calls `f` and returns what it threw; fails when it returns. */
function thrown(f) {
  try {
    f();
  } catch (e) {
    return e;
  }
  assert.fail("expected a throw");
}

function assertTlsComplianceError(e, kind, input) {
  assert.ok(e instanceof Error, `not an Error: ${e}`);
  assert.ok(!(e instanceof WebAssembly.RuntimeError), "a WebAssembly trap");
  assert.equal(e.name, "TlsComplianceError");
  assert.equal(e.kind, kind);
  assert.equal(e.input, input);
  assert.ok(Array.isArray(e.errors) && e.errors.length > 0, "no errors");
  for (const error of e.errors) {
    assert.equal(typeof error.code, "string");
    assert.equal(typeof error.message, "string");
    assert.equal(typeof error.pointer, "string");
  }
}

/** Walks a value and asserts it is JSON data made of plain objects and arrays. */
function assertPlainData(value, path = "") {
  if (value === null || ["string", "number", "boolean"].includes(typeof value)) return;
  assert.notEqual(value, undefined, `undefined at ${path}`);
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertPlainData(v, `${path}/${i}`));
    return;
  }
  assert.equal(Object.getPrototypeOf(value), Object.prototype, `not a plain object at ${path}`);
  for (const [k, v] of Object.entries(value)) assertPlainData(v, `${path}/${k}`);
}

test("init and initSync are harmless in Node, however often they are called", async () => {
  await init();
  await init();
  api.initSync();
  assert.equal(api.evaluate(example, mismatch).transaction.verdict, "bounce");
});

test("the CommonJS entry exposes the same functions as the ESM entry", () => {
  const cjs = createRequire(import.meta.url)("../pkg/node.cjs");
  assert.deepEqual(Object.keys(cjs).sort(), Object.keys(api).sort());
  assert.deepEqual(cjs.evaluate(example, mismatch), api.evaluate(example, mismatch));
});

test("answers are plain objects and arrays, with null for what is absent", () => {
  const policy = api.compile(example);
  const answers = [
    api.evaluate(example, scenarios),
    policy.evaluate(mismatch),
    policy.lint(),
    policy.orgUnits(),
    policy.effectiveSettings("/Finance/Audit"),
    api.validate(example),
    api.validateText(exampleText),
    api.impact(example, { ...example, members: {} }, scenarios),
    api.diff(example, { ...example, members: {} }),
  ];
  for (const answer of answers) assertPlainData(answer);
  const delivered = policy.evaluate(mismatch).recipients[1];
  assert.equal(delivered.requirement, null);
  assert.equal(delivered.status, null);
  assert.equal(delivered.reply, null);
  policy.free();
});

test("a compiled handle decides like the one-shot function, one scenario or an array", () => {
  const policy = api.compile(example);
  assert.equal(policy.entryCount, 6);
  for (const s of scenarios) assert.deepEqual(policy.evaluate(s), api.evaluate(example, s));
  assert.deepEqual(policy.evaluate(scenarios), api.evaluate(example, scenarios));
  assert.deepEqual(policy.lint(), api.validate(example).warnings);
  policy.free();
});

test("compileText refuses invalid text with line and column in every error", () => {
  const broken = exampleText.replace('"Partners"]', '"Partnerz"]');
  const e = thrown(() => api.compileText(broken));
  assertTlsComplianceError(e, "invalidPolicy", "policy");
  assert.equal(e.errors[0].code, "unknown-address-list");
  const line = broken.split("\n").findIndex((l) => l.includes('"Partnerz"')) + 1;
  assert.equal(e.errors[0].line, line);
  assert.equal(typeof e.errors[0].column, "number");
  // The same errors as the command line's `eval` for that file.
  const fromCli = cli("eval", example, mismatch);
  assert.equal(fromCli.status, 0);
  const handle = api.compileText(exampleText);
  assert.deepEqual(handle.evaluate(mismatch), fromCli.json);
  handle.free();
});

test("the org-unit tree shows inherited, local and overriding settings with their defaults", () => {
  const policy = api.compile(example);
  const units = policy.orgUnits();
  assert.deepEqual(
    units.map((u) => [u.path, u.parent, u.declared, u.members]),
    [
      ["/", null, true, []],
      ["/Finance", "/", false, ["alice@corp.example"]],
      ["/Finance/Audit", "/Finance", true, ["auditor@corp.example"]],
      ["/Operations", "/", true, ["ops@corp.example"]],
    ],
  );
  const audit = units[2].settings;
  assert.deepEqual(
    audit.map((s) => [s.name, s.orgUnit, s.inherited, s.replaces, s.enabled]),
    [
      ["TLS with partners", "/Finance/Audit", false, "/", false],
      ["Routed over TLS", "/", true, null, true],
    ],
  );
  assert.deepEqual(policy.effectiveSettings("/Finance/Audit/Interns"), audit.map((s) => ({ ...s, inherited: true })));
  policy.free();
});

test("explain gives the command line's text report of a decision", () => {
  const decision = api.evaluate(example, mismatch);
  const text = api.explain(decision);
  assert.match(text, /bob@partner\.example: bounce/);
  assert.match(text, /certificate-host-mismatch/);
  assertTlsComplianceError(thrown(() => api.explain({ direction: "outbound" })), "invalidInput", "decision");
});

const wrongValues = () => {
  const cyclic = { ...mismatch };
  cyclic.self = cyclic;
  let deep = [];
  for (let i = 0; i < 100_000; i++) deep = [deep];
  return [
    ["undefined", undefined],
    ["null", null],
    ["a number", 42],
    ["NaN", NaN],
    ["a string", "outbound"],
    ["a boolean", true],
    ["a symbol", Symbol("x")],
    ["a function", () => mismatch],
    ["a BigInt", 10n],
    ["an empty object", {}],
    ["an empty array holding undefined", [undefined]],
    ["a cyclic object", cyclic],
    ["an array nested 100,000 deep", deep],
    ["a Map", new Map([["direction", "outbound"]])],
    ["a Date", new Date(0)],
    ["a typed array", new Uint8Array(8)],
    ["an object whose getter throws", Object.defineProperty({ ...mismatch }, "direction", { enumerable: true, get() { throw new TypeError("boom"); } })],
    ["a proxy whose traps throw", new Proxy({}, { get() { throw new Error("trap"); }, ownKeys() { throw new Error("keys"); } })],
    ["a scenario with a BigInt inside", { ...mismatch, recipients: [1n] }],
    ["a 10 MB recipient", { ...mismatch, recipients: ["a".repeat(10_000_000) + "@x.example"] }],
    ["a recipient with a NUL byte", { ...mismatch, recipients: ["bob\u0000@partner.example"] }],
    ["a lone surrogate", { ...mismatch, recipients: ["\ud800@partner.example"] }],
  ];
};

test("every kind of wrong scenario throws a TlsComplianceError, and the handle still works", () => {
  const policy = api.compile(example);
  for (const [name, value] of wrongValues()) {
    const e = thrown(() => policy.evaluate(value));
    assertTlsComplianceError(e, "invalidScenario", "scenario");
    const e2 = thrown(() => api.evaluate(example, value));
    assertTlsComplianceError(e2, "invalidScenario", "scenario");
    const e3 = thrown(() => api.impact(example, example, value));
    assertTlsComplianceError(e3, "invalidScenario", "scenarios");
    assert.ok(name);
  }
  assert.equal(policy.evaluate(mismatch).transaction.verdict, "bounce");
  // Nothing was left borrowed: the handle can still be freed.
  policy.free();
});

test("every kind of wrong policy throws, or is reported by validate, and never traps", () => {
  for (const [, value] of wrongValues()) {
    assertTlsComplianceError(thrown(() => api.compile(value)), "invalidPolicy", "policy");
    assertTlsComplianceError(thrown(() => api.evaluate(value, mismatch)), "invalidPolicy", "policy");
    assertTlsComplianceError(thrown(() => api.diff(example, value)), "invalidPolicy", "after");
    assertTlsComplianceError(thrown(() => api.impact(value, example, scenarios)), "invalidPolicy", "before");
    const report = api.validate(value);
    assert.equal(report.valid, false);
    assert.ok(report.errors.length > 0);
    const textReport = api.validateText(value);
    assert.equal(textReport.valid, false);
  }
  assertTlsComplianceError(thrown(() => api.compileText(undefined)), "invalidPolicy", "policy");
  assert.equal(api.evaluate(example, mismatch).transaction.verdict, "bounce");
});

test("a missing argument is a wrong value too", () => {
  assertTlsComplianceError(thrown(() => api.evaluate()), "invalidPolicy", "policy");
  assertTlsComplianceError(thrown(() => api.evaluate(example)), "invalidScenario", "scenario");
  assertTlsComplianceError(thrown(() => api.compile()), "invalidPolicy", "policy");
  assertTlsComplianceError(thrown(() => api.impact(example, example)), "invalidScenario", "scenarios");
  assertTlsComplianceError(thrown(() => api.diff(example)), "invalidPolicy", "after");
  const policy = api.compile(example);
  assertTlsComplianceError(thrown(() => policy.evaluate()), "invalidScenario", "scenario");
  assertTlsComplianceError(thrown(() => policy.effectiveSettings()), "invalidInput", "path");
  assertTlsComplianceError(thrown(() => policy.effectiveSettings("Finance")), "invalidInput", "path");
  policy.free();
});

test("a thrown error's message names each error, as the command line's text output does", () => {
  const e = thrown(() => api.evaluate(example, { ...mismatch, recipients: ["bob"] }));
  assert.match(e.message, /^invalid scenario\ninvalid-address: recipient `bob` has no `@` at \/recipients\/0/);
});

test("what JSON does not have follows JSON.stringify: undefined is absent, NaN is null", () => {
  const withUndefined = { ...mismatch, senderOrgUnit: undefined, connection: { ...mismatch.connection, version: undefined } };
  const plain = JSON.parse(JSON.stringify(withUndefined));
  assert.deepEqual(api.evaluate(example, withUndefined), api.evaluate(example, plain));
  const nan = api.evaluate(example, { ...mismatch, connection: { tls: NaN } });
  assert.deepEqual(nan, api.evaluate(example, { ...mismatch, connection: {} }));
  assert.equal(nan.recipients[0].verdict, "tlsRequired");
});

test("many decisions on one handle do not grow memory without bound", () => {
  const policy = api.compile(example);
  const before = process.memoryUsage().arrayBuffers;
  for (let i = 0; i < 50_000; i++) policy.evaluate(mismatch);
  for (let i = 0; i < 5_000; i++) {
    try {
      policy.evaluate({ ...mismatch, recipients: ["bob"] });
    } catch {
      // refused, as it should be
    }
  }
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.ok(grown < 8 * 1024 * 1024, `wasm memory grew by ${grown} bytes`);
  policy.free();
});

test("a handle compiled from 100,000 entries decides each scenario the same as the command line", () => {
  const entries = Array.from({ length: 100_000 }, (_, i) => `host${i}.example.net`);
  const doc = { version: 1, addressLists: [{ name: "Big", entries }], orgUnits: [{ path: "/", settings: [{ name: "Big", messages: ["outbound"], addressLists: ["Big"], minTlsVersion: "1.2" }] }] };
  const policy = api.compile(doc);
  assert.equal(policy.entryCount, 100_000);
  const scenario = { direction: "outbound", sender: "a@corp.example", recipients: ["x@host99999.example.net", "y@other.example"], connection: { tls: true, version: "1.1" } };
  assert.equal(JSON.stringify(policy.evaluate(scenario)), JSON.stringify(cli("eval", doc, scenario).json));
  policy.free();
});

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mutates a JSON value in place at a random depth: drops, replaces or adds a field or element. */
function mutate(value, rand) {
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const junk = () =>
    pick([
      null, true, false, 0, -1, 1.5, 1e308, "", "x", "1.2", "inbound", "outbound", "a@b.example", "@", "*.", "/",
      "Bücher.example", "\u0000", "a".repeat(300), [], [1, "a"], {}, { address: "a@b.example" }, { tls: true },
    ]);
  let node = value;
  for (let depth = 0; depth < 4; depth++) {
    const keys = node && typeof node === "object" ? Object.keys(node) : [];
    if (keys.length === 0 || rand() < 0.3) break;
    const k = pick(keys);
    if (node[k] === null || typeof node[k] !== "object" || rand() < 0.4) {
      const action = rand();
      if (action < 0.3) delete node[k];
      else if (action < 0.8) node[k] = junk();
      else node[`${k}Extra`] = junk();
      return value;
    }
    node = node[k];
  }
  if (node && typeof node === "object") node[Array.isArray(node) ? node.length : "extra"] = junk();
  return value;
}

test("thousands of random mutations of the example are decided or refused, never trapped, and a sample matches the command line", () => {
  const rand = prng(20261129);
  const policy = api.compile(example);
  let refused = 0;
  let decided = 0;
  const sample = [];
  for (let i = 0; i < 3000; i++) {
    const scenario = mutate(structuredClone(scenarios[i % scenarios.length]), rand);
    const doc = i % 3 === 0 ? mutate(structuredClone(example), rand) : example;
    let outcome;
    try {
      outcome = { ok: api.evaluate(doc, scenario) };
      assert.deepEqual(doc === example ? policy.evaluate(scenario) : outcome.ok, outcome.ok);
      decided++;
    } catch (e) {
      assertTlsComplianceError(e, e.kind, e.input);
      assert.ok(["invalidPolicy", "invalidScenario"].includes(e.kind), `kind ${e.kind}`);
      outcome = { thrown: { kind: e.kind, errors: e.errors } };
      refused++;
    }
    if (i % 30 === 0) sample.push({ doc, scenario, outcome });
  }
  assert.ok(decided > 100 && refused > 300, `decided ${decided}, refused ${refused}`);
  for (const { doc, scenario, outcome } of sample) {
    const answer = cli("eval", doc, scenario);
    if (answer.status === 0) {
      assert.equal(JSON.stringify(outcome.ok), JSON.stringify(answer.json));
    } else {
      assert.equal(outcome.thrown.kind, answer.json.error);
      assert.deepEqual(outcome.thrown.errors, answer.json.errors.map(({ line, column, ...rest }) => rest));
    }
  }
  policy.free();
});
