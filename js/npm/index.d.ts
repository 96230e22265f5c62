/**
 * tls-compliance: the mail "Secure transport (TLS) compliance" decision engine, compiled to
 * WebAssembly. The same decisions as the `tls-compliance` command line, byte for byte in JSON, in
 * browsers, Node and bundlers.
 *
 * Inputs and outputs are the JSON shapes of the product's SPEC (§2–7) as plain objects: a result's
 * `JSON.stringify` is the command line's JSON. Invalid input of any kind throws a
 * {@link TlsComplianceError} whose `errors` hold the validation errors.
 *
 * These types are written by hand and checked against the Rust types: field names, optional
 * fields and every enum's values are compared with the Rust source, and every decision, report
 * and error of the conformance corpus type-checks against them (`js/test/`).
 *
 * @example
 * ```ts
 * import init, { compile } from "tls-compliance";
 * await init(); // loads the .wasm in browsers; does nothing in Node and bundlers
 * const policy = compile(doc);
 * const decision = policy.evaluate({ direction: "outbound", sender: "alice@corp.example",
 *   recipients: ["bob@partner.example"], connection: { tls: false } });
 * decision.transaction.verdict; // "bounce"
 * ```
 * @packageDocumentation
 */

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

/** What {@link init} can load the WebAssembly module from. */
export type InitInput =
  | RequestInfo
  | URL
  | Response
  | BufferSource
  | WebAssembly.Module;

/** What {@link initSync} can instantiate synchronously. */
export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Loads and instantiates the WebAssembly module. Call it once, and await it, before anything else.
 * In a browser without an argument it fetches the `.wasm` that sits beside the module (bundlers
 * such as Vite emit it as an asset). In Node and through the `bundler` build the module is already
 * loaded and this resolves at once. Calling it again is harmless.
 *
 * @param input - where to load the module from (`{ module_or_path }`), for a page that serves the
 *   `.wasm` elsewhere.
 */
export default function init(
  input?:
    | { module_or_path: InitInput | Promise<InitInput> }
    | InitInput
    | Promise<InitInput>,
): Promise<unknown>;

/**
 * Instantiates the module synchronously from its bytes or a compiled `WebAssembly.Module`
 * (browsers; a no-op in Node and through the `bundler` build).
 *
 * @param module - the `.wasm` bytes or module, as `{ module }`.
 */
export function initSync(module?: { module: SyncInitInput } | SyncInitInput): unknown;

// ---------------------------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------------------------

/**
 * Validates a policy document and lints it. Never throws: a value that is not a policy document
 * at all is reported in `errors` too.
 *
 * @param doc - a policy document (SPEC §2).
 * @returns `valid` (no errors), every validation error, and lint warnings.
 */
export function validate(doc: PolicyDocument): ValidationReport;

/**
 * Parses, validates and lints policy *text*, as an editor has it. Every error and warning carries
 * its `line` and `column` (1-based; columns count characters). Never throws. The same report as
 * `tls-compliance check`.
 *
 * @param text - the policy as JSON text.
 */
export function validateText(text: string): ValidationReport;

/**
 * Validates and compiles `doc`, then decides `scenario`: the one-shot form of
 * {@link CompiledPolicy.evaluate}. To decide many scenarios, {@link compile} once instead.
 *
 * @param doc - a policy document.
 * @param scenario - one scenario, or an array of them.
 * @returns the decision (SPEC §5), or one per scenario for an array.
 * @throws {@link TlsComplianceError} `invalidPolicy`, `invalidScenario` (in an array, pointers are
 *   under `/<index>`) or `fault`.
 */
export function evaluate(doc: PolicyDocument, scenario: Scenario): Decision;
export function evaluate(doc: PolicyDocument, scenario: Scenario[]): Decision[];

/**
 * Validates and compiles a policy document once, for many decisions. The handle holds the
 * compiled policy in WebAssembly memory; {@link CompiledPolicy.free} releases it at once (a
 * garbage-collected handle is released too, where the engine supports `FinalizationRegistry`).
 *
 * @param doc - a policy document.
 * @throws {@link TlsComplianceError} `invalidPolicy`, with every validation error.
 */
export function compile(doc: PolicyDocument): CompiledPolicy;

/**
 * Like {@link compile}, from policy text: a thrown error's `errors` carry line and column.
 *
 * @param text - the policy as JSON text.
 * @throws {@link TlsComplianceError} `invalidPolicy`.
 */
export function compileText(text: string): CompiledPolicy;

