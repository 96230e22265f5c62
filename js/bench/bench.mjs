// Benchmarks of the npm package in Node, against the native core on the same workload.
//
//   node js/bench/bench.mjs [--json OUT] [--native-bin PATH] [--quick]
//
// Measures, in one run:
//   1. CompiledPolicy#evaluate p50 for a 1-recipient scenario on a 100,000-entry policy;
//   2. the same decision natively (examples/native_eval_bench.rs, given the same policy and
//      scenario files), and the ratio wasm/native;
//   3. compile() of a 1,000,000-entry policy (10 lists of 100,000) in wasm;
//   4. the gzipped size of the .wasm.
// Prints a table and, with --json, writes the numbers to a file. Uses the built package in
// js/pkg (scripts/build-wasm.sh). Without --native-bin it runs the example with `cargo run`.
// With --bench-pkg DIR (a nodejs build with the `bench` feature, made by scripts/bench-js.sh) it
// also times the core alone inside WebAssembly, to split a decision's cost between the core and
// the JS/WebAssembly boundary.

import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const pkg = join(root, "js/pkg");
const { default: init, compile, compileText } = await import(join(pkg, "node.mjs"));
await init();

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes("--quick");

const TARGETS = {
  evaluateP50Us: 10,
  ratio: 1.5,
  compile1MSeconds: 3,
  wasmGzipKB: 300,
};

/** A policy of `lists` address lists of `perList` domain entries, and one setting using them all. */
function syntheticPolicy(lists, perList) {
  const addressLists = [];
  for (let l = 0; l < lists; l++) {
    const entries = new Array(perList);
    for (let i = 0; i < perList; i++) entries[i] = `host${i}.l${l}.example.net`;
    addressLists.push({ name: `List ${l}`, entries });
  }
  return {
    version: 1,
    addressLists,
    members: { "alice@corp.example": "/Sales" },
    orgUnits: [
      {
        path: "/",
        settings: [
          {
            name: "Partners over TLS",
            messages: ["inbound", "outbound"],
            addressLists: addressLists.map((l) => l.name),
            requireCaSignedCertificate: true,
            validateCertificateHostname: true,
            minTlsVersion: "1.2",
          },
        ],
      },
    ],
  };
}

const scenario = {
  direction: "outbound",
  sender: "alice@corp.example",
  recipients: ["desk@host77777.l0.example.net"],
  connection: { tls: true, version: "1.3", certificate: { trust: "ca-signed", hostname: "match" } },
};

