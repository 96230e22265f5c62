//! Synthetic policies for benchmarks: deterministic, realistic in shape, of any size.
//!
//! Shared by `benches/decision.rs`, `examples/latency.rs` and `examples/memory.rs` through
//! `#[path]`, so they all measure the same policies.
//!
//! A policy of `n` entries has `max(2, ⌈n / 100,000⌉)` address lists of equal size (a list holds at
//! most 100,000 entries). The entries are a mix an administrator would paste in: about 55 %
//! addresses (many sharing a partner's domain), 30 % domains, 10 % `*.` entries, 5 % subdomains,
//! with a few upper-case and internationalised names that canonicalise to something else. They are
//! written ten to a string, separated by `, `. Four org units carry settings: `/` defines three,
//! `/Finance` overrides one and adds one, `/Finance/Audit` switches the override off, and
//! `/Operations` adds one; 100 members are spread over them.

use std::fmt::Write as _;

/// The synthetic policy and addresses to probe it with.
pub struct Synthetic {
    /// The policy document as JSON text.
    pub text: String,
    /// Addresses that the first list covers, through addresses, domains and `*.` entries. They
    /// are all drawn from the first list so that the same settings apply at every size.
    pub matching: Vec<String>,
    /// An address that the first list covers through the `*.` entry [`WILDCARD_ENTRY`], the
    /// same at every size: the single matching recipient of the benchmarks.
    pub wildcard_match: String,
    /// Addresses that no list covers.
    pub non_matching: Vec<String>,
}

/// An entry of every synthetic policy's first list.
pub const WILDCARD_ENTRY: &str = "*.wildcard-partner.example";

/// The sender used by the benchmarks: a member of `/Finance`, which overrides and adds settings.
pub const SENDER: &str = "alice@corp.example";

/// splitmix64: a small, well-mixed deterministic generator, so runs compare.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        let i = (self.next() % words.len() as u64) as usize;
        words.get(i).copied().unwrap_or("x")
    }
}

const NAMES: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "ceo", "billing",
    "support", "noreply", "security", "legal", "hr", "invoices", "desk",
];
const WORDS: &[&str] = &[
    "acme",
    "globex",
    "initech",
    "umbrella",
    "stark",
    "wayne",
    "tyrell",
    "cyberdyne",
    "soylent",
    "wonka",
    "hooli",
    "vandelay",
    "nakatomi",
    "oscorp",
    "massive",
    "aperture",
    "northwind",
    "contoso",
    "fabrikam",
    "tailspin",
    "bank",
    "clinic",
    "health",
    "gov",
    "logistics",
    "supply",
];
const TLDS: &[&str] = &[
    "example",
    "example.com",
    "example.org",
    "co.example",
    "gov.example",
];