/**
 * What a policy change does to mail: every scenario is decided under both policies, and the
 * recipients whose verdict, requirement, failures or reply change are reported with both
 * decisions (SPEC §7).
 *
 * @param before - the policy before the change.
 * @param after - the policy after it.
 * @param scenarios - the scenarios to try (an array, or one object).
 * @throws {@link TlsComplianceError} `invalidPolicy` (`input` names `before` or `after`),
 *   `invalidScenario` (pointers under `/<index>` for an array) or `fault`.
 */
export function impact(
  before: PolicyDocument,
  after: PolicyDocument,
  scenarios: Scenario[] | Scenario,
): ImpactReport;

/**
 * A policy change as an audit-log entry: lists and entries added or removed, settings added,
 * removed or changed field by field per unit, members added, removed or moved (SPEC §7). Both
 * policies must be valid.
 *
 * @param before - the policy before the change.
 * @param after - the policy after it.
 * @throws {@link TlsComplianceError} `invalidPolicy` (`input` names `before` or `after`).
 */
export function diff(before: PolicyDocument, after: PolicyDocument): AuditEntry;

/**
 * Explains a decision in words, recipient by recipient (the command line's `--format text`).
 *
 * @param decision - a decision returned by {@link evaluate}.
 * @throws {@link TlsComplianceError} `invalidInput` when it is not a decision.
 */
export function explain(decision: Decision): string;

/**
 * A validated, compiled policy. Decisions read it in place: nothing is copied or parsed again.
 * Create one with {@link compile} or {@link compileText}.
 */
export class CompiledPolicy {
  private constructor();
  /** Releases the compiled policy's WebAssembly memory now; the handle is unusable after. */
  free(): void;
  /** The same as {@link CompiledPolicy.free}, for `using`. */
  [Symbol.dispose](): void;
  /**
   * Decides a scenario, or each of an array of them.
   *
   * @param scenario - one scenario, or an array.
   * @throws {@link TlsComplianceError} `invalidScenario` or `fault`.
   */
  evaluate(scenario: Scenario): Decision;
  evaluate(scenario: Scenario[]): Decision[];
  /** Lint warnings for the policy (SPEC §6), in document order. */
  lint(): LintWarning[];
  /**
   * Every organizational unit that exists — `/`, each declared unit, each member's unit and their
   * ancestors — parents before children, with its members and effective settings (SPEC §3).
   */
  orgUnits(): OrgUnitView[];
  /**
   * The effective settings of the unit at `path`, disabled ones included. A path the policy does
   * not declare inherits from its ancestors.
   *
   * @param path - `/` or `/Parent/Child`.
   * @throws {@link TlsComplianceError} `invalidInput` for a path that is not one.
   */
  effectiveSettings(path: string): EffectiveSetting[];
  /** The number of address-list entries indexed. */
  readonly entryCount: number;
}

/**
 * What every function throws: a JS `Error` with the validation errors as data. (A type, not a
 * class: test with `err.name === "TlsComplianceError"` or `"errors" in err`.)
 */
export interface TlsComplianceError extends Error {
  name: "TlsComplianceError";
  /** What is wrong, as the command line's `error`. */
  kind: "invalidPolicy" | "invalidScenario" | "invalidInput" | "fault";
  /** The argument at fault (`policy`, `scenario`, `before`, `after`, `scenarios`, `decision`, `path`); null for a fault. */
  input: string | null;
  /** The validation errors (SPEC §6); empty for a fault. */
  errors: ValidationError[];
  /** For a fault: the SMTP reply a host sends (`451 4.3.0 …`), so the sender retries. */
  reply?: string;
}

// ---------------------------------------------------------------------------------------------
// Policy document (SPEC §2)
// ---------------------------------------------------------------------------------------------

/** A TLS-compliance policy: address lists, members' organizational units, and settings per unit. */
export interface PolicyDocument {
  /** Format version; must be `1`. */
  version: number;
  /** Named lists of addresses and domains that settings refer to (at most 2,000). */
  addressLists?: AddressList[];
  /** Members' addresses and the unit each belongs to. Members not listed belong to `/`. */
  members?: Record<string, string>;
  /** Organizational units and the settings each defines. */
  orgUnits?: OrgUnit[];
}

/** A named list of addresses and domains. */
export interface AddressList {
  /** The list's name, as settings refer to it. */
  name: string;
  /**
   * Each string holds one or more entries separated by whitespace and/or commas: `local@domain`
   * (one address), `domain` (that domain only), `*.domain` (any subdomain, not the domain itself)
   * or `@domain` (same as `domain`). At most 100,000 entries.
   */
  entries?: string[];
}

