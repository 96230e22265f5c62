// The policy simulator: wires the editor, the scenario builder and the views to the npm package.
// It starts with the built-in example policy and scenarios of the core (src/example/), imported
// from there, not copied.

import init, {
  compile,
  diff,
  explain,
  impact,
  validateText,
  type CompiledPolicy,
  type PolicyDocument,
  type Scenario,
  type TlsComplianceError,
  type ValidationReport,
} from "tls-compliance";

import examplePolicyText from "../../../src/example/policy.json?raw";
import exampleScenarios from "../../../src/example/scenarios.json";

import { byId, fill, h } from "./dom";
import { createEditor, type PolicyEditor } from "./editor";
import { ScenarioForm } from "./scenario-form";
import { addressLists, decisionView, orgUnitTree, savedTable, whatIfView, type SavedRow } from "./views";
import "./style.css";

const isEngineError = (e: unknown): e is TlsComplianceError => e instanceof Error && e.name === "TlsComplianceError";

interface Loaded {
  text: string;
  doc: PolicyDocument;
  compiled: CompiledPolicy;
}

class Simulator {
  private editor!: PolicyEditor;
  private form!: ScenarioForm;
  /** The last valid policy in the editor. */
  private current: Loaded | null = null;
  /** The policy that what-if compares with: as loaded, or as last saved. */
  private baseline!: Loaded;
  private report: ValidationReport | null = null;
  private saved: Scenario[] = structuredClone(exampleScenarios) as unknown as Scenario[];
  private scenario: Scenario;
  private pending: number | undefined;

  constructor() {
    this.scenario = this.saved[0] ?? { direction: "outbound", sender: "", recipients: [""] };
  }

  start(): void {
    this.baseline = load(examplePolicyText);
    this.editor = createEditor(byId("editor"), examplePolicyText, () => this.policyEdited());
    this.form = new ScenarioForm(
      byId<HTMLFormElement>("scenario-form"),
      (s) => {
        this.scenario = s;
        this.renderDecision();
      },
      (s) => this.saveScenario(s),
      this.scenario,
    );
    byId("save-policy").addEventListener("click", () => this.savePolicy());
    byId("revert-policy").addEventListener("click", () => this.editor.setText(this.baseline.text));
    byId("load-example").addEventListener("click", () => {
      const old = this.baseline;
      this.baseline = load(examplePolicyText);
      if (old !== this.current) old.compiled.free();
      this.saved = structuredClone(exampleScenarios) as unknown as Scenario[];
      this.editor.setText(examplePolicyText);
      this.form.load(this.saved[0]);
      this.refresh();
    });
    this.refresh();
    const app = byId("app");
    app.setAttribute("aria-busy", "false");
    document.body.dataset.ready = "true";
  }

  /** Re-validates a moment after typing stops. */
  private policyEdited(): void {
    window.clearTimeout(this.pending);
    document.body.dataset.ready = "false";
    this.pending = window.setTimeout(() => {
      this.refresh();
      document.body.dataset.ready = "true";
    }, 150);
  }

  private refresh(): void {
    const text = this.editor.text();
    this.report = validateText(text);
    this.editor.showReport(this.report);
    if (this.report.valid) {
      const previous = this.current;
      this.current = text === this.baseline.text ? this.baseline : load(text);
      if (previous && previous !== this.current && previous !== this.baseline) previous.compiled.free();
    }
    this.renderStatus();
    this.renderProblems();
    this.renderPolicyViews();
    this.renderDecision();
    this.renderSaved();
  }

  private savePolicy(): void {
    if (!this.report?.valid || !this.current) return;
    const old = this.baseline;
    this.baseline = this.current;
    if (old !== this.current) old.compiled.free();
    this.refresh();
  }

  private saveScenario(s: Scenario): void {
    try {
      this.current?.compiled.evaluate(s);
    } catch (e) {
      if (isEngineError(e)) return this.form.showErrors(e.errors);
      throw e;
    }
    this.saved.push(s);
    this.renderSaved();
    byId("saved-heading").scrollIntoView({ block: "nearest" });
  }

  private renderStatus(): void {
    const r = this.report;
    const status = byId("policy-status");
    if (!r) return;
    const warnings = `${r.warnings.length} warning${r.warnings.length === 1 ? "" : "s"}`;
    status.className = `status ${r.valid ? "ok" : "bad"}`;
    status.textContent = r.valid
      ? `Valid policy · ${warnings}`
      : `${r.errors.length} error${r.errors.length === 1 ? "" : "s"} · ${warnings}`;
    (byId("save-policy") as HTMLButtonElement).disabled = !r.valid;
  }

