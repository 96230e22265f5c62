// Renders the engine's answers: the org-unit tree, the address lists, a decision, the saved
// scenarios under both policies, and the what-if (impact and audit-log diff). Every fact shown
// comes from the npm package; this file only lays it out.

import type {
  AuditEntry,
  Change,
  Decision,
  EffectiveSetting,
  ImpactReport,
  JsonValue,
  OrgUnitView,
  PolicyDocument,
  Reason,
  RecipientDecision,
  Requirement,
  Scenario,
} from "tls-compliance";

import { code, codeList, h, verdictBadge } from "./dom";

function requirementChips(r: { minTlsVersion: string; caSigned: boolean; hostname: boolean }): HTMLElement {
  return h(
    "span",
    { class: "reqs" },
    h("span", { class: "req" }, `TLS ≥ ${r.minTlsVersion}`),
    r.caSigned ? h("span", { class: "req" }, "CA-signed") : null,
    r.hostname ? h("span", { class: "req" }, "hostname") : null,
  );
}

function describeRequirement(r: Requirement | null): HTMLElement {
  return r ? requirementChips(r) : h("span", { class: "muted" }, "none (opportunistic TLS)");
}

function origin(s: EffectiveSetting): HTMLElement {
  if (s.inherited) return h("span", { class: "tag inherited" }, `inherited from ${s.orgUnit}`);
  if (s.replaces) return h("span", { class: "tag override" }, `overrides ${s.replaces}`);
  return h("span", { class: "tag local" }, "local");
}

function settingsTable(settings: EffectiveSetting[], caption: string): HTMLElement {
  if (settings.length === 0) return h("p", { class: "muted" }, "No settings apply here.");
  return h(
    "table",
    { class: "grid" },
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, ["Setting", "Origin", "State", "Messages", "Address lists", "Requires"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      settings.map((s) =>
        h(
          "tr",
          { class: s.enabled ? "" : "disabled" },
          h("th", { scope: "row" }, s.name),
          h("td", {}, origin(s)),
          h("td", {}, s.enabled ? "enabled" : "disabled"),
          h("td", {}, s.messages.length ? h("ul", { class: "plain" }, s.messages.map((m) => h("li", {}, m))) : h("span", { class: "muted" }, "none")),
          h("td", {}, s.addressLists.length ? s.addressLists.join(", ") : h("span", { class: "muted" }, "none")),
          h("td", {}, requirementChips({ minTlsVersion: s.minTlsVersion, caSigned: s.requireCaSignedCertificate, hostname: s.validateCertificateHostname })),
        ),
      ),
    ),
  );
}

/** The units as a nested tree, each with its members and effective settings. */
export function orgUnitTree(units: OrgUnitView[]): HTMLElement {
  const children = new Map<string | null, OrgUnitView[]>();
  for (const u of units) {
    const list = children.get(u.parent) ?? [];
    list.push(u);
    children.set(u.parent, list);
  }
  const node = (u: OrgUnitView): HTMLElement => {
    const enabled = u.settings.filter((s) => s.enabled).length;
    const kids = children.get(u.path) ?? [];
    return h(
      "li",
      { "data-org-unit": u.path },
      h(
        "details",
        { open: true },
        h(
          "summary",
          {},
          h("span", { class: "ou-path" }, u.path),
          h("span", { class: "tag" }, u.declared ? "declared" : "implicit"),
          h("span", { class: "muted" }, ` ${enabled} active setting${enabled === 1 ? "" : "s"}`),
          u.members.length ? h("span", { class: "muted" }, ` · ${u.members.length} member${u.members.length === 1 ? "" : "s"}`) : null,
        ),
        u.members.length ? h("p", { class: "members" }, "Members: ", codeList(u.members)) : null,
        settingsTable(u.settings, `Effective settings of ${u.path}`),
        kids.length ? h("ul", { class: "tree" }, kids.map(node)) : null,
      ),
    );
  };
  return h("ul", { class: "tree root" }, (children.get(null) ?? []).map(node));
}

