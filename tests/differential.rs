//! Differential test: the indexed engine against the naive reference evaluator of
//! `tests/reference`, on random but valid policies and scenarios.
//!
//! The generators draw from a small alphabet of domains and local parts, so list entries match
//! often, and spell the same address or domain in several ways (case, trailing dot, U-labels and
//! A-labels) so that canonicalisation is exercised on both sides. Every decision must be equal as
//! a whole, reply lines included.
//!
//! `PROPTEST_CASES=100000 cargo test --test differential` runs the property longer than the
//! default of [`CASES`].
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod reference;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::ops::RangeInclusive;
use std::path::PathBuf;

use proptest::prelude::*;
use proptest::sample::{select, subsequence, Index};
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use tls_compliance::{
    canonical_address, parse_from_header, AddressList, CertificateFacts, CertificateTrust,
    Decision, Direction, Failure, HostnameCheck, MessageKind, OrgUnit, Policy, PolicyDocument,
    Recipient, RecipientSpec, Scenario, Setting, TlsFacts, TlsVersion, Verdict,
};

// ---------------------------------------------------------------------------------------------
// The alphabet
// ---------------------------------------------------------------------------------------------

/// Each domain, in every spelling that canonicalises to it. Subdomains of one another, so `*.`
/// entries have something to cover, and an IDN in U-label and A-label form.
const DOMAINS: &[&[&str]] = &[
    &["example"],
    &["a.example"],
    &["b.a.example"],
    &["c.b.a.example"],
    &["partner.example"],
    &["bücher.example", "xn--bcher-kva.example"],
    &["mail.bücher.example", "mail.xn--bcher-kva.example"],
    &["other.test"],
];

const LOCAL_PARTS: &[&str] = &["alice", "bob", "ceo", "postmaster"];

/// Declared OUs are drawn from these; members and scenarios also name the undeclared ones.
/// `/A-x` sorts between `/A` and `/A/B` and is no child of `/A`.
const DECLARED_PATHS: &[&str] = &["/", "/A", "/A/B", "/A/B/C", "/A-x", "/D", "/D/E"];
const ALL_PATHS: &[&str] = &[
    "/", "/A", "/A/B", "/A/B/C", "/A-x", "/D", "/D/E", "/A/B/C/X", "/A-x/Y", "/D/E/F", "/Z",
];

const LIST_NAMES: &[&str] = &["L0", "Partners list", "L2", "L3"];
const SETTING_NAMES: &[&str] = &["S0", "S1", "S2", "S3"];

/// Upper-cases the characters whose bit is set in `mask` (cycling through its 64 bits).
fn recase(s: &str, mask: u64) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_uppercase().collect::<String>()
            } else {
                c.to_string()
            }
        })
        .collect()
}

// Small combinators, cheaper than `prop_oneof!`, `prop::option` and `prop_shuffle` (which
// dominate the run time in a debug build).

/// One of `choices`, each as often as its weight.
fn weighted<T: Clone + Debug + 'static>(choices: &[(usize, T)]) -> impl Strategy<Value = T> {
    select(
        choices
            .iter()
            .flat_map(|(weight, value)| std::iter::repeat_n(value.clone(), *weight))
            .collect::<Vec<_>>(),
    )
}

/// `Some` in `percent` cases out of a hundred.
fn sometimes<S: Strategy>(percent: u32, inner: S) -> impl Strategy<Value = Option<S::Value>> {
    (0..100u32, inner).prop_map(move |(roll, value)| (roll < percent).then_some(value))
}

/// Some of `items`, as many as `size` says, in a random order.
fn some_of<T: Clone + Debug + 'static>(
    items: &[T],
    size: RangeInclusive<usize>,
) -> impl Strategy<Value = Vec<T>> {
    (subsequence(items.to_vec(), size), any::<u64>()).prop_map(|(mut items, mut seed)| {
        // Fisher–Yates, drawing each swap from `seed` in mixed radix.
        for i in (1..items.len()).rev() {
            let bound = i as u64 + 1;
            items.swap(i, (seed % bound) as usize);
            seed /= bound;
        }
        items
    })
}