const BATCH = 50;
/** Median time per call in ns, over batches of BATCH calls (after a warm-up). */
function medianNsPerCall(fn, iterations) {
  for (let i = 0; i < Math.max(iterations / 10, BATCH); i++) fn();
  const samples = [];
  for (let b = 0; b < Math.max(iterations / BATCH, 1); b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) fn();
    samples.push(Number(process.hrtime.bigint() - start) / BATCH);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const work = mkdtempSync(join(tmpdir(), "tls-compliance-bench-"));
try {
  const iterations = quick ? 20_000 : 200_000;

  // 1. evaluate on a 100k-entry policy.
  const policy100k = syntheticPolicy(1, 100_000);
  const handle = compile(policy100k);
  if (handle.entryCount !== 100_000) throw new Error(`expected 100000 entries, got ${handle.entryCount}`);
  const decision = handle.evaluate(scenario);
  const evaluateNs = medianNsPerCall(() => handle.evaluate(scenario), iterations);

  // 2. The same files, natively.
  const policyFile = join(work, "policy-100k.json");
  const scenarioFile = join(work, "scenario.json");
  writeFileSync(policyFile, JSON.stringify(policy100k));
  writeFileSync(scenarioFile, JSON.stringify(scenario));
  const nativeBin = flag("--native-bin");
  const nativeArgs = [policyFile, scenarioFile, String(iterations)];
  const nativeOut = nativeBin
    ? execFileSync(nativeBin, nativeArgs, { encoding: "utf8" })
    : execFileSync(
        "cargo",
        ["run", "--quiet", "--release", "--example", "native_eval_bench", "--", ...nativeArgs],
        { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
      );
  const native = JSON.parse(nativeOut.trim().split("\n").pop());
  if (!isDeepStrictEqual(native.decision, decision)) {
    throw new Error("the native and wasm decisions differ; the comparison would be meaningless");
  }
  handle.free();

  // The core alone inside WebAssembly, and what crossing the boundary costs.
  let coreInWasmNs = null;
  const benchPkg = flag("--bench-pkg");
  if (benchPkg) {
    const benchApi = createRequire(import.meta.url)(join(resolve(benchPkg), "node/tls_compliance.js"));
    const h = benchApi.compile(policy100k);
    const n = quick ? 20_000 : 100_000;
    h.benchEvaluateCore(scenario, n / 10);
    const runs = [];
    for (let r = 0; r < 7; r++) {
      const start = process.hrtime.bigint();
      if (h.benchEvaluateCore(scenario, n) !== n) throw new Error("the core refused the scenario");
      runs.push(Number(process.hrtime.bigint() - start) / n);
    }
    h.free();
    coreInWasmNs = runs.sort((a, b) => a - b)[3];
  }
  const stringifyNs = medianNsPerCall(() => JSON.stringify(scenario), iterations);

  // 3. compile 1M entries (10 lists of 100,000), as objects and as text: three runs each, the
  //    median reported (the first run of the process also grows the WebAssembly memory).
  const policy1M = syntheticPolicy(10, 100_000);
  const text1M = JSON.stringify(policy1M);
  const timeRuns = (f) => {
    const runs = [];
    for (let r = 0; r < 3; r++) {
      const start = process.hrtime.bigint();
      const h = f();
      runs.push(Number(process.hrtime.bigint() - start) / 1e9);
      if (h.entryCount !== 1_000_000) throw new Error(`expected 1000000 entries, got ${h.entryCount}`);
      h.free();
    }
    return { first: runs[0], median: [...runs].sort((a, b) => a - b)[1] };
  };
  const fromObjects = timeRuns(() => compile(policy1M));
  const fromText = timeRuns(() => compileText(text1M));
  const compile1MSeconds = fromObjects.median;
  const compileText1MSeconds = fromText.median;

  // 4. Size.
  const wasm = readFileSync(join(pkg, "web/tls_compliance_bg.wasm"));
  const wasmGzipBytes = gzipSync(wasm, { level: 9 }).length;

  const results = {
    date: new Date().toISOString().slice(0, 10),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    loadAverage: loadavg()[0],
    iterations,
    evaluateP50Us: evaluateNs / 1000,
    nativeEvaluateP50Us: native.evaluateNs / 1000,
    nativeEvaluateJsonP50Us: native.evaluateJsonNs / 1000,
    ratio: evaluateNs / native.evaluateNs,
    ratioWithJson: evaluateNs / native.evaluateJsonNs,
    coreInWasmP50Us: coreInWasmNs === null ? null : coreInWasmNs / 1000,
    coreRatio: coreInWasmNs === null ? null : coreInWasmNs / native.evaluateNs,
    stringifyScenarioUs: stringifyNs / 1000,
    nativeCompile100kMs: native.compileMs,
    compile1MSeconds,
    compile1MFirstRunSeconds: fromObjects.first,
    compileText1MSeconds,
    wasmBytes: wasm.length,
    wasmGzipBytes,
    wasmGzipKB: wasmGzipBytes / 1024,
  };
  const row = (metric, target, measured, met) =>
    `| ${metric} | ${target} | ${measured} | ${met ? "yes" : "**no**"} |`;
  const lines = [
    "| metric | target | measured | met? |",
    "|---|---|---|---|",
    row(
      "`CompiledPolicy#evaluate` p50, 1 recipient, 100k-entry policy",
      `≤ ${TARGETS.evaluateP50Us} µs`,
      `${results.evaluateP50Us.toFixed(2)} µs`,
      results.evaluateP50Us <= TARGETS.evaluateP50Us,
    ),
    row(
      "wasm-in-Node / native, same decision",
      `≤ ${TARGETS.ratio}×`,
      `${results.ratio.toFixed(2)}× (${results.evaluateP50Us.toFixed(2)} µs / ${results.nativeEvaluateP50Us.toFixed(2)} µs native \`Policy::evaluate\`); ` +
        `${results.ratioWithJson.toFixed(2)}× against native JSON in → JSON out (${results.nativeEvaluateJsonP50Us.toFixed(2)} µs)`,
      results.ratio <= TARGETS.ratio,
    ),
    ...(results.coreInWasmP50Us === null
      ? []
      : [
          row(
            "the core alone in wasm / native (no boundary crossing; feature `bench`)",
            "—",
            `${results.coreRatio.toFixed(2)}× (${results.coreInWasmP50Us.toFixed(2)} µs / ${results.nativeEvaluateP50Us.toFixed(2)} µs); ` +
              `the boundary takes the other ${(results.evaluateP50Us - results.coreInWasmP50Us).toFixed(2)} µs of a decision ` +
              `(\`JSON.stringify\` of the scenario alone: ${results.stringifyScenarioUs.toFixed(2)} µs)`,
            true,
          ),
        ]),
    row(
      "`compile` 1M entries (10 lists × 100k) in wasm",
      `≤ ${TARGETS.compile1MSeconds} s`,
      `${results.compile1MSeconds.toFixed(2)} s from objects (median of 3; first run ${results.compile1MFirstRunSeconds.toFixed(2)} s); ${results.compileText1MSeconds.toFixed(2)} s with \`compileText\``,
      results.compile1MSeconds <= TARGETS.compile1MSeconds,
    ),
    row(
      "gzipped `.wasm` (gzip -9)",
      `≤ ${TARGETS.wasmGzipKB} KB`,
      `${results.wasmGzipKB.toFixed(1)} KB (${(results.wasmBytes / 1024).toFixed(1)} KB raw)`,
      results.wasmGzipKB <= TARGETS.wasmGzipKB,
    ),
  ];
  console.log(lines.join("\n"));
  const out = flag("--json");
  if (out) writeFileSync(out, JSON.stringify(results, null, 2) + "\n");
} finally {
  rmSync(work, { recursive: true, force: true });
}