/// Builds a policy of exactly `entries` entries.
pub fn policy(entries: usize) -> Synthetic {
    let lists = entries.div_ceil(100_000).max(2);
    let mut rng = Rng(0x5eed_0000 ^ entries as u64);
    let mut matching = Vec::new();
    let mut text = String::with_capacity(entries * 28 + 4096);
    text.push_str("{\n  \"version\": 1,\n  \"addressLists\": [\n");
    let mut made = 0usize;
    for l in 0..lists {
        let in_list = (entries - made) / (lists - l);
        let _ = write!(text, "    {{ \"name\": \"Partners {l}\", \"entries\": [");
        let mut token = String::new();
        for k in 0..in_list {
            let i = made + k;
            token.clear();
            let word = rng.pick(WORDS);
            let tld = rng.pick(TLDS);
            // A partner's domain is shared by the addresses of a run of entries.
            let partner = i / 8;
            match rng.next() % 100 {
                0..=54 => {
                    let _ = write!(token, "{}.{i}@{word}{partner}.{tld}", rng.pick(NAMES));
                }
                55..=84 => {
                    let _ = write!(token, "{word}{i}.{tld}");
                }
                85..=94 => {
                    let _ = write!(token, "*.{word}{i}.{tld}");
                }
                _ => {
                    let _ = write!(token, "mail.{word}{i}.{tld}");
                }
            }
            match i % 200 {
                1 if i == 1 => token = WILDCARD_ENTRY.to_owned(),
                // Written otherwise than canonical: upper case, a trailing dot, an IDN.
                7 => token = token.to_uppercase(),
                11 => token.push('.'),
                13 => token = format!("bücher{i}.example"),
                _ => {}
            }
            if k % 10 == 0 {
                if k > 0 {
                    text.push_str("\", ");
                }
                text.push('"');
            } else {
                text.push_str(", ");
            }
            text.push_str(&token);
            // Probe addresses: covered through an address, a domain and a `*.` entry.
            let step = (in_list / 160).max(1);
            if l == 0 && (k % step == 3 % step || matching.len() < 3) {
                let probe = if let Some(domain) = token.strip_prefix("*.") {
                    Some(format!("someone@deep.mx.{domain}"))
                } else if token.contains('@') {
                    Some(token.clone())
                } else if i % 200 == 13 || i % 200 == 11 || i % 200 == 7 {
                    None
                } else {
                    Some(format!("desk@{token}"))
                };
                matching.extend(probe);
            }
        }
        if in_list > 0 {
            text.push('"');
        }
        made += in_list;
        text.push_str(if l + 1 < lists { "] },\n" } else { "] }\n" });
    }
    text.push_str("  ],\n  \"members\": {\n");
    let _ = writeln!(text, "    \"{SENDER}\": \"/Finance\",");
    text.push_str("    \"auditor@corp.example\": \"/Finance/Audit\",\n");
    text.push_str("    \"ops@corp.example\": \"/Operations\",\n");
    for m in 0..97 {
        let ou = [
            "/",
            "/Finance",
            "/Finance/Audit",
            "/Operations",
            "/Sales/EMEA",
        ]
        .get(m % 5)
        .copied()
        .unwrap_or("/");
        let comma = if m + 1 < 97 { "," } else { "" };
        let _ = writeln!(text, "    \"member{m}@corp.example\": \"{ou}\"{comma}");
    }
    text.push_str("  },\n  \"orgUnits\": [\n");
    let all: Vec<String> = (0..lists).map(|l| format!("\"Partners {l}\"")).collect();
    let half: Vec<String> = (0..lists)
        .step_by(2)
        .map(|l| format!("\"Partners {l}\""))
        .collect();
    let last = format!("\"Partners {}\"", lists - 1);
    let _ = write!(
        text,
        r#"    {{ "path": "/", "settings": [
      {{ "name": "TLS with partners", "messages": ["inbound", "outbound"], "addressLists": [{half}],
        "requireCaSignedCertificate": true, "validateCertificateHostname": true, "minTlsVersion": "1.2" }},
      {{ "name": "Routed over TLS", "messages": ["outboundRequiringSecureTransport"],
        "requireCaSignedCertificate": true, "validateCertificateHostname": true, "minTlsVersion": "1.2" }},
      {{ "name": "Regulators", "messages": ["inbound"], "addressLists": [{last}], "minTlsVersion": "1.3" }} ] }},
    {{ "path": "/Finance", "settings": [
      {{ "name": "TLS with partners", "messages": ["outbound"], "addressLists": [{all}],
        "requireCaSignedCertificate": true, "validateCertificateHostname": false, "minTlsVersion": "1.3" }},
      {{ "name": "Banks", "messages": ["outbound"], "addressLists": [{last}],
        "requireCaSignedCertificate": true, "validateCertificateHostname": true }} ] }},
    {{ "path": "/Finance/Audit", "settings": [ {{ "name": "TLS with partners", "enabled": false }} ] }},
    {{ "path": "/Operations", "settings": [
      {{ "name": "Suppliers", "messages": ["inbound", "outbound"], "addressLists": [{last}] }} ] }}
  ]
}}
"#,
        half = half.join(", "),
        all = all.join(", "),
    );
    let non_matching = (0..100)
        .map(|i| {
            let word = WORDS.get(i % WORDS.len()).copied().unwrap_or("x");
            format!("someone{i}@mx.unlisted-{word}{i}.example")
        })
        .collect();
    Synthetic {
        text,
        matching,
        wildcard_match: format!(
            "someone@deep.mx.{}",
            WILDCARD_ENTRY.trim_start_matches("*.")
        ),
        non_matching,
    }
}

/// An outbound scenario from [`SENDER`] to `recipients` over a compliant connection.
pub fn outbound_scenario(recipients: &[String]) -> String {
    let recipients: Vec<String> = recipients.iter().map(|r| format!("\"{r}\"")).collect();
    format!(
        r#"{{ "direction": "outbound", "sender": "{SENDER}", "recipients": [{}],
  "connection": {{ "tls": true, "version": "1.3",
                   "certificate": {{ "trust": "ca-signed", "hostname": "match" }} }} }}"#,
        recipients.join(", ")
    )
}