/// Mostly lower case, sometimes mixed.
fn case_mask() -> impl Strategy<Value = u64> {
    (weighted(&[(2, false), (1, true)]), any::<u64>())
        .prop_map(|(mixed, mask)| if mixed { mask } else { 0 })
}

/// A domain, spelled in one of its ways, in mixed case, with or without a trailing dot.
fn domain() -> impl Strategy<Value = String> {
    (
        0..DOMAINS.len(),
        any::<Index>(),
        case_mask(),
        weighted(&[(4, false), (1, true)]),
    )
        .prop_map(|(group, spelling, mask, dot)| {
            let mut d = recase(spelling.get::<&str>(DOMAINS[group]), mask);
            if dot {
                d.push('.');
            }
            d
        })
}

/// An address of the alphabet, spelled in one of its ways.
fn address() -> impl Strategy<Value = String> {
    (select(LOCAL_PARTS), case_mask(), domain())
        .prop_map(|(local, mask, d)| format!("{}@{d}", recase(local, mask)))
}

// ---------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------

/// One entry token in any of SPEC §2's forms.
fn entry_token() -> impl Strategy<Value = String> {
    #[derive(Clone, Copy, Debug)]
    enum Form {
        Address,
        Domain,
        Subdomains,
        AtDomain,
    }
    let form = weighted(&[
        (3, Form::Address),
        (3, Form::Domain),
        (3, Form::Subdomains),
        (1, Form::AtDomain),
    ]);
    (form, address(), domain()).prop_map(|(form, address, domain)| match form {
        Form::Address => address,
        Form::Domain => domain,
        Form::Subdomains => format!("*.{domain}"),
        Form::AtDomain => format!("@{domain}"),
    })
}

/// One `entries` string: tokens separated by whitespace and/or commas, sometimes with
/// separators around them, sometimes no token at all.
fn entry_string() -> impl Strategy<Value = String> {
    let separator = select(vec![" ", ",", ", ", " ,\t", "\n"]);
    (
        prop::collection::vec((entry_token(), separator), 1..5),
        weighted(&[(8, "plain"), (1, "padded"), (1, "empty")]),
    )
        .prop_map(|(tokens, form)| {
            if form == "empty" {
                return " , ".to_owned();
            }
            let padded = form == "padded";
            let mut s = if padded {
                ", ".to_owned()
            } else {
                String::new()
            };
            for (i, (token, separator)) in tokens.iter().enumerate() {
                if i > 0 {
                    s.push_str(separator);
                }
                s.push_str(token);
            }
            if padded {
                s.push(' ');
            }
            s
        })
}

fn tls_version() -> impl Strategy<Value = TlsVersion> {
    select(vec![
        TlsVersion::V1_0,
        TlsVersion::V1_1,
        TlsVersion::V1_2,
        TlsVersion::V1_3,
    ])
}

fn setting(name: &'static str, lists: usize) -> impl Strategy<Value = Setting> {
    let names: Vec<String> = LIST_NAMES[..lists].iter().map(|&n| n.to_owned()).collect();
    let messages = some_of(
        &[
            MessageKind::Inbound,
            MessageKind::Outbound,
            MessageKind::OutboundRequiringSecureTransport,
        ],
        1..=3,
    );
    // Mostly one or two lists; sometimes none (only `outboundRequiringSecureTransport` can
    // apply then), sometimes a list named twice.
    let address_lists = (
        weighted(&[(1, 0), (6, 1), (1, 2)]),
        some_of(&names, 1..=lists.min(2)),
        select(names),
    )
        .prop_map(|(form, some, one)| match form {
            0 => Vec::new(),
            1 => some,
            _ => vec![one.clone(), one],
        });
    let enabled = weighted(&[(6, None), (1, Some(true)), (1, Some(false))]);
    let option = || weighted(&[(1, None), (1, Some(false)), (1, Some(true))]);
    (
        enabled,
        messages,
        address_lists,
        option(),
        option(),
        sometimes(50, tls_version()),
    )
        .prop_map(
            move |(enabled, messages, address_lists, ca, hostname, min)| Setting {
                name: name.to_owned(),
                enabled,
                messages,
                address_lists,
                require_ca_signed_certificate: ca,
                validate_certificate_hostname: hostname,
                min_tls_version: min,
            },
        )
}

