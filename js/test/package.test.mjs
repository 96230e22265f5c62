// The packed package, as a user gets it: `npm pack` gives a tarball, which is installed into a
// fresh temporary project and used from Node (ESM and CommonJS), type-checked with tsc, and built
// with a bundler (`vite build`) into a page that runs in Chromium. Every decision must be the
// command line's.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { ROOT, PKG, cli, launchChromium, serveStatic } from "./support.mjs";

const VITE = "vite@8.3.5";
const policy = JSON.parse(readFileSync(join(ROOT, "src/example/policy.json"), "utf8"));
const scenarios = JSON.parse(readFileSync(join(ROOT, "src/example/scenarios.json"), "utf8"));
const expected = JSON.stringify(cli("eval", policy, scenarios).json);

let work;
let project;
let tarball;

const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

before(() => {
  work = mkdtempSync(join(tmpdir(), "tls-compliance-package-"));
  const packed = JSON.parse(run("npm", ["pack", PKG, "--json", "--pack-destination", work], work));
  tarball = { file: join(work, packed[0].filename), files: packed[0].files.map((f) => f.path) };
  project = join(work, "fresh");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "fresh-project", private: true, type: "module" }, null, 2));
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball.file, VITE], project);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test("the tarball holds the three builds, the types and nothing else", () => {
  const files = [...tarball.files].sort();
  for (const f of ["package.json", "index.d.ts", "README.md", "node.mjs", "node.cjs", "bundler.mjs", "web/tls_compliance.js", "web/tls_compliance_bg.wasm", "node/tls_compliance.js", "node/tls_compliance_bg.wasm", "bundler/tls_compliance.js", "bundler/tls_compliance_bg.js", "bundler/tls_compliance_bg.wasm"]) {
    assert.ok(files.includes(f), `${f} is missing from the tarball`);
  }
  assert.ok(!files.some((f) => f.includes(".built") || f.includes("test")), `unexpected files: ${files}`);
  const installed = JSON.parse(readFileSync(join(project, "node_modules/tls-compliance/package.json"), "utf8"));
  assert.equal(installed.name, "tls-compliance");
  assert.equal(installed.types, "./index.d.ts");
});

test("Node imports it as ESM from a fresh project and decides like the command line", () => {
  writeFileSync(join(project, "policy.json"), JSON.stringify(policy));
  writeFileSync(join(project, "scenarios.json"), JSON.stringify(scenarios));
  writeFileSync(
    join(project, "esm.mjs"),
    `import init, { compile, evaluate } from "tls-compliance";
import { readFileSync } from "node:fs";
await init();
const policy = JSON.parse(readFileSync("policy.json", "utf8"));
const scenarios = JSON.parse(readFileSync("scenarios.json", "utf8"));
const handle = compile(policy);
const viaHandle = JSON.stringify(handle.evaluate(scenarios));
handle.free();
if (viaHandle !== JSON.stringify(evaluate(policy, scenarios))) throw new Error("handle and one-shot differ");
try { evaluate(policy, { direction: "outbound" }); } catch (e) { console.error(e.name, e.kind, e.errors[0].code); }
console.log(viaHandle);
`,
  );
  const out = execFileSync(process.execPath, ["esm.mjs"], { cwd: project, encoding: "utf8" });
  assert.equal(out.trim(), expected);
});

test("Node requires it as CommonJS from a fresh project", () => {
  writeFileSync(
    join(project, "cjs.cjs"),
    `const { evaluate, default: init } = require("tls-compliance");
const policy = require("./policy.json");
const scenarios = require("./scenarios.json");
init().then(() => console.log(JSON.stringify(evaluate(policy, scenarios))));
`,
  );
  const out = execFileSync(process.execPath, ["cjs.cjs"], { cwd: project, encoding: "utf8" });
  assert.equal(out.trim(), expected);
});

test("the typed usage example type-checks against the installed package (bundler and nodenext resolution)", () => {
  copyFileSync(join(ROOT, "js/examples/usage.ts"), join(project, "usage.ts"));
  const tsc = join(ROOT, "js/node_modules/typescript/bin/tsc");
  for (const [module, moduleResolution] of [["esnext", "bundler"], ["nodenext", "nodenext"]]) {
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: "es2022", module, moduleResolution, lib: ["es2022", "dom", "esnext.disposable"], types: [] },
        files: ["usage.ts"],
      }),
    );
    try {
      execFileSync(process.execPath, [tsc, "-p", project], { encoding: "utf8", stdio: "pipe" });
    } catch (e) {
      assert.fail(`tsc (${moduleResolution}) failed:\n${e.stdout}${e.stderr}`);
    }
  }
});

test("vite builds a page with it, and the built bundle decides in Chromium like the command line", async () => {
  const app = join(project, "app");
  mkdirSync(app);
  writeFileSync(
    join(app, "index.html"),
    `<!doctype html><meta charset="utf-8"><title>fresh</title><pre id="out">loading</pre><script type="module" src="./main.js"></script>`,
  );
  writeFileSync(
    join(app, "main.js"),
    `import init, { compile } from "tls-compliance";
import policy from "../policy.json";
import scenarios from "../scenarios.json";
async function main() {
  await init();
  const handle = compile(policy);
  document.querySelector("#out").textContent = JSON.stringify(handle.evaluate(scenarios));
  document.title = "done";
}
main().catch((e) => { document.querySelector("#out").textContent = "error: " + e; document.title = "done"; });
`,
  );
  run(process.execPath, [join(project, "node_modules/vite/bin/vite.js"), "build", app, "--outDir", join(project, "dist"), "--emptyOutDir", "--logLevel", "warn"], project);
  const assets = readdirSync(join(project, "dist/assets"));
  assert.ok(assets.some((f) => f.endsWith(".wasm")), `vite emitted no .wasm: ${assets}`);
  assert.ok(existsSync(join(project, "dist/index.html")));

  const server = await serveStatic({ "/": join(project, "dist") });
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => document.title === "done", null, { timeout: 30_000 });
    assert.equal(await page.textContent("#out"), expected);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.close();
  }
});
