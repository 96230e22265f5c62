// The scenario builder: direction, sender or From:, recipients and the TLS facts, as a form of
// native controls (labels, fieldsets, buttons), turned into a SPEC §4 scenario.

import type {
  CertificateTrust,
  Direction,
  HostnameCheck,
  RecipientSpec,
  Scenario,
  TlsFacts,
  TlsVersion,
  ValidationError,
} from "tls-compliance";

import { fill, h } from "./dom";

interface RecipientRow {
  address: string;
  secureTransportRequired: boolean;
  orgUnit: string;
  /** A recipient's own connection, kept as loaded (the form edits the scenario's connection). */
  connection?: TlsFacts;
}

interface FormState {
  name: string;
  direction: Direction;
  sender: string;
  senderOrgUnit: string;
  from: string;
  recipients: RecipientRow[];
  tls: "" | "on" | "off";
  version: "" | TlsVersion;
  trust: "" | CertificateTrust;
  hostname: "" | HostnameCheck;
}

const TLS_VERSIONS: TlsVersion[] = ["1.0", "1.1", "1.2", "1.3"];
const TRUSTS: CertificateTrust[] = ["ca-signed", "self-signed", "untrusted", "expired", "absent"];
const HOSTNAMES: HostnameCheck[] = ["match", "mismatch"];

/** The state a scenario describes (what the form can show of it). */
function stateOf(s: Scenario): FormState {
  const c = s.connection ?? {};
  return {
    name: s.name ?? "",
    direction: s.direction,
    sender: s.sender ?? "",
    senderOrgUnit: s.senderOrgUnit ?? "",
    from: s.from ?? "",
    recipients: s.recipients.map((r) =>
      typeof r === "string"
        ? { address: r, secureTransportRequired: false, orgUnit: "" }
        : { address: r.address, secureTransportRequired: r.secureTransportRequired ?? false, orgUnit: r.orgUnit ?? "", connection: r.connection },
    ),
    tls: c.tls === undefined ? "" : c.tls ? "on" : "off",
    version: c.version ?? "",
    trust: c.certificate?.trust ?? "",
    hostname: c.certificate?.hostname ?? "",
  };
}

/** The scenario a state describes: empty fields are left out (unknown), as SPEC §4 reads them. */
function scenarioOf(f: FormState): Scenario {
  // Fields in the order of the scenario's JSON form (SPEC §4), so the JSON shown reads as written.
  const scenario = {} as Scenario;
  if (f.name.trim()) scenario.name = f.name.trim();
  scenario.direction = f.direction;
  if (f.direction === "outbound") {
    if (f.sender.trim()) scenario.sender = f.sender.trim();
    if (f.senderOrgUnit.trim()) scenario.senderOrgUnit = f.senderOrgUnit.trim();
  } else if (f.from.trim()) {
    scenario.from = f.from.trim();
  }
  scenario.recipients = f.recipients.map((r): RecipientSpec => {
    const secure = f.direction === "outbound" && r.secureTransportRequired;
    const orgUnit = f.direction === "inbound" ? r.orgUnit.trim() : "";
    if (!secure && !orgUnit && !r.connection) return r.address.trim();
    return {
      address: r.address.trim(),
      ...(secure ? { secureTransportRequired: true } : {}),
      ...(r.connection ? { connection: r.connection } : {}),
      ...(orgUnit ? { orgUnit } : {}),
    };
  });
  const connection: TlsFacts = {};
  if (f.tls) connection.tls = f.tls === "on";
  if (f.tls !== "off") {
    if (f.version) connection.version = f.version;
    if (f.trust || f.hostname) {
      connection.certificate = {};
      if (f.trust) connection.certificate.trust = f.trust;
      if (f.hostname) connection.certificate.hostname = f.hostname;
    }
  }
  if (Object.keys(connection).length > 0) scenario.connection = connection;
  return scenario;
}