/** The address lists, their entries as written, and the settings that use each. */
export function addressLists(doc: PolicyDocument): HTMLElement {
  const lists = doc.addressLists ?? [];
  if (lists.length === 0) return h("p", { class: "muted" }, "The policy has no address lists.");
  const usedBy = (name: string) =>
    (doc.orgUnits ?? []).flatMap((ou) => (ou.settings ?? []).filter((s) => (s.addressLists ?? []).includes(name)).map((s) => `${s.name} (${ou.path})`));
  return h(
    "table",
    { class: "grid" },
    h("caption", { class: "visually-hidden" }, "Address lists"),
    h("thead", {}, h("tr", {}, ["List", "Entries", "Used by"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      lists.map((l) => {
        const tokens = (l.entries ?? []).flatMap((s) => s.split(/[\s,]+/).filter(Boolean));
        const shown = tokens.slice(0, 40);
        const users = usedBy(l.name);
        return h(
          "tr",
          {},
          h("th", { scope: "row" }, l.name),
          h("td", {}, h("span", { class: "chips" }, shown.map((t) => code(t))), tokens.length > shown.length ? h("span", { class: "muted" }, ` … and ${tokens.length - shown.length} more`) : null),
          h("td", {}, users.length ? users.join("; ") : h("span", { class: "muted" }, "not used")),
        );
      }),
    ),
  );
}

function reasonItem(r: Reason): HTMLElement {
  return h(
    "li",
    {},
    h("strong", {}, r.setting),
    ` from ${r.orgUnit}`,
    r.inherited ? h("span", { class: "tag inherited" }, "inherited") : h("span", { class: "tag local" }, "local"),
    r.addressList ? [" · list ", code(r.addressList), " · entry ", code(r.entry ?? "")] : " · applies because another outbound setting requires secure transport",
  );
}

function recipientRow(r: RecipientDecision): HTMLElement {
  return h(
    "tr",
    { class: `verdict-row-${r.verdict}` },
    h("th", { scope: "row" }, code(r.address)),
    h("td", {}, verdictBadge(r.verdict)),
    h("td", {}, describeRequirement(r.requirement)),
    h("td", {}, r.failures.length ? h("ul", { class: "plain" }, r.failures.map((f) => h("li", {}, code(f)))) : h("span", { class: "muted" }, "none")),
    h("td", {}, r.status ?? h("span", { class: "muted" }, "—")),
    h("td", { class: "reply" }, r.reply ? code(r.reply) : h("span", { class: "muted" }, "none sent")),
    h("td", {}, r.reasons.length ? h("ul", { class: "plain reasons" }, r.reasons.map(reasonItem)) : h("span", { class: "muted" }, "no setting applies")),
  );
}

/** A decision as a table, recipient by recipient, with the transaction and the raw JSON. */
export function decisionView(d: Decision, scenario: Scenario, explanation: string): HTMLElement {
  return h(
    "div",
    {},
    h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        { class: "grid decision", "data-testid": "decision-table" },
        h("caption", { class: "visually-hidden" }, "Decision for each recipient"),
        h("thead", {}, h("tr", {}, ["Recipient", "Verdict", "Requirement", "Failures", "Status", "SMTP reply", "Reasons"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, d.recipients.map(recipientRow)),
        h(
          "tfoot",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "row" }, "Transaction"),
            h("td", { "data-testid": "transaction-verdict" }, verdictBadge(d.transaction.verdict)),
            h("td", { colspan: 5, class: "reply" }, d.transaction.reply ? code(d.transaction.reply) : h("span", { class: "muted" }, "no refusal")),
          ),
        ),
      ),
    ),
    h("details", {}, h("summary", {}, "In words"), h("pre", { class: "explain" }, explanation)),
    h("details", {}, h("summary", {}, "Scenario and decision as JSON"), h("pre", { "data-testid": "scenario-json" }, JSON.stringify(scenario, null, 2)), h("pre", { "data-testid": "decision-json" }, JSON.stringify(d, null, 2))),
  );
}

export interface SavedRow {
  scenario: Scenario;
  baseline: Decision | null;
  current: Decision | null;
  changed: boolean;
  error: string | null;
}

/** The saved scenarios, each decided under the baseline and under the current policy. */
export function savedTable(rows: SavedRow[], actions: { load: (i: number) => void; remove: (i: number) => void }): HTMLElement {
  if (rows.length === 0) return h("p", { class: "muted" }, "No saved scenarios. Build one above and save it.");
  const verdict = (d: Decision | null) => (d ? verdictBadge(d.transaction.verdict) : h("span", { class: "muted" }, "—"));
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { class: "grid saved", "data-testid": "saved-table" },
      h("caption", { class: "visually-hidden" }, "Saved scenarios under the baseline and the current policy"),
      h("thead", {}, h("tr", {}, ["#", "Scenario", "Direction", "Baseline", "Now", "Outcome", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        rows.map((r, i) =>
          h(
            "tr",
            { class: r.changed ? "changed" : "", "data-changed": r.changed ? "true" : "false" },
            h("td", {}, String(i + 1)),
            h("th", { scope: "row" }, r.scenario.name ?? h("span", { class: "muted" }, "(unnamed)")),
            h("td", {}, r.scenario.direction),
            h("td", {}, verdict(r.baseline)),
            h("td", {}, verdict(r.current)),
            h("td", {}, r.error ? h("span", { class: "tag error" }, r.error) : r.changed ? h("span", { class: "tag changed" }, "changes") : h("span", { class: "muted" }, "same")),
            h(
              "td",
              { class: "row-actions" },
              h("button", { type: "button", class: "secondary small", "aria-label": `Load scenario ${i + 1} into the builder`, onclick: () => actions.load(i) }, "Load"),
              h("button", { type: "button", class: "secondary small", "aria-label": `Remove saved scenario ${i + 1}`, onclick: () => actions.remove(i) }, "Remove"),
            ),
          ),
        ),
      ),
    ),
  );
}

