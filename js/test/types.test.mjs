// The hand-written types (js/npm/index.d.ts) against the Rust types and against real answers:
//   1. every serde type of the core's wire schema has a declaration with the same field names,
//      the same optional fields, `| null` where the JSON holds null, and the same enum values;
//   2. every answer of the corpus (decisions, reports, diffs, errors, unit trees) and every valid
//      input type-checks against the declarations with `tsc --noEmit` (excess properties, missing
//      fields and unknown enum values are all errors for object literals);
//   3. the typed usage example in js/examples passes `tsc --noEmit`;
//   4. the package exports exactly what the declarations declare.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

import * as api from "../pkg/node.mjs";
import { runCall } from "./run-call.mjs";
import { ROOT, PKG, corpusWithExpectations } from "./support.mjs";

const DTS = join(PKG, "index.d.ts");
const TSC = join(ROOT, "js/node_modules/typescript/bin/tsc");

// ---------------------------------------------------------------------------------------------
// 1. The Rust side: serde types read from the core's source.
// ---------------------------------------------------------------------------------------------

const RUST_FILES = ["policy.rs", "scenario.rs", "decision.rs", "diagnostic.rs", "whatif.rs", "effective.rs", "lib.rs"];

/** Rust types with serde derives that have no declaration of their own, and why. */
const NOT_DECLARED = {
  Fault: "never returned: a fault is thrown as a TlsComplianceError with kind `fault` and `reply`",
  RecipientSpec: "untagged with a hand-written Deserialize: declared as `string | Recipient`",
};

const camel = (snake) => snake.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const lowerFirst = (s) => s.charAt(0).toLowerCase() + s.slice(1);
const kebab = (pascal) => pascal.replace(/[A-Z]/g, (c, i) => (i ? "-" : "") + c.toLowerCase());
const renameVariant = (rule, name) =>
  rule === "camelCase" ? lowerFirst(name) : rule === "kebab-case" ? kebab(name) : rule === "lowercase" ? name.toLowerCase() : name;
const renameField = (rule, name) => (rule === "camelCase" ? camel(name) : name);

/** The serde attributes in a run of `#[...]` lines. */
function serdeAttrs(attrLines) {
  const text = attrLines.filter((l) => l.includes("serde(")).join(" ");
  const get = (key) => text.match(new RegExp(`${key}\\s*=\\s*"([^"]*)"`))?.[1];
  return {
    text,
    derivesSerde: attrLines.some((l) => /derive\([^)]*\b(Serialize|Deserialize)\b/.test(l)),
    renameAll: get("rename_all"),
    renameAllFields: get("rename_all_fields"),
    rename: get("(?<![_a-z])rename"),
    tag: get("tag"),
    default: /\bdefault\b/.test(text),
    skip: /skip_serializing_if/.test(text),
  };
}

/** Splits a `{ ... }` body into top-level items, each with the attribute lines before it. */
function items(body) {
  const out = [];
  let attrs = [];
  let depth = 0;
  let current = null;
  for (const raw of body.split("\n")) {
    const line = raw.trim();
    if (depth === 0 && (line.startsWith("///") || line === "")) continue;
    if (depth === 0 && line.startsWith("#[")) {
      attrs.push(line);
      continue;
    }
    if (depth === 0) current = { attrs, head: line, lines: [] };
    if (current) current.lines.push(line);
    depth += (line.match(/[{(<]/g) ?? []).length - (line.match(/[})>]/g) ?? []).length;
    if (depth <= 0 && current) {
      out.push(current);
      current = null;
      attrs = [];
      depth = 0;
    }
  }
  return out;
}