/** An organizational unit and the settings it adds or overrides. */
export interface OrgUnit {
  /** `/` or `/Parent/Child`; missing ancestors exist implicitly with no settings of their own. */
  path: string;
  /** Settings added here, in order. One named like an inherited setting replaces it here and below. */
  settings?: Setting[];
}

/** One "Secure transport (TLS) compliance" setting. */
export interface Setting {
  /** The setting's name; a unit overrides an inherited setting by reusing its name. */
  name: string;
  /** Whether the setting takes part (default `true`). */
  enabled?: boolean;
  /** Messages affected. */
  messages?: MessageKind[];
  /** Names of the address lists whose addresses this setting covers. */
  addressLists?: string[];
  /** Require a CA-signed certificate (default `false`; recommended). */
  requireCaSignedCertificate?: boolean;
  /** Validate the certificate hostname (default `false`; recommended). */
  validateCertificateHostname?: boolean;
  /** Lowest TLS version allowed (default `"1.0"`). */
  minTlsVersion?: TlsVersion;
}

/**
 * Which messages a setting affects: inbound (the header `From:` is matched), outbound (each
 * recipient is matched), or outbound mail for which another outbound setting already requires
 * secure transport.
 */
export type MessageKind = "inbound" | "outbound" | "outboundRequiringSecureTransport";

/** A TLS protocol version. */
export type TlsVersion = "1.0" | "1.1" | "1.2" | "1.3";

// ---------------------------------------------------------------------------------------------
// Scenario (SPEC §4)
// ---------------------------------------------------------------------------------------------

/** Which way a message travels. */
export type Direction = "inbound" | "outbound";

/** One message: who sends it, who receives it, and what is known of the TLS connection. */
export interface Scenario {
  /** A label (shown by `impact`); it plays no part in the decision. */
  name?: string;
  /** Inbound or outbound. */
  direction: Direction;
  /** Envelope sender (`MAIL FROM`). Outbound: its unit (from `members`) is the one whose settings apply. */
  sender?: string;
  /** Outbound: the sender's unit, overriding the `members` lookup. */
  senderOrgUnit?: string;
  /** The RFC 5322 `From:` header value; inbound mail is matched on its one mailbox. */
  from?: string;
  /** Envelope recipients, as addresses or objects with per-recipient facts. */
  recipients: RecipientSpec[];
  /** TLS facts of the SMTP connection; absent facts are unknown. */
  connection?: TlsFacts;
}

/** A recipient: a bare address, or an address with facts of its own. */
export type RecipientSpec = string | Recipient;

/** A recipient with facts of its own. */
export interface Recipient {
  /** The envelope recipient address. */
  address: string;
  /** Another outbound setting (routing, say) already requires secure transport for it. */
  secureTransportRequired?: boolean;
  /** The connection this recipient's mail travels over; replaces the scenario's as a whole. */
  connection?: TlsFacts;
  /** Inbound: the recipient's unit, overriding the `members` lookup. */
  orgUnit?: string;
}

/** What is known of a TLS connection. Every field is optional: absent means unknown. */
export interface TlsFacts {
  /** Whether the connection is encrypted. */
  tls?: boolean;
  /** The negotiated TLS version. */
  version?: TlsVersion;
  /** What is known of the peer's certificate. */
  certificate?: CertificateFacts;
}

/** What is known of the peer's certificate. */
export interface CertificateFacts {
  /** Whether the chain is trusted. */
  trust?: CertificateTrust;
  /** Whether the certificate names the host that was connected to. */
  hostname?: HostnameCheck;
}

/** Whether a certificate chain is trusted. */
export type CertificateTrust = "ca-signed" | "self-signed" | "untrusted" | "expired" | "absent";

/** Whether the certificate names the host connected to. */
export type HostnameCheck = "match" | "mismatch";

// ---------------------------------------------------------------------------------------------
// Decision (SPEC §5)
// ---------------------------------------------------------------------------------------------

/** The decision for one scenario. */
export interface Decision {
  /** The scenario's direction. */
  direction: Direction;
  /** One decision per recipient, in the scenario's order. */
  recipients: RecipientDecision[];
  /** The verdict for the SMTP transaction as a whole. */
  transaction: TransactionDecision;
}