  private renderProblems(): void {
    const r = this.report;
    const list = byId("problems");
    if (!r) return;
    const items = [
      ...r.errors.map((d) => ({ ...d, severity: "error" as const })),
      ...r.warnings.map((d) => ({ ...d, severity: "warning" as const })),
    ];
    if (items.length === 0) {
      fill(list, h("li", { class: "muted" }, "No problems."));
      return;
    }
    fill(
      list,
      items.map((d) =>
        h(
          "li",
          { class: `problem ${d.severity}`, "data-code": d.code, "data-line": d.line ?? "" },
          h(
            "button",
            {
              type: "button",
              class: "link",
              disabled: d.line === undefined,
              onclick: () => d.line !== undefined && this.editor.goTo(d.line, d.column ?? 1),
            },
            h("span", { class: `sev ${d.severity}` }, d.severity),
            h("span", { class: "where" }, d.line !== undefined ? `line ${d.line}, column ${d.column}` : d.pointer || "document"),
            h("code", {}, d.code),
            h("span", { class: "message" }, d.message),
          ),
          d.help ? h("p", { class: "help" }, d.help) : null,
        ),
      ),
    );
  }

  private renderPolicyViews(): void {
    const stale = byId("stale-tree");
    const invalid = this.report && !this.report.valid;
    stale.hidden = !invalid;
    stale.textContent = invalid ? "The policy in the editor has errors: these views show the last valid policy." : "";
    if (!this.current) return;
    const units = this.current.compiled.orgUnits();
    fill(byId("org-tree"), orgUnitTree(units));
    fill(byId("address-lists"), addressLists(this.current.doc));
    this.form.setOrgUnits(units.map((u) => u.path));
  }

  private renderDecision(): void {
    const box = byId("decision");
    if (!this.current) {
      fill(box, h("p", { class: "muted" }, "Fix the policy's errors to see decisions."));
      return;
    }
    const stale = this.report && !this.report.valid ? h("p", { class: "stale" }, "The policy in the editor has errors: this is the decision of the last valid policy.") : null;
    try {
      const decision = this.current.compiled.evaluate(this.scenario);
      this.form.showErrors([]);
      fill(box, stale, decisionView(decision, this.scenario, explain(decision)));
    } catch (e) {
      if (!isEngineError(e)) throw e;
      this.form.showErrors(e.errors);
      fill(box, h("p", { class: "muted" }, "Complete the scenario to see its decision."));
    }
  }

  private renderSaved(): void {
    if (!this.current) return;
    const current = this.current;
    const decide = (p: Loaded, s: Scenario) => {
      try {
        return { decision: p.compiled.evaluate(s), error: null };
      } catch (e) {
        return { decision: null, error: isEngineError(e) ? e.errors[0]?.code ?? e.kind : String(e) };
      }
    };
    let report = null;
    try {
      report = impact(this.baseline.doc, current.doc, this.saved);
    } catch {
      // A saved scenario the engine refuses is shown as such in its row.
    }
    const rows: SavedRow[] = this.saved.map((s, i) => {
      const before = decide(this.baseline, s);
      const after = decide(current, s);
      const changes = report?.scenarios[i];
      return {
        scenario: s,
        baseline: before.decision,
        current: after.decision,
        changed: !!changes && (changes.changes.length > 0 || changes.transaction !== null),
        error: after.error ?? before.error,
      };
    });
    fill(
      byId("saved"),
      savedTable(rows, {
        load: (i) => {
          this.form.load(this.saved[i]);
          byId("scenario-heading").focus();
        },
        remove: (i) => {
          this.saved.splice(i, 1);
          this.renderSaved();
        },
      }),
    );
    const whatif = byId("whatif");
    if (report) {
      fill(whatif, whatIfView(diff(this.baseline.doc, current.doc), report, this.saved.length));
    } else {
      fill(whatif, h("p", { class: "muted" }, "A saved scenario cannot be decided; remove or fix it to see the impact."));
    }
  }
}

function load(text: string): Loaded {
  const doc = JSON.parse(text) as PolicyDocument;
  return { text, doc, compiled: compile(doc) };
}

async function main(): Promise<void> {
  await init();
  new Simulator().start();
}

main().catch((e: unknown) => {
  const app = document.getElementById("app");
  if (app) app.replaceChildren(h("p", { class: "fatal", role: "alert" }, `The simulator could not start: ${String(e)}`));
  throw e;
});