function select(id: string, options: [string, string][], value: string, attrs: Record<string, string> = {}): HTMLSelectElement {
  return h("select", { id, name: id, ...attrs }, options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
}

export class ScenarioForm {
  private state: FormState;
  private readonly errorBox: HTMLElement;
  private readonly recipientsBox: HTMLElement;
  private orgUnitPaths: string[] = [];

  constructor(
    private readonly form: HTMLFormElement,
    private readonly onChange: (scenario: Scenario) => void,
    private readonly onSave: (scenario: Scenario) => void,
    initial: Scenario,
  ) {
    this.state = stateOf(initial);
    this.errorBox = h("div", { class: "form-errors", role: "alert", "aria-live": "assertive" });
    this.recipientsBox = h("div", { class: "recipients" });
    form.addEventListener("input", () => this.read());
    form.addEventListener("change", () => this.read());
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.onSave(this.value());
    });
    this.render();
  }

  /** The scenario the form describes. */
  value(): Scenario {
    return scenarioOf(this.state);
  }

  /** Shows a scenario in the form. */
  load(scenario: Scenario): void {
    this.state = stateOf(scenario);
    this.render();
    this.onChange(this.value());
  }

  /** Org unit paths to suggest for the OU fields. */
  setOrgUnits(paths: string[]): void {
    this.orgUnitPaths = paths;
    const list = this.form.querySelector("#org-unit-paths");
    if (list) fill(list, paths.map((p) => h("option", { value: p })));
  }

  /** Marks the fields the engine refused, or clears the marks. */
  showErrors(errors: ValidationError[]): void {
    for (const el of this.form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    fill(this.errorBox);
    if (errors.length === 0) return;
    fill(
      this.errorBox,
      h("p", {}, "The engine cannot decide this scenario:"),
      h("ul", {}, errors.map((e) => h("li", {}, h("code", {}, e.code), ` ${e.message}`, e.pointer ? ` (at ${e.pointer})` : ""))),
    );
    for (const e of errors) {
      const field = this.fieldFor(e.pointer);
      field?.setAttribute("aria-invalid", "true");
    }
  }

  private fieldFor(pointer: string): Element | null {
    const r = pointer.match(/^\/recipients\/(\d+)/);
    if (r) return this.form.querySelector(`#recipient-${r[1]}-address`);
    if (pointer.startsWith("/connection")) return this.form.querySelector("#scenario-tls");
    const map: Record<string, string> = { "/sender": "#scenario-sender", "/senderOrgUnit": "#scenario-sender-ou", "/from": "#scenario-from", "/recipients": "#add-recipient" };
    return map[pointer] ? this.form.querySelector(map[pointer]) : null;
  }

  private read(): void {
    const f = this.form;
    const val = (id: string) => (f.querySelector(`#${id}`) as HTMLInputElement | HTMLSelectElement | null)?.value ?? "";
    const direction = (f.querySelector('input[name="direction"]:checked') as HTMLInputElement | null)?.value as Direction | undefined;
    const previous = this.state;
    this.state = {
      name: val("scenario-name"),
      direction: direction ?? "outbound",
      sender: val("scenario-sender"),
      senderOrgUnit: val("scenario-sender-ou"),
      from: val("scenario-from"),
      recipients: previous.recipients.map((r, i) => ({
        ...r,
        address: val(`recipient-${i}-address`),
        secureTransportRequired: (f.querySelector(`#recipient-${i}-secure`) as HTMLInputElement | null)?.checked ?? r.secureTransportRequired,
        orgUnit: val(`recipient-${i}-ou`) || (previous.direction === "inbound" ? "" : r.orgUnit),
      })),
      tls: val("scenario-tls") as FormState["tls"],
      version: val("scenario-version") as FormState["version"],
      trust: val("scenario-trust") as FormState["trust"],
      hostname: val("scenario-hostname") as FormState["hostname"],
    };
    if (previous.direction !== this.state.direction || previous.tls !== this.state.tls) {
      // Which fields apply changed: show the ones that do, keeping the focus where it was.
      const focused = document.activeElement?.id;
      this.render();
      if (focused) (document.getElementById(focused) as HTMLElement | null)?.focus();
    }
    this.onChange(this.value());
  }

  private render(): void {
    const s = this.state;
    const outbound = s.direction === "outbound";
    const tlsOff = s.tls === "off";
    const radio = (value: Direction, label: string) =>
      h("label", { class: "radio" }, h("input", { type: "radio", name: "direction", value, checked: s.direction === value }), ` ${label}`);
    fill(
      this.form,
      h("div", { class: "field" }, h("label", { for: "scenario-name" }, "Name"), h("input", { id: "scenario-name", type: "text", value: s.name, placeholder: "What this scenario checks" })),
      h("fieldset", { class: "inline" }, h("legend", {}, "Direction"), radio("outbound", "Outbound (sent by the organisation)"), radio("inbound", "Inbound (received)")),
      outbound
        ? h(
            "div",
            { class: "row" },
            h("div", { class: "field" }, h("label", { for: "scenario-sender" }, "Sender (MAIL FROM)"), h("input", { id: "scenario-sender", type: "text", value: s.sender, placeholder: "alice@corp.example", autocomplete: "off" })),
            h("div", { class: "field" }, h("label", { for: "scenario-sender-ou" }, "Sender's org unit (optional)"), h("input", { id: "scenario-sender-ou", type: "text", value: s.senderOrgUnit, list: "org-unit-paths", placeholder: "from members" })),
          )
        : h("div", { class: "field" }, h("label", { for: "scenario-from" }, "From: header"), h("input", { id: "scenario-from", type: "text", value: s.from, placeholder: "Tax Office <notices@tax.gov.example>", autocomplete: "off" })),
      h("fieldset", {}, h("legend", {}, "Recipients"), this.recipientsBox, h("button", { type: "button", id: "add-recipient", class: "secondary small", onclick: () => this.addRecipient() }, "Add recipient")),
      h(
        "fieldset",
        {},
        h("legend", {}, "TLS facts of the connection"),
        h(
          "div",
          { class: "row four" },
          h("div", { class: "field" }, h("label", { for: "scenario-tls" }, "TLS"), select("scenario-tls", [["", "unknown"], ["on", "on"], ["off", "off (plaintext)"]], s.tls)),
          h("div", { class: "field" }, h("label", { for: "scenario-version" }, "Version"), select("scenario-version", [["", "unknown"], ...TLS_VERSIONS.map((v): [string, string] => [v, `TLS ${v}`])], s.version, tlsOff ? { disabled: "" } : {})),
          h("div", { class: "field" }, h("label", { for: "scenario-trust" }, "Certificate trust"), select("scenario-trust", [["", "unknown"], ...TRUSTS.map((t): [string, string] => [t, t])], s.trust, tlsOff ? { disabled: "" } : {})),
          h("div", { class: "field" }, h("label", { for: "scenario-hostname" }, "Certificate hostname"), select("scenario-hostname", [["", "unknown"], ...HOSTNAMES.map((t): [string, string] => [t, t])], s.hostname, tlsOff ? { disabled: "" } : {})),
        ),
        tlsOff ? h("p", { class: "hint" }, "Without TLS there is no version or certificate to check.") : null,
      ),
      h("datalist", { id: "org-unit-paths" }, this.orgUnitPaths.map((p) => h("option", { value: p }))),
      this.errorBox,
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit", id: "save-scenario" }, "Save scenario"),
        h("button", { type: "button", id: "new-scenario", class: "secondary", onclick: () => this.load({ direction: "outbound", sender: "", recipients: [""] }) }, "New scenario"),
      ),
    );
    this.renderRecipients();
  }

  private renderRecipients(): void {
    const s = this.state;
    const outbound = s.direction === "outbound";
    fill(
      this.recipientsBox,
      s.recipients.map((r, i) =>
        h(
          "div",
          { class: "recipient-row" },
          h("div", { class: "field grow" }, h("label", { for: `recipient-${i}-address` }, `Recipient ${i + 1}`), h("input", { id: `recipient-${i}-address`, type: "text", value: r.address, placeholder: "bob@partner.example", autocomplete: "off" })),
          outbound
            ? h("label", { class: "check" }, h("input", { type: "checkbox", id: `recipient-${i}-secure`, checked: r.secureTransportRequired }), " Secure transport required by another setting")
            : h("div", { class: "field" }, h("label", { for: `recipient-${i}-ou` }, "Org unit (optional)"), h("input", { id: `recipient-${i}-ou`, type: "text", value: r.orgUnit, list: "org-unit-paths", placeholder: "from members" })),
          r.connection ? h("span", { class: "tag", title: JSON.stringify(r.connection) }, "own connection") : null,
          h("button", { type: "button", class: "secondary small", "aria-label": `Remove recipient ${i + 1}`, disabled: s.recipients.length === 1, onclick: () => this.removeRecipient(i) }, "Remove"),
        ),
      ),
    );
  }

  private addRecipient(): void {
    this.state.recipients.push({ address: "", secureTransportRequired: false, orgUnit: "" });
    this.renderRecipients();
    (this.form.querySelector(`#recipient-${this.state.recipients.length - 1}-address`) as HTMLInputElement | null)?.focus();
    this.onChange(this.value());
  }

  private removeRecipient(i: number): void {
    this.state.recipients.splice(i, 1);
    this.renderRecipients();
    (this.form.querySelector(`#recipient-${Math.max(0, i - 1)}-address`) as HTMLInputElement | null)?.focus();
    this.onChange(this.value());
  }
}