/** The decision for one recipient. */
export interface RecipientDecision {
  /** The recipient's canonical address. */
  address: string;
  /** What happens to the message for this recipient. */
  verdict: Verdict;
  /** The strictest combination of the applying settings; null when none applies. */
  requirement: Requirement | null;
  /** Every unmet part of the requirement, in SPEC's table order. */
  failures: Failure[];
  /** The enhanced status code of the first failure (`5.7.10`, `5.7.5`); null when delivered or accepted. */
  status: string | null;
  /** The SMTP reply line a host sends (`550 5.7.5 …`); null where none is sent. */
  reply: string | null;
  /** Each applying setting, in effective-settings order. */
  reasons: Reason[];
}

/** The verdict for the whole SMTP transaction. */
export interface TransactionDecision {
  /** The most severe recipient verdict. */
  verdict: Verdict;
  /** The first rejected or bounced recipient's reply, else null. */
  reply: string | null;
}

/**
 * What happens to a message: outbound `deliver` or `bounce` (returned to the sender with a
 * non-delivery report after one attempt); inbound `accept` or `reject`; `tlsRequired` when no
 * known fact fails but a required fact is unknown.
 */
export type Verdict = "deliver" | "bounce" | "accept" | "reject" | "tlsRequired";

/** What the connection must satisfy. */
export interface Requirement {
  /** Always true: some setting applies, so TLS is required. */
  tls: boolean;
  /** A CA-signed certificate is required. */
  caSigned: boolean;
  /** The certificate must name the host. */
  hostname: boolean;
  /** The lowest TLS version allowed. */
  minTlsVersion: TlsVersion;
}

/** An unmet part of a requirement, in TLS-RPT (RFC 8460) vocabulary. */
export type Failure =
  | "starttls-not-supported"
  | "tls-version-too-low"
  | "certificate-not-trusted"
  | "certificate-expired"
  | "certificate-host-mismatch";

/** One applying setting and why it applied. */
export interface Reason {
  /** The unit that defined the setting. */
  orgUnit: string;
  /** The setting's name. */
  setting: string;
  /** Defined at an ancestor of the unit in question. */
  inherited: boolean;
  /** The first of the setting's lists that matched; null when it applied through `secureTransportRequired` alone. */
  addressList: string | null;
  /** The matching entry as written in the policy; null likewise. */
  entry: string | null;
}

// ---------------------------------------------------------------------------------------------
// Validation and lint (SPEC §6)
// ---------------------------------------------------------------------------------------------

/** The result of checking a policy: whether it loads, why not, and what lint has to say. */
export interface ValidationReport {
  /** True when there are no errors. */
  valid: boolean;
  /** Every validation error. */
  errors: ValidationError[];
  /** Lint warnings (only for a document that parsed). */
  warnings: LintWarning[];
}

/** One error or warning, with its place in the input. */
export interface Diagnostic<C extends string> {
  /** Stable machine-readable code. */
  code: C;
  /** What is wrong, in words: lowercase, no final period, user input in backticks. */
  message: string;
  /** RFC 6901 JSON pointer to the offending value (`""` is the whole document). */
  pointer: string;
  /** 1-based line, when the input was parsed from text. */
  line?: number;
  /** 1-based column in characters, when the input was parsed from text. */
  column?: number;
  /** How to fix it, when there is something useful to say. */
  help?: string;
}

/** A validation error: the input cannot be used. */
export type ValidationError = Diagnostic<ErrorCode>;

/** A lint warning: the policy loads, but something in it is probably not what was meant. */
export type LintWarning = Diagnostic<LintCode>;

/** Why a policy document or a scenario cannot be used. */
export type ErrorCode =
  | "invalid-json"
  | "unknown-field"
  | "missing-field"
  | "duplicate-field"
  | "invalid-type"
  | "invalid-value"
  | "unsupported-version"
  | "too-many-address-lists"
  | "too-many-entries"
  | "too-many-settings"
  | "empty-name"
  | "duplicate-address-list"
  | "invalid-entry"
  | "unknown-address-list"
  | "invalid-org-unit-path"
  | "duplicate-org-unit"
  | "duplicate-setting"
  | "invalid-member-address"
  | "duplicate-member"
  | "invalid-address"
  | "invalid-from"
  | "missing-sender"
  | "missing-from"
  | "no-recipients"
  | "contradictory-connection"
  | "unreadable";

/** What a lint warning is about. */
export type LintCode =
  | "duplicate-entry"
  | "address-covered-by-domain"
  | "domain-covered-by-wildcard"
  | "at-domain-form"
  | "unused-list"
  | "disabled-setting"
  | "ca-signed-certificate-off"
  | "hostname-validation-off"
  | "min-tls-version-below-1-2"
  | "override-hides-inherited"
  | "no-messages"
  | "no-address-lists"
  | "empty-list"
  | "duplicate-message-kind";