fn org_unit(path: &'static str, lists: usize) -> impl Strategy<Value = OrgUnit> {
    // `/` has most of the settings; below it, names reused from above override by name.
    let count = if path == "/" { 1..=3 } else { 0..=2 };
    some_of(SETTING_NAMES, count).prop_flat_map(move |names| {
        names
            .into_iter()
            .map(|n| setting(n, lists))
            .collect::<Vec<_>>()
            .prop_map(move |settings| OrgUnit {
                path: path.to_owned(),
                settings,
            })
    })
}

/// Members: distinct addresses (by canonical address), each in some OU, declared or not.
fn members() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::vec((address(), select(ALL_PATHS)), 0..6).prop_map(|members| {
        let mut seen = BTreeSet::new();
        members
            .into_iter()
            .filter(|(a, _)| seen.insert(canonical_address(a).unwrap()))
            .map(|(a, p)| (a, p.to_owned()))
            .collect()
    })
}

fn policy() -> impl Strategy<Value = PolicyDocument> {
    (1..=LIST_NAMES.len()).prop_flat_map(|n_lists| {
        let lists = LIST_NAMES[..n_lists]
            .iter()
            .map(|&name| {
                prop::collection::vec(entry_string(), 1..4).prop_map(move |entries| AddressList {
                    name: name.to_owned(),
                    entries,
                })
            })
            .collect::<Vec<_>>();
        // `/` is declared in most policies, in any position.
        let paths = (
            some_of(DECLARED_PATHS, 1..=DECLARED_PATHS.len()),
            weighted(&[(4, true), (1, false)]),
            any::<Index>(),
        )
            .prop_map(|(mut paths, root, at)| {
                if root && !paths.contains(&"/") {
                    paths.insert(at.index(paths.len() + 1), "/");
                }
                paths
            });
        let org_units = paths.prop_flat_map(move |paths| {
            paths
                .into_iter()
                .map(|p| org_unit(p, n_lists))
                .collect::<Vec<_>>()
        });
        (lists, members(), org_units).prop_map(|(address_lists, members, org_units)| {
            PolicyDocument {
                version: 1,
                address_lists,
                members,
                org_units,
            }
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

/// TLS facts with every combination of known and unknown, never contradictory: no version or
/// certificate without TLS, no hostname result without a certificate.
fn tls_facts() -> impl Strategy<Value = TlsFacts> {
    let trust = select(vec![
        CertificateTrust::CaSigned,
        CertificateTrust::SelfSigned,
        CertificateTrust::Untrusted,
        CertificateTrust::Expired,
        CertificateTrust::Absent,
    ]);
    let hostname = select(vec![HostnameCheck::Match, HostnameCheck::Mismatch]);
    let tls = weighted(&[(1, None), (1, Some(false)), (4, Some(true))]);
    (
        tls,
        sometimes(70, tls_version()),
        sometimes(70, (sometimes(75, trust), sometimes(75, hostname))),
    )
        .prop_map(|(tls, version, certificate)| {
            if tls == Some(false) {
                return TlsFacts {
                    tls,
                    version: None,
                    certificate: None,
                };
            }
            TlsFacts {
                tls,
                version,
                certificate: certificate.map(|(trust, hostname)| CertificateFacts {
                    trust,
                    hostname: if trust == Some(CertificateTrust::Absent) {
                        None
                    } else {
                        hostname
                    },
                }),
            }
        })
}

/// An address of the alphabet, or (more often when there are members) a member's, re-cased.
fn person(members: Vec<String>) -> BoxedStrategy<String> {
    if members.is_empty() {
        return address().boxed();
    }
    (any::<bool>(), address(), select(members), case_mask())
        .prop_map(|(member, other, m, mask)| if member { recase(&m, mask) } else { other })
        .boxed()
}

/// An RFC 5322 `From:` value holding one mailbox.
fn from_header(members: Vec<String>) -> impl Strategy<Value = String> {
    (person(members), 0..3usize).prop_map(|(a, form)| match form {
        0 => a,
        1 => format!("Someone <{a}>"),
        _ => format!("\"Doe, Jo\" <{a}>"),
    })
}

fn recipient(members: Vec<String>) -> impl Strategy<Value = RecipientSpec> {
    (
        weighted(&[(1, false), (2, true)]),
        person(members),
        any::<bool>(),
        sometimes(30, tls_facts()),
        sometimes(20, select(ALL_PATHS)),
    )
        .prop_map(
            |(detailed, address, secure_transport_required, connection, org_unit)| {
                if !detailed {
                    return RecipientSpec::Address(address);
                }
                RecipientSpec::Detailed(Recipient {
                    address,
                    secure_transport_required,
                    connection,
                    org_unit: org_unit.map(str::to_owned),
                })
            },
        )
}

fn scenario(members: Vec<String>) -> impl Strategy<Value = Scenario> {
    (
        select(vec![Direction::Outbound, Direction::Inbound]),
        sometimes(90, person(members.clone())),
        sometimes(25, select(ALL_PATHS)),
        sometimes(50, from_header(members.clone())),
        from_header(members.clone()),
        prop::collection::vec(recipient(members), 1..5),
        sometimes(90, tls_facts()),
    )
        .prop_map(
            |(direction, sender, sender_org_unit, from, inbound_from, recipients, connection)| {
                let mut s = Scenario {
                    name: None,
                    direction,
                    sender,
                    sender_org_unit: sender_org_unit.map(str::to_owned),
                    from,
                    recipients,
                    connection,
                };
                match direction {
                    // Outbound needs `sender` or `senderOrgUnit`; inbound needs `from`.
                    Direction::Outbound if s.sender.is_none() && s.sender_org_unit.is_none() => {
                        s.sender_org_unit = Some("/".to_owned());
                    }
                    Direction::Inbound if s.from.is_none() => s.from = Some(inbound_from),
                    _ => {}
                }
                s
            },
        )
}

fn case() -> impl Strategy<Value = (PolicyDocument, Scenario)> {
    policy().prop_flat_map(|doc| {
        let members: Vec<String> = doc.members.keys().cloned().collect();
        (Just(doc), scenario(members))
    })
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

fn engine(doc: &PolicyDocument, scenario: &Scenario) -> Decision {
    let policy = Policy::new(doc.clone())
        .unwrap_or_else(|e| panic!("generated policy is invalid: {e:?}\n{doc:#?}"));
    policy
        .evaluate(scenario)
        .unwrap_or_else(|e| panic!("generated scenario is invalid: {e}\n{scenario:#?}"))
}

const CASES: u32 = 3_000;

proptest! {
    #![proptest_config(Config {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(CASES),
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn the_indexed_engine_decides_exactly_as_the_reference_does((doc, scenario) in case()) {
        let engine = engine(&doc, &scenario);
        let reference = reference::evaluate(&doc, &scenario);
        prop_assert_eq!(
            &engine,
            &reference,
            "\npolicy: {}\nscenario: {}",
            serde_json::to_string(&doc).unwrap(),
            serde_json::to_string(&scenario).unwrap()
        );
    }
}

/// The setting named `name` that the OU at `path` defines.
fn defined_setting<'a>(doc: &'a PolicyDocument, path: &str, name: &str) -> &'a Setting {
    doc.org_units
        .iter()
        .filter(|ou| ou.path == path)
        .flat_map(|ou| &ou.settings)
        .find(|s| s.name == name)
        .unwrap()
}

/// Whether `ancestor` is a proper ancestor of the OU path `path`.
fn is_ancestor(ancestor: &str, path: &str) -> bool {
    ancestor != path && (ancestor == "/" || path.starts_with(&format!("{ancestor}/")))
}

/// Whether some OU in `doc` redefines a setting that an ancestor defines (only disabling
/// redefinitions, if `only_disabled`).
fn has_override(doc: &PolicyDocument, only_disabled: bool) -> bool {
    doc.org_units.iter().any(|ou| {
        ou.settings
            .iter()
            .filter(|s| !only_disabled || s.enabled == Some(false))
            .any(|s| {
                doc.org_units.iter().any(|above| {
                    is_ancestor(&above.path, &ou.path)
                        && above.settings.iter().any(|a| a.name == s.name)
                })
            })
    })
}

/// The OU paths the scenario's OUs come from `members` (not given outright), as written there.
fn member_org_units(doc: &PolicyDocument, scenario: &Scenario) -> Vec<String> {
    let member = |address: &str| {
        let address = canonical_address(address).unwrap();
        doc.members
            .iter()
            .find(|(m, _)| canonical_address(m).unwrap() == address)
            .map(|(_, ou)| ou.clone())
    };
    match scenario.direction {
        Direction::Outbound if scenario.sender_org_unit.is_none() => scenario
            .sender
            .as_deref()
            .and_then(member)
            .into_iter()
            .collect(),
        Direction::Outbound => Vec::new(),
        Direction::Inbound => scenario
            .recipients
            .iter()
            .map(|r| r.as_recipient().into_owned())
            .filter(|r| r.org_unit.is_none())
            .filter_map(|r| member(&r.address))
            .collect(),
    }
}

/// What a sample of generated cases covers.
#[derive(Default, Debug)]
struct Coverage {
    verdicts: BTreeMap<&'static str, usize>,
    failures: BTreeMap<&'static str, usize>,
    features: BTreeMap<&'static str, usize>,
}

impl Coverage {
    fn count(&mut self, doc: &PolicyDocument, scenario: &Scenario, decision: &Decision) {
        let mut feature = |name, hit: bool| *self.features.entry(name).or_default() += hit as usize;
        let writes = |pattern: &dyn Fn(&str) -> bool| {
            decision
                .recipients
                .iter()
                .flat_map(|r| &r.reasons)
                .filter_map(|reason| reason.entry.as_deref())
                .any(pattern)
        };
        feature(
            "reason by an address entry",
            writes(&|e| e.contains('@') && !e.starts_with('@')),
        );
        feature(
            "reason by a `@domain` entry",
            writes(&|e| e.starts_with('@')),
        );
        feature("reason by a `*.` entry", writes(&|e| e.starts_with("*.")));
        feature(
            "reason by a domain entry",
            writes(&|e| !e.contains('@') && !e.starts_with('*')),
        );
        feature(
            "reason by an IDN entry",
            writes(&|e| e.contains("bücher") || e.contains("xn--")),
        );
        feature(
            "reason by a mixed-case or dotted entry",
            writes(&|e| e.chars().any(char::is_uppercase) || e.ends_with('.')),
        );
        let reasons = || decision.recipients.iter().flat_map(|r| &r.reasons);
        feature("inherited reason", reasons().any(|r| r.inherited));
        feature(
            "reason defined in the OU itself",
            reasons().any(|r| !r.inherited),
        );
        feature(
            "reason defined below `/`",
            reasons().any(|r| r.org_unit != "/"),
        );
        feature(
            "reason through `secureTransportRequired` alone",
            reasons().any(|r| r.address_list.is_none()),
        );
        feature(
            "several reasons for one recipient",
            decision.recipients.iter().any(|r| r.reasons.len() > 1),
        );
        feature(
            "several failures for one recipient",
            decision.recipients.iter().any(|r| r.failures.len() > 1),
        );
        feature(
            "a mixed transaction",
            decision
                .recipients
                .iter()
                .any(|r| r.verdict != decision.transaction.verdict),
        );
        feature(
            "an override that disables an inherited setting",
            has_override(doc, true),
        );
        feature(
            "an override of an inherited setting",
            has_override(doc, false),
        );
        let from_members = member_org_units(doc, scenario);
        feature(
            "an OU from `members`",
            from_members.iter().any(|ou| ou != "/"),
        );
        let declared = |path: &String| doc.org_units.iter().any(|ou| &ou.path == path);
        feature(
            "an OU from `members` that is not declared",
            from_members.iter().any(|ou| !declared(ou)),
        );
        feature(
            "a recipient with its own connection",
            scenario
                .recipients
                .iter()
                .any(|r| matches!(r, RecipientSpec::Detailed(d) if d.connection.is_some())),
        );
        feature("a sender OU given", scenario.sender_org_unit.is_some());
        feature(
            "a requirement",
            decision.recipients.iter().any(|r| r.requirement.is_some()),
        );
        // The choices the reasons make: between entries of one list, and between lists.
        let mut several_entries = false;
        let mut several_lists = false;
        for r in &decision.recipients {
            let matched = match decision.direction {
                Direction::Outbound => r.address.clone(),
                Direction::Inbound => parse_from_header(scenario.from.as_deref().unwrap())
                    .unwrap()
                    .as_str()
                    .to_owned(),
            };
            for reason in &r.reasons {
                let Some(list) = &reason.address_list else {
                    continue;
                };
                let covering = reference::covering_entries(doc, list, &matched);
                several_entries |= covering.len() > 1;
                let setting = defined_setting(doc, &reason.org_unit, &reason.setting);
                several_lists |= setting.address_lists.iter().any(|other| {
                    other != list && !reference::covering_entries(doc, other, &matched).is_empty()
                });
            }
        }
        feature(
            "an entry chosen among several that cover the address",
            several_entries,
        );
        feature(
            "a list chosen among several that cover the address",
            several_lists,
        );
        for r in &decision.recipients {
            *self.verdicts.entry(r.verdict.as_str()).or_default() += 1;
            for f in &r.failures {
                *self.failures.entry(f.as_str()).or_default() += 1;
            }
        }
    }
}

#[test]
fn the_generators_reach_every_verdict_every_failure_and_every_rule() {
    const SAMPLE: usize = 2_000;
    let strategy = case();
    let mut runner = TestRunner::deterministic();
    let mut coverage = Coverage::default();
    for _ in 0..SAMPLE {
        let (doc, scenario) = strategy.new_tree(&mut runner).unwrap().current();
        coverage.count(&doc, &scenario, &engine(&doc, &scenario));
    }
    eprintln!("{coverage:#?}");
    for verdict in [
        Verdict::Deliver,
        Verdict::Bounce,
        Verdict::Accept,
        Verdict::Reject,
        Verdict::TlsRequired,
    ] {
        // At least 2% of recipients each, so a generator that drifts is noticed.
        let n = coverage
            .verdicts
            .get(verdict.as_str())
            .copied()
            .unwrap_or(0);
        assert!(n >= SAMPLE / 50, "verdict `{verdict}` reached {n} times");
    }
    for failure in Failure::ALL {
        let n = coverage
            .failures
            .get(failure.as_str())
            .copied()
            .unwrap_or(0);
        assert!(n >= SAMPLE / 100, "failure `{failure}` reached {n} times");
    }
    for (feature, &n) in &coverage.features {
        assert!(n >= SAMPLE / 100, "{feature}: reached {n} times");
    }
    assert_eq!(coverage.features.len(), 22);
}

#[test]
fn the_reference_reproduces_the_worked_examples_of_the_contract() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/shared-conformance");
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.join(name).display()))
    };
    let examples: Vec<serde_json::Value> = serde_json::from_str(&read("examples.json")).unwrap();
    assert!(!examples.is_empty());
    for example in examples {
        let name = example["name"].as_str().unwrap();
        let doc: PolicyDocument =
            serde_json::from_str(&read(example["policy"].as_str().unwrap())).unwrap();
        let scenario: Scenario = serde_json::from_value(example["scenario"].clone()).unwrap();
        let mut got = serde_json::to_value(reference::evaluate(&doc, &scenario)).unwrap();
        // `reply` text is the project's to word; the examples leave it out.
        let mut replies = Vec::new();
        for r in got["recipients"].as_array_mut().unwrap() {
            replies.push((r["status"].clone(), r["reply"].take()));
            r.as_object_mut().unwrap().remove("reply");
        }
        got["transaction"].as_object_mut().unwrap().remove("reply");
        for (status, reply) in replies {
            match status.as_str() {
                Some(status) => assert!(
                    reply
                        .as_str()
                        .unwrap()
                        .starts_with(&format!("550 {status} ")),
                    "{name}: {reply}"
                ),
                None => assert!(reply.is_null(), "{name}: {reply}"),
            }
        }
        assert_eq!(got, example["expect"], "{name}");
    }
}