const value = (v: JsonValue): string => (typeof v === "string" ? v : JSON.stringify(v));

function changeItem(c: Change): HTMLElement {
  switch (c.change) {
    case "addressListAdded":
      return h("li", {}, "Address list ", code(c.list), " added with ", codeList(c.entries));
    case "addressListRemoved":
      return h("li", {}, "Address list ", code(c.list), " removed");
    case "entriesAdded":
      return h("li", {}, "Entries added to ", code(c.list), ": ", codeList(c.entries));
    case "entriesRemoved":
      return h("li", {}, "Entries removed from ", code(c.list), ": ", codeList(c.entries));
    case "orgUnitAdded":
      return h("li", {}, "Org unit ", code(c.orgUnit), " now declares settings");
    case "orgUnitRemoved":
      return h("li", {}, "Org unit ", code(c.orgUnit), " no longer declared");
    case "settingAdded":
      return h("li", {}, "Setting ", code(c.setting), " added in ", code(c.orgUnit));
    case "settingRemoved":
      return h("li", {}, "Setting ", code(c.setting), " removed from ", code(c.orgUnit));
    case "settingChanged":
      return h("li", {}, "Setting ", code(c.setting), " in ", code(c.orgUnit), ": ", code(c.field), " ", code(value(c.before)), " → ", code(value(c.after)));
    case "memberAdded":
      return h("li", {}, "Member ", code(c.member), " added to ", code(c.orgUnit));
    case "memberRemoved":
      return h("li", {}, "Member ", code(c.member), " removed from ", code(c.orgUnit));
    case "memberMoved":
      return h("li", {}, "Member ", code(c.member), " moved from ", code(c.before), " to ", code(c.after));
  }
}

/** A recipient's outcome; with its requirement when that is part of what changed. */
function outcome(r: RecipientDecision, withRequirement: boolean): (HTMLElement | string)[] {
  return [
    verdictBadge(r.verdict),
    withRequirement ? [" ", describeRequirement(r.requirement)] : "",
    r.failures.length ? ` ${r.failures.join(", ")}` : "",
  ].flat();
}

/** What changes since the baseline: the audit-log entry and the saved scenarios it alters. */
export function whatIfView(entry: AuditEntry, report: ImpactReport, scenarioCount: number): HTMLElement {
  const changed = report.scenarios.filter((s) => s.changes.length > 0 || s.transaction);
  return h(
    "div",
    { "data-testid": "whatif" },
    h(
      "p",
      { class: "summary" },
      entry.changes.length === 0
        ? "The policy in the editor is the baseline: nothing has changed."
        : `${entry.changes.length} change${entry.changes.length === 1 ? "" : "s"} to the policy; ${report.changedScenarios} of ${scenarioCount} saved scenario${scenarioCount === 1 ? "" : "s"} change (${report.changedRecipients} recipient${report.changedRecipients === 1 ? "" : "s"}).`,
    ),
    entry.changes.length ? h("div", {}, h("h3", {}, "Audit log"), h("ul", { class: "audit", "data-testid": "audit-log" }, entry.changes.map(changeItem))) : null,
    changed.length
      ? h(
          "div",
          {},
          h("h3", {}, "Affected mail"),
          h(
            "ul",
            { class: "impact" },
            changed.map((s) =>
              h(
                "li",
                {},
                h("strong", {}, s.name ?? `Scenario ${s.index + 1}`),
                h(
                  "ul",
                  { class: "plain" },
                  s.changes.map((c) => {
                    const req = JSON.stringify(c.before.requirement) !== JSON.stringify(c.after.requirement);
                    return h("li", {}, code(c.address), ": ", ...outcome(c.before, req), " → ", ...outcome(c.after, req));
                  }),
                  s.transaction ? h("li", {}, "transaction: ", verdictBadge(s.transaction.before.verdict), " → ", verdictBadge(s.transaction.after.verdict)) : null,
                ),
              ),
            ),
          ),
        )
      : null,
  );
}