// ---------------------------------------------------------------------------------------------
// What-if (SPEC §7)
// ---------------------------------------------------------------------------------------------

/** What a policy change does to a set of scenarios. */
export interface ImpactReport {
  /** One item per scenario, in order. */
  scenarios: ScenarioImpact[];
  /** How many scenarios have at least one changed recipient. */
  changedScenarios: number;
  /** How many recipients changed, over all scenarios. */
  changedRecipients: number;
}

/** The recipients of one scenario whose outcome changes. */
export interface ScenarioImpact {
  /** Position in the scenarios given. */
  index: number;
  /** The scenario's `name`, if it has one. */
  name: string | null;
  /** Recipients whose verdict, requirement, failures or reply change. */
  changes: RecipientChange[];
  /** The transaction before and after, when its verdict or reply changes. */
  transaction: TransactionChange | null;
}

/** One recipient's decision under both policies. */
export interface RecipientChange {
  /** The recipient's canonical address. */
  address: string;
  /** Under the policy before the change. */
  before: RecipientDecision;
  /** Under the policy after it. */
  after: RecipientDecision;
}

/** A transaction's decision under both policies. */
export interface TransactionChange {
  /** Before. */
  before: TransactionDecision;
  /** After. */
  after: TransactionDecision;
}

/** A policy change as an audit-log entry. */
export interface AuditEntry {
  /** Each change, grouped: address lists, org units and settings, members. */
  changes: Change[];
}

/** Any JSON value (a setting field's value before and after a change). */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** One change in an audit-log entry, tagged by `change`. */
export type Change =
  /** A new address list, with its entries as written. */
  | { change: "addressListAdded"; list: string; entries: string[] }
  /** An address list removed, with the entries it had. */
  | { change: "addressListRemoved"; list: string; entries: string[] }
  /** Entries added to a list (compared canonically, shown as written). */
  | { change: "entriesAdded"; list: string; entries: string[] }
  /** Entries removed from a list. */
  | { change: "entriesRemoved"; list: string; entries: string[] }
  /** A unit that now declares settings. */
  | { change: "orgUnitAdded"; orgUnit: string }
  /** A unit no longer declared. */
  | { change: "orgUnitRemoved"; orgUnit: string }
  /** A setting added to a unit, as written. */
  | { change: "settingAdded"; orgUnit: string; setting: string; value: Setting }
  /** A setting removed from a unit, as it was. */
  | { change: "settingRemoved"; orgUnit: string; setting: string; value: Setting }
  /** One field of a setting changed (defaults applied before comparing). */
  | {
      change: "settingChanged";
      orgUnit: string;
      setting: string;
      field: string;
      before: JsonValue;
      after: JsonValue;
    }
  /** A member added to `members`. */
  | { change: "memberAdded"; member: string; orgUnit: string }
  /** A member removed from `members` (now in `/`). */
  | { change: "memberRemoved"; member: string; orgUnit: string }
  /** A member moved to another unit. */
  | { change: "memberMoved"; member: string; before: string; after: string };

// ---------------------------------------------------------------------------------------------
// Effective settings (SPEC §3)
// ---------------------------------------------------------------------------------------------

/** One organizational unit: where it sits, who is in it, and its effective settings. */
export interface OrgUnitView {
  /** `/` or `/Parent/Child`. */
  path: string;
  /** The parent unit's path; null for `/`. */
  parent: string | null;
  /** The policy has an `orgUnits` item for this path (otherwise it exists implicitly). */
  declared: boolean;
  /** Members assigned to this unit, as written in `members`, sorted. */
  members: string[];
  /** The unit's effective settings, disabled ones included, in effective-settings order. */
  settings: EffectiveSetting[];
}

/** One effective setting of a unit, with its defaults filled in. */
export interface EffectiveSetting {
  /** The setting's name. */
  name: string;
  /** The unit that defined it. */
  orgUnit: string;
  /** Defined at an ancestor of the unit in question. */
  inherited: boolean;
  /** The unit whose setting of the same name this one replaces; null when it replaces none. */
  replaces: string | null;
  /** Takes part in decisions (a disabled setting still replaces what it overrides). */
  enabled: boolean;
  /** Messages affected. */
  messages: MessageKind[];
  /** Names of the address lists it covers. */
  addressLists: string[];
  /** A CA-signed certificate is required. */
  requireCaSignedCertificate: boolean;
  /** The certificate hostname is validated. */
  validateCertificateHostname: boolean;
  /** The lowest TLS version allowed. */
  minTlsVersion: TlsVersion;
}