function rustTypes() {
  const types = {};
  for (const file of RUST_FILES) {
    const src = readFileSync(join(ROOT, "src", file), "utf8");
    const re = /((?:^[ \t]*#\[[^\n]*\]\n|^[ \t]*#\[serde\([^\]]*?\)\]\n|^[ \t]*\/\/\/[^\n]*\n)*)^pub (struct|enum) (\w+)(<[^>]*>)? \{\n([\s\S]*?)^\}/gm;
    for (const m of src.matchAll(re)) {
      const attrLines = m[1].split("\n").filter((l) => l.trim().startsWith("#["));
      // Multi-line `#[serde(...)]` blocks: join them back.
      const attrText = m[1].replace(/\n\s*/g, " ");
      const attrs = serdeAttrs([...attrLines, attrText]);
      if (!attrs.derivesSerde) continue;
      const [, , kind, name, , body] = m;
      if (kind === "struct") {
        const fields = {};
        for (const item of items(body)) {
          const f = item.head.match(/^pub (\w+): (.+?),?$/);
          if (!f) continue;
          const fa = serdeAttrs(item.attrs);
          fields[fa.rename ?? renameField(attrs.renameAll, f[1])] = {
            optional: fa.default || fa.skip,
            nullable: f[2].startsWith("Option<") && !fa.skip,
          };
        }
        types[name] = { kind, file, fields };
      } else {
        const variants = {};
        for (const item of items(body)) {
          const v = item.head.match(/^(\w+)/);
          if (!v) continue;
          const va = serdeAttrs(item.attrs);
          const fields = {};
          for (const f of item.lines.join("\n").matchAll(/^(\w+): .+,$/gm)) {
            fields[renameField(attrs.renameAllFields, f[1])] = {};
          }
          variants[va.rename ?? renameVariant(attrs.renameAll, v[1])] = { fields: Object.keys(fields) };
        }
        types[name] = { kind, file, tag: attrs.tag, variants };
      }
    }
  }
  return types;
}

// ---------------------------------------------------------------------------------------------
// 1. The TypeScript side: declarations read with the compiler API.
// ---------------------------------------------------------------------------------------------

function declarations() {
  const source = ts.createSourceFile(DTS, readFileSync(DTS, "utf8"), ts.ScriptTarget.Latest, true);
  const decls = {};
  const literal = (t) => (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal) ? t.literal.text : null);
  const members = (list) => {
    const fields = {};
    for (const m of list) {
      if (!ts.isPropertySignature(m) || !m.name || !ts.isIdentifier(m.name)) continue;
      const typeText = m.type.getText(source);
      fields[m.name.text] = { optional: !!m.questionToken, nullable: /\bnull\b/.test(typeText), type: m.type };
    }
    return fields;
  };
  for (const stmt of source.statements) {
    if (ts.isInterfaceDeclaration(stmt)) {
      decls[stmt.name.text] = { kind: "interface", fields: members(stmt.members), hasDoc: ts.getJSDocCommentsAndTags(stmt).length > 0 };
      for (const [fname, f] of Object.entries(decls[stmt.name.text].fields)) f.name = fname;
    } else if (ts.isTypeAliasDeclaration(stmt)) {
      const types = ts.isUnionTypeNode(stmt.type) ? stmt.type.types : [stmt.type];
      const literals = types.map(literal);
      const objects = types.filter(ts.isTypeLiteralNode).map((t) => members(t.members));
      decls[stmt.name.text] = {
        kind: "alias",
        literals: literals.every((l) => l !== null) ? literals : null,
        objects,
        hasDoc: ts.getJSDocCommentsAndTags(stmt).length > 0,
      };
    } else if (ts.isFunctionDeclaration(stmt) || ts.isClassDeclaration(stmt)) {
      const isDefault = stmt.modifiers?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
      const name = isDefault ? "default" : stmt.name.text;
      decls[name] = { kind: "value", hasDoc: (decls[name]?.hasDoc ?? false) || ts.getJSDocCommentsAndTags(stmt).length > 0 };
    }
  }
  return decls;
}

test("every serde type of the wire schema is declared with the Rust field names, optionality, nulls and values", () => {
  const rust = rustTypes();
  const decls = declarations();
  // The reader found the types it should: a sanity check on the regular expressions.
  for (const name of ["PolicyDocument", "Setting", "Scenario", "TlsFacts", "Decision", "RecipientDecision", "Reason", "Diagnostic", "ErrorCode", "LintCode", "Change", "ImpactReport", "OrgUnitView", "EffectiveSetting", "ValidationReport", "Verdict", "Failure"]) {
    assert.ok(rust[name], `the Rust reader did not find ${name}`);
  }
  let checked = 0;
  for (const [name, r] of Object.entries(rust)) {
    if (name in NOT_DECLARED) continue;
    const d = decls[name];
    assert.ok(d, `${name} (src/${r.file}) has no declaration in index.d.ts`);
    if (r.kind === "struct") {
      assert.equal(d.kind, "interface", `${name} should be an interface`);
      assert.deepEqual(Object.keys(d.fields).sort(), Object.keys(r.fields).sort(), `${name}: field names`);
      for (const [field, rf] of Object.entries(r.fields)) {
        assert.equal(d.fields[field].optional, rf.optional, `${name}.${field}: optional`);
        assert.equal(d.fields[field].nullable, rf.nullable, `${name}.${field}: \`| null\``);
      }
    } else if (r.tag) {
      assert.equal(d.kind, "alias");
      const declared = Object.fromEntries(
        d.objects.map((o) => [o[r.tag].type.literal.text, Object.keys(o).filter((k) => k !== r.tag).sort()]),
      );
      const expected = Object.fromEntries(Object.entries(r.variants).map(([v, x]) => [v, x.fields.sort()]));
      assert.deepEqual(declared, expected, `${name}: variants and their fields`);
    } else {
      assert.ok(d.literals, `${name} should be a union of string literals`);
      assert.deepEqual([...d.literals].sort(), Object.keys(r.variants).sort(), `${name}: values`);
    }
    checked++;
  }
  assert.ok(checked >= 25, `only ${checked} types checked`);
});

test("every declaration carries JSDoc", () => {
  for (const [name, d] of Object.entries(declarations())) {
    assert.ok(d.hasDoc, `${name} has no JSDoc comment`);
  }
});

test("the package exports exactly the functions and classes the declarations declare", () => {
  const declared = Object.entries(declarations())
    .filter(([, d]) => d.kind === "value")
    .map(([name]) => name)
    .sort();
  assert.deepEqual(Object.keys(api).sort(), declared);
});

// ---------------------------------------------------------------------------------------------
// 2. and 3. tsc on real answers and on the usage example.
// ---------------------------------------------------------------------------------------------

function tsc(project) {
  try {
    execFileSync(process.execPath, [TSC, "-p", project], { encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    assert.fail(`tsc -p ${project} failed:\n${e.stdout}${e.stderr}`);
  }
}

function writeTsconfig(dir, files) {
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify(
      {
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: "es2022",
          module: "esnext",
          moduleResolution: "bundler",
          lib: ["es2022", "dom", "esnext.disposable"],
          types: [],
          paths: { "tls-compliance": [DTS] },
        },
        files,
      },
      null,
      2,
    ),
  );
}

test("every answer and valid input of the corpus type-checks against the declarations (tsc --noEmit)", () => {
  const typeOf = { evaluate: null, impact: "T.ImpactReport", diff: "T.AuditEntry", validate: "T.ValidationReport", validateText: "T.ValidationReport" };
  const lines = ['import type * as T from "tls-compliance";', ""];
  let n = 0;
  const add = (type, value) => lines.push(`export const v${n++}: ${type} = ${JSON.stringify(value)};`);
  const policies = new Map();
  for (const call of corpusWithExpectations()) {
    const outcome = JSON.parse(runCall(api, call.fn, call.args));
    if ("ok" in outcome) {
      const type = typeOf[call.fn] ?? (Array.isArray(outcome.ok) ? "T.Decision[]" : "T.Decision");
      add(type, outcome.ok);
      if (call.fn === "evaluate") {
        add("T.PolicyDocument", call.args[0]);
        add(Array.isArray(call.args[1]) ? "T.Scenario[]" : "T.Scenario", call.args[1]);
        policies.set(JSON.stringify(call.args[0]), call.args[0]);
      }
      if (call.fn === "impact") add("T.Scenario[] | T.Scenario", call.args[2]);
    } else {
      add("T.ValidationError[]", outcome.thrown.errors);
      add("T.TlsComplianceError['kind']", outcome.thrown.kind);
    }
  }
  for (const doc of policies.values()) {
    const handle = api.compile(doc);
    add("T.OrgUnitView[]", handle.orgUnits());
    add("T.LintWarning[]", handle.lint());
    handle.free();
  }
  assert.ok(n > 400, `only ${n} values`);
  const dir = join(ROOT, "target/js-typecheck");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "corpus.ts"), lines.join("\n") + "\n");
  writeTsconfig(dir, ["corpus.ts"]);
  tsc(dir);
});

test("the type check catches a wrong field, a missing field and an unknown value", () => {
  const dir = join(ROOT, "target/js-typecheck-negative");
  mkdirSync(dir, { recursive: true });
  const decision = api.evaluate(JSON.parse(readFileSync(join(ROOT, "src/example/policy.json"), "utf8")), {
    direction: "outbound", sender: "alice@corp.example", recipients: ["bob@partner.example"], connection: { tls: false },
  });
  const wrongs = {
    extra: { ...decision, extra: 1 },
    missing: { direction: decision.direction, recipients: decision.recipients },
    value: { ...decision, transaction: { ...decision.transaction, verdict: "quarantine" } },
  };
  for (const [name, value] of Object.entries(wrongs)) {
    writeFileSync(join(dir, `${name}.ts`), `import type * as T from "tls-compliance";\nexport const v: T.Decision = ${JSON.stringify(value)};\n`);
    writeTsconfig(dir, [`${name}.ts`]);
    assert.throws(() => execFileSync(process.execPath, [TSC, "-p", dir], { stdio: "pipe" }), `tsc accepted a decision with a ${name} problem`);
  }
});

test("the typed usage example passes tsc --noEmit", () => {
  tsc(join(ROOT, "js/examples"));
});
