// A typed tour of the npm package `tls-compliance`: validate a policy, compile it once, decide
// scenarios, explain a decision, and ask what a change would do. Type-checked by the tests with
// `tsc --noEmit`, against js/pkg and against the packed tarball installed in a fresh project.

import init, {
  compile,
  diff,
  evaluate,
  explain,
  impact,
  validate,
  validateText,
  type AuditEntry,
  type Decision,
  type ImpactReport,
  type OrgUnitView,
  type PolicyDocument,
  type Scenario,
  type TlsComplianceError,
  type ValidationReport,
  type Verdict,
} from "tls-compliance";

const policy: PolicyDocument = {
  version: 1,
  addressLists: [{ name: "Partners", entries: ["partner.example, ceo@bank.example", "*.gov.example"] }],
  members: { "alice@corp.example": "/Finance" },
  orgUnits: [
    {
      path: "/",
      settings: [
        {
          name: "TLS with partners",
          messages: ["inbound", "outbound"],
          addressLists: ["Partners"],
          requireCaSignedCertificate: true,
          validateCertificateHostname: true,
          minTlsVersion: "1.2",
        },
      ],
    },
    { path: "/Finance/Audit", settings: [{ name: "TLS with partners", enabled: false }] },
  ],
};

const scenario: Scenario = {
  name: "Alice mails a partner whose certificate names another host",
  direction: "outbound",
  sender: "alice@corp.example",
  recipients: ["bob@partner.example", { address: "desk@routed.example", secureTransportRequired: true }],
  connection: { tls: true, version: "1.3", certificate: { trust: "ca-signed", hostname: "mismatch" } },
};

/** Is this thrown value the package's error? */
function isTlsComplianceError(e: unknown): e is TlsComplianceError {
  return e instanceof Error && e.name === "TlsComplianceError";
}

export async function tour(): Promise<Verdict> {
  await init(); // fetches the .wasm in a browser; resolves at once in Node and bundlers

  const report: ValidationReport = validate(policy);
  for (const w of report.warnings) console.log(`warning ${w.code} at ${w.pointer}: ${w.message}`);
  const fromText: ValidationReport = validateText(JSON.stringify(policy, null, 2));
  console.log(fromText.valid, fromText.errors.map((e) => `${e.line}:${e.column} ${e.message}`));

  using compiled = compile(policy); // freed at the end of the block
  const decision: Decision = compiled.evaluate(scenario);
  for (const r of decision.recipients) {
    const why = r.reasons.map((x) => `${x.setting} (${x.orgUnit}) via ${x.addressList ?? "secure transport"}`);
    console.log(r.address, r.verdict, r.failures.join(", "), r.reply ?? "no reply", why);
  }
  const many: Decision[] = compiled.evaluate([scenario, { ...scenario, sender: "auditor@corp.example" }]);
  console.log(many.length, explain(decision));

  const units: OrgUnitView[] = compiled.orgUnits();
  for (const unit of units) {
    console.log(unit.path, unit.settings.map((s) => `${s.name}${s.inherited ? " (inherited)" : ""}`));
  }

  const stricter: PolicyDocument = { ...policy, members: {} };
  const change: AuditEntry = diff(policy, stricter);
  const effect: ImpactReport = impact(policy, stricter, [scenario]);
  console.log(change.changes.map((c) => c.change), effect.changedRecipients);

  try {
    evaluate(policy, { direction: "outbound", sender: "alice@corp.example", recipients: ["bob"] });
  } catch (e) {
    if (isTlsComplianceError(e)) {
      for (const error of e.errors) console.log(e.kind, error.code, error.pointer, error.message);
    }
  }
  return decision.transaction.verdict;
}
