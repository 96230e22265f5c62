//! `tls-compliance probe` against a real mail server: each test starts Postfix (from the
//! distribution's package) in a temporary configuration on loopback, with certificates made for
//! the run by rcgen — a private CA, a leaf for the right name, one for a wrong name, an expired
//! one and a self-signed one — probes it through the command line, checks the facts, and feeds
//! them to `tls-compliance eval` to check SPEC §5's verdict and failures.
//!
//! Without Postfix these tests print why and skip, unless `TLS_COMPLIANCE_REQUIRE_POSTFIX=1`
//! (as `scripts/test.d/20-probe.sh` sets after installing it), which makes a missing Postfix a
//! failure. Tests that need no mail server (closed port, unknown name, silent server) always run.
//! Every Postfix instance is stopped and its directory removed when its test ends, pass or fail.
// Test code: a failed step should fail the test, loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_tls-compliance");
const REQUIRE: &str = "TLS_COMPLIANCE_REQUIRE_POSTFIX";

// ---------------------------------------------------------------------------------------------
// Temporary directories and certificates

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "tls-compliance-probe-{}-{label}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // Postfix's daemons drop privileges; they must be able to traverse to their queue.
        set_mode(&dir, 0o755);
        Self(dir)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The name the right certificates are for, and the one the tests probe.
const HOST: &str = "localhost";

/// A private CA and the server certificates of the tests, as PEM (key first, then the leaf: the
/// form of Postfix's `smtpd_tls_chain_files`).
struct Pki {
    ca_pem: String,
    right_name: String,
    wrong_name: String,
    expired: String,
    self_signed: String,
}

fn leaf(
    names: &[&str],
    issuer: Option<&Issuer<'_, KeyPair>>,
    period: Option<(i32, i32)>,
) -> String {
    let mut params =
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    if let Some((from, to)) = period {
        params.not_before = rcgen::date_time_ymd(from, 1, 1);
        params.not_after = rcgen::date_time_ymd(to, 1, 1);
    }
    let key = KeyPair::generate().unwrap();
    let cert = match issuer {
        Some(issuer) => params.signed_by(&key, issuer).unwrap(),
        None => params.self_signed(&key).unwrap(),
    };
    format!("{}{}", key.serialize_pem(), cert.pem())
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "tls-compliance test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let ca = params.self_signed(&key).unwrap();
        let issuer = Issuer::new(params, key);
        Pki {
            ca_pem: ca.pem(),
            right_name: leaf(&[HOST], Some(&issuer), None),
            wrong_name: leaf(&["mx.other.example"], Some(&issuer), None),
            expired: leaf(&[HOST], Some(&issuer), Some((2020, 2021))),
            self_signed: leaf(&[HOST], None, None),
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Postfix

fn postfix_binary() -> Option<PathBuf> {
    let candidates = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")]);
    candidates
        .map(|dir| dir.join("postfix"))
        .find(|p| p.is_file())
}

/// The Postfix binary, or `None` after saying why the test skips. With
/// `TLS_COMPLIANCE_REQUIRE_POSTFIX=1` a missing Postfix fails the test instead.
fn postfix_or_skip(test: &str) -> Option<PathBuf> {
    let found = postfix_binary();
    if found.is_none() {
        if std::env::var(REQUIRE).is_ok_and(|v| v == "1") {
            panic!("{test}: Postfix not found and {REQUIRE}=1 (install it with `ensure_postfix` from scripts/lib.sh)");
        }
        eprintln!(
            "skipping {test}: Postfix not found on PATH or in /usr/sbin (scripts/test.d/20-probe.sh installs it)"
        );
    }
    found
}

/// How a test server does TLS.
enum Tls<'a> {
    /// No STARTTLS at all (`smtpd_tls_security_level = none`).
    Off,
    /// STARTTLS with this key and certificate, and these `smtpd_tls_protocols`.
    On { chain: &'a str, protocols: &'a str },
}

/// A Postfix instance of its own: its own configuration, queue and data directories, listening
/// on one loopback port. Dropping it stops it and removes everything.
struct Postfix {
    binary: PathBuf,
    dir: TempDir,
    port: u16,
}

/// A loopback port free now and never handed out before in this run: tests run in parallel, and
/// the kernel may offer a port again once its first taker has let it go.
fn free_port() -> u16 {
    static HANDED_OUT: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !handed_out.contains(&port) {
            handed_out.push(port);
            return port;
        }
    }
}

/// Waits until the server on `port` greets with `banner`: this instance, not another that got
/// the port first.
fn greets(port: u16, banner: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 512];
            if let Ok(n) = s.read(&mut buf) {
                if String::from_utf8_lossy(&buf[..n]).starts_with(banner) {
                    let _ = s.write_all(b"QUIT\r\n");
                    return true;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

const MASTER_CF_SERVICES: &str = "\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
";

impl Postfix {
    fn start(binary: PathBuf, label: &str, tls: &Tls<'_>) -> Self {
        let dir = TempDir::new(label);
        let d = dir.path().display().to_string();
        let instance = dir
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        std::fs::create_dir_all(dir.path().join("queue")).unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        let tls_config = match tls {
            Tls::Off => "smtpd_tls_security_level = none\n".to_owned(),
            Tls::On { chain, protocols } => {
                let path = dir.path().join("chain.pem");
                std::fs::write(&path, chain).unwrap();
                set_mode(&path, 0o600);
                format!(
                    "smtpd_tls_security_level = may\n\
                     smtpd_tls_chain_files = {}\n\
                     smtpd_tls_protocols = {protocols}\n\
                     smtpd_tls_loglevel = 1\n",
                    path.display()
                )
            }
        };
        std::fs::write(
            dir.path().join("main.cf"),
            format!(
                "compatibility_level = 3.6\n\
                 config_directory = {d}\n\
                 queue_directory = {d}/queue\n\
                 data_directory = {d}/data\n\
                 maillog_file = {d}/maillog\n\
                 maillog_file_prefixes = {d}\n\
                 myhostname = mx.test.example\n\
                 smtpd_banner = $myhostname ESMTP Postfix ({instance})\n\
                 mydestination =\n\
                 alias_maps =\n\
                 alias_database =\n\
                 inet_interfaces = 127.0.0.1\n\
                 inet_protocols = ipv4\n\
                 {tls_config}"
            ),
        )
        .unwrap();
        let owner = Command::new("chown")
            .args(["postfix", &format!("{d}/data")])
            .status()
            .unwrap();
        assert!(owner.success(), "chown postfix {d}/data");
        // A port from the kernel may be taken again before Postfix binds it: try a few.
        let mut postfix = Self {
            binary,
            dir,
            port: 0,
        };
        for _ in 0..5 {
            postfix.port = free_port();
            std::fs::write(
                postfix.dir.path().join("master.cf"),
                format!(
                    "127.0.0.1:{} inet n - n - - smtpd\n{MASTER_CF_SERVICES}",
                    postfix.port
                ),
            )
            .unwrap();
            let out = postfix.postfix(&["start"]);
            let banner = format!("220 mx.test.example ESMTP Postfix ({instance})");
            if out.status.success() && greets(postfix.port, &banner, Duration::from_secs(15)) {
                return postfix;
            }
            postfix.stop();
        }
        panic!("Postfix did not start in {d}; its log:\n{}", postfix.log());
    }

    fn postfix(&self, args: &[&str]) -> std::process::Output {
        Command::new(&self.binary)
            .arg("-c")
            .arg(self.dir.path())
            .args(args)
            .output()
            .unwrap()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("maillog")).unwrap_or_default()
    }

    fn stop(&self) {
        let _ = self.postfix(&["stop"]);
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline && self.postfix(&["status"]).status.success() {
            std::thread::sleep(Duration::from_millis(50));
        }
        if self.postfix(&["status"]).status.success() {
            let _ = self.postfix(&["abort"]);
        }
    }

    fn target(&self) -> String {
        format!("{HOST}:{}", self.port)
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        self.stop();
        // The directory goes with `self.dir`.
    }
}

// ---------------------------------------------------------------------------------------------
// Running the command line

struct Run {
    code: i32,
    stdout: String,
    json: Value,
}

fn run(args: &[&str]) -> Run {
    let out = Command::new(BIN).args(args).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    Run {
        code: out.status.code().unwrap(),
        json: serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stdout,
    }
}

/// `probe` with the test CA trusted and a short timeout.
fn probe(target: &str, extra: &[&str], work: &TempDir) -> Run {
    let ca = work.path().join("ca.pem");
    std::fs::write(&ca, &pki().ca_pem).unwrap();
    let ca = ca.display().to_string();
    let mut args = vec!["probe", target, "--ca-file", &ca, "--timeout", "5"];
    args.extend_from_slice(extra);
    run(&args)
}

const POLICY: &str = r#"{
  "version": 1,
  "addressLists": [
    { "name": "Partners", "entries": ["partner.example"] },
    { "name": "Strict", "entries": ["strict.example"] }
  ],
  "orgUnits": [ { "path": "/", "settings": [
    { "name": "TLS with partners", "messages": ["outbound"], "addressLists": ["Partners"],
      "requireCaSignedCertificate": true, "validateCertificateHostname": true, "minTlsVersion": "1.2" },
    { "name": "TLS 1.3 with the strict", "messages": ["outbound"], "addressLists": ["Strict"],
      "requireCaSignedCertificate": true, "validateCertificateHostname": true, "minTlsVersion": "1.3" }
  ] } ]
}"#;

/// The probed facts written to a file as a scenario's `connection`, decided by
/// `tls-compliance eval`: each recipient's (verdict, failures, status).
fn eval_facts(connection: &Value, work: &TempDir) -> Vec<(String, Value, Value)> {
    outcomes(&eval_decision(connection, work))
}

/// `tls-compliance eval`'s whole decision for the probed facts.
fn eval_decision(connection: &Value, work: &TempDir) -> Value {
    let policy = work.path().join("policy.json");
    std::fs::write(&policy, POLICY).unwrap();
    let facts = work.path().join("facts.json");
    std::fs::write(&facts, connection.to_string()).unwrap();
    // The facts file as it is, inside a scenario.
    let facts: Value = serde_json::from_str(&std::fs::read_to_string(&facts).unwrap()).unwrap();
    let scenario = work.path().join("scenario.json");
    std::fs::write(
        &scenario,
        json!({
            "direction": "outbound",
            "sender": "alice@corp.example",
            "recipients": ["bob@partner.example", "carol@strict.example"],
            "connection": facts,
        })
        .to_string(),
    )
    .unwrap();
    let out = run(&["eval", policy.to_str().unwrap(), scenario.to_str().unwrap()]);
    assert_eq!(out.code, 0, "eval: {}", out.stdout);
    out.json
}

fn outcomes(decision: &Value) -> Vec<(String, Value, Value)> {
    decision["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["verdict"].as_str().unwrap().to_owned(),
                r["failures"].clone(),
                r["status"].clone(),
            )
        })
        .collect()
}

fn deliver() -> (String, Value, Value) {
    ("deliver".to_owned(), json!([]), Value::Null)
}

fn bounce(failure: &str, status: &str) -> (String, Value, Value) {
    ("bounce".to_owned(), json!([failure]), json!(status))
}

fn policy_args(work: &TempDir) -> Vec<String> {
    let policy = work.path().join("policy.json");
    std::fs::write(&policy, POLICY).unwrap();
    vec![
        "--policy".into(),
        policy.display().to_string(),
        "--sender".into(),
        "alice@corp.example".into(),
        "--recipient".into(),
        "bob@partner.example".into(),
        "--recipient".into(),
        "carol@strict.example".into(),
    ]
}

const MODERN: &str = ">=TLSv1.2";

// ---------------------------------------------------------------------------------------------
// The cases

#[test]
fn a_ca_signed_certificate_for_the_probed_name_over_tls_1_3_meets_every_check() {
    let Some(bin) = postfix_or_skip("a_ca_signed_certificate_for_the_probed_name_over_tls_1_3")
    else {
        return;
    };
    let work = TempDir::new("work");
    let server = Postfix::start(
        bin,
        "ca-signed",
        &Tls::On {
            chain: &pki().right_name,
            protocols: MODERN,
        },
    );
    let out = probe(&server.target(), &[], &work);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(
        out.json["connection"],
        json!({"tls": true, "version": "1.3", "certificate": {"trust": "ca-signed", "hostname": "match"}})
    );
    let d = &out.json["details"];
    assert_eq!(d["starttls"], json!(true));
    assert!(d["capabilities"]
        .as_array()
        .unwrap()
        .contains(&json!("STARTTLS")));
    let greeting = d["greeting"].as_str().unwrap();
    assert!(
        greeting.starts_with("220 mx.test.example ESMTP Postfix ("),
        "{greeting}"
    );
    assert_eq!(d["address"], json!(format!("127.0.0.1:{}", server.port)));
    assert_eq!(d["expectedHostname"], json!(HOST));
    assert!(
        d["tls"]["cipherSuite"]
            .as_str()
            .unwrap()
            .starts_with("TLS13_"),
        "{d}"
    );
    assert_eq!(
        d["certificate"]["issuer"],
        json!("CN=tls-compliance test CA")
    );
    assert_eq!(d["certificate"]["dnsNames"], json!([HOST]));
    assert_eq!(d["certificate"]["chainError"], Value::Null);
    assert!(d["certificate"]["notAfter"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    assert_eq!(d["roots"]["caFile"], json!(1));

    assert_eq!(
        eval_facts(&out.json["connection"], &work),
        [deliver(), deliver()]
    );
}

#[test]
fn with_a_policy_the_probe_prints_the_decision_eval_gives_for_its_facts() {
    let Some(bin) = postfix_or_skip("with_a_policy_the_probe_prints_the_decision") else {
        return;
    };
    let work = TempDir::new("work");
    let server = Postfix::start(
        bin,
        "tls12-policy",
        &Tls::On {
            chain: &pki().right_name,
            protocols: "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1, !TLSv1.3",
        },
    );
    let args = policy_args(&work);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = probe(&server.target(), &args, &work);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let decision = &out.json["decision"];
    assert_eq!(
        decision,
        &eval_decision(&out.json["connection"], &work),
        "the probe's decision is eval's"
    );
    assert_eq!(
        outcomes(decision),
        [deliver(), bounce("tls-version-too-low", "5.7.10")]
    );
    let reply = decision["transaction"]["reply"].as_str().unwrap();
    assert!(
        reply.starts_with("550 5.7.10 ") && reply.ends_with("(tls-version-too-low)"),
        "{reply}"
    );
    let text = probe(
        &server.target(),
        &[&["--format", "text"], &args[..]].concat(),
        &work,
    );
    assert!(
        text.stdout
            .contains("policy decision for a message over this connection"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("carol@strict.example: bounce"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_server_limited_to_tls_1_2_is_reported_as_tls_1_2_and_fails_a_tls_1_3_minimum() {
    let Some(bin) = postfix_or_skip("a_server_limited_to_tls_1_2") else {
        return;
    };
    let work = TempDir::new("work");
    let server = Postfix::start(
        bin,
        "tls12",
        &Tls::On {
            chain: &pki().right_name,
            protocols: "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1, !TLSv1.3",
        },
    );
    let out = probe(&server.target(), &[], &work);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(
        out.json["connection"],
        json!({"tls": true, "version": "1.2", "certificate": {"trust": "ca-signed", "hostname": "match"}})
    );
    let suite = out.json["details"]["tls"]["cipherSuite"].as_str().unwrap();
    assert!(suite.starts_with("TLS_ECDHE_"), "{suite}");
    assert_eq!(
        eval_facts(&out.json["connection"], &work),
        [deliver(), bounce("tls-version-too-low", "5.7.10")]
    );
}

#[test]
fn a_self_signed_certificate_is_self_signed_and_not_trusted_by_the_policy() {
    let Some(bin) = postfix_or_skip("a_self_signed_certificate") else {
        return;
    };
    let work = TempDir::new("work");
    let server = Postfix::start(
        bin,
        "self-signed",
        &Tls::On {
            chain: &pki().self_signed,
            protocols: MODERN,
        },
    );
    let out = probe(&server.target(), &[], &work);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(
        out.json["connection"],
        json!({"tls": true, "version": "1.3", "certificate": {"trust": "self-signed", "hostname": "match"}})
    );
    assert_eq!(
        out.json["details"]["certificate"]["selfIssued"],
        json!(true)
    );
    assert_eq!(
        eval_facts(&out.json["connection"], &work),
        [
            bounce("certificate-not-trusted", "5.7.5"),
            bounce("certificate-not-trusted", "5.7.5")
        ]
    );
    let text = probe(&server.target(), &["--format", "text"], &work);
    assert!(
        text.stdout
            .contains("Install a certificate signed by a certificate authority"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("ask the relay provider"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_certificate_for_another_name_is_a_hostname_mismatch_but_still_ca_signed() {
    let Some(bin) = postfix_or_skip("a_certificate_for_another_name") else {
        return;
    };
    let work = TempDir::new("work");
    let server = Postfix::start(
        bin,
        "wrong-name",
        &Tls::On {
            chain: &pki().wrong_name,
            protocols: MODERN,
        },
    );
    let out = probe(&server.target(), &[], &work);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(
        out.json["connection"],
        json!({"tls": true, "version": "1.3", "certificate": {"trust": "ca-signed", "hostname": "mismatch"}})
    );
    let cert = &out.json["details"]["certificate"];
    assert_eq!(cert["dnsNames"], json!(["mx.other.example"]));
    assert!(cert["hostnameError"].as_str().unwrap().contains(HOST));
    assert_eq!(
        eval_facts(&out.json["connection"], &work),
        [
            bounce("certificate-host-mismatch", "5.7.5"),
            bounce("certificate-host-mismatch", "5.7.5")
        ]
    );
    let text = probe(&server.target(), &["--format", "text"], &work);
    assert!(
        text.stdout.contains("Use the hostname on the certificate"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("`mx.other.example`"),
        "{}",
        text.stdout
    );

    // Expecting the name on the certificate: the same server matches.
    let out = probe(
        &server.target(),
        &["--expect-hostname", "mx.other.example"],
        &work,
    );
    assert_eq!(
        out.json["connection"]["certificate"]["hostname"],
        json!("match")
    );
    assert_eq!(
        out.json["details"]["expectedHostname"],
        json!("mx.other.example")
    );
}

#[test]
fn the_expected_hostname_replaces_the_probed_name_of_an_address() {
    let Some(bin) = postfix_or_skip("the_expected_hostname_replaces_the_probed_name") else {
        return;
    };
    let work = TempDir::new("work");
    let server = Postfix::start(
        bin,
        "by-address",
        &Tls::On {
            chain: &pki().right_name,
            protocols: MODERN,
        },
    );
    let by_address = format!("127.0.0.1:{}", server.port);
    let out = probe(&by_address, &[], &work);
    assert_eq!(
        out.json["connection"]["certificate"]["hostname"],
        json!("mismatch"),
        "{}",
        out.stdout
    );
    let out = probe(&by_address, &["--expect-hostname", HOST], &work);
    assert_eq!(
        out.json["connection"]["certificate"],
        json!({"trust": "ca-signed", "hostname": "match"})
    );
}

#[test]
fn an_expired_certificate_from_a_trusted_ca_is_expired() {
    let Some(bin) = postfix_or_skip("an_expired_certificate") else {
        return;
    };
    let work = TempDir::new("work");
    let server = Postfix::start(
        bin,
        "expired",
        &Tls::On {
            chain: &pki().expired,
            protocols: MODERN,
        },
    );
    let out = probe(&server.target(), &[], &work);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(
        out.json["connection"],
        json!({"tls": true, "version": "1.3", "certificate": {"trust": "expired", "hostname": "match"}})
    );
    assert_eq!(
        out.json["details"]["certificate"]["notAfter"],
        json!("2021-01-01T00:00:00Z")
    );
    assert_eq!(
        eval_facts(&out.json["connection"], &work),
        [
            bounce("certificate-expired", "5.7.5"),
            bounce("certificate-expired", "5.7.5")
        ]
    );
    let text = probe(&server.target(), &["--format", "text"], &work);
    assert!(
        text.stdout.contains("expired on 2021-01-01T00:00:00Z"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("Renew the certificate"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_chain_to_a_root_the_probe_does_not_trust_is_untrusted() {
    let Some(bin) = postfix_or_skip("a_chain_to_a_root_the_probe_does_not_trust") else {
        return;
    };
    let work = TempDir::new("work");
    let server = Postfix::start(
        bin,
        "untrusted",
        &Tls::On {
            chain: &pki().right_name,
            protocols: MODERN,
        },
    );
    let out = run(&["probe", &server.target(), "--timeout", "5"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(
        out.json["connection"]["certificate"],
        json!({"trust": "untrusted", "hostname": "match"})
    );
    assert!(out.json["details"]["certificate"]["chainError"]
        .as_str()
        .unwrap()
        .contains("unknown issuer"));
    assert_eq!(
        eval_facts(&out.json["connection"], &work),
        [
            bounce("certificate-not-trusted", "5.7.5"),
            bounce("certificate-not-trusted", "5.7.5")
        ]
    );
}

#[test]
fn a_server_without_starttls_gives_tls_false_and_exit_code_7() {
    let Some(bin) = postfix_or_skip("a_server_without_starttls") else {
        return;
    };
    let work = TempDir::new("work");
    let server = Postfix::start(bin, "no-starttls", &Tls::Off);
    let out = probe(&server.target(), &[], &work);
    assert_eq!(out.code, 7, "{}", out.stdout);
    assert_eq!(out.json["connection"], json!({"tls": false}));
    assert_eq!(out.json["details"]["starttls"], json!(false));
    assert!(!out.json["details"]["capabilities"]
        .as_array()
        .unwrap()
        .contains(&json!("STARTTLS")));
    assert_eq!(out.json["details"]["tls"], Value::Null);
    assert_eq!(
        eval_facts(&out.json["connection"], &work),
        [
            bounce("starttls-not-supported", "5.7.10"),
            bounce("starttls-not-supported", "5.7.10")
        ]
    );

    let args = policy_args(&work);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let with_policy = probe(&server.target(), &args, &work);
    assert_eq!(with_policy.code, 7);
    assert_eq!(
        with_policy.json["decision"]["transaction"]["verdict"],
        json!("bounce")
    );

    let text = probe(&server.target(), &["--format", "text"], &work);
    assert_eq!(text.code, 7);
    assert!(
        text.stdout.contains("does not offer STARTTLS"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("Enable TLS (STARTTLS)"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_server_that_offers_only_tls_1_1_fails_the_handshake_with_exit_code_8() {
    let Some(bin) = postfix_or_skip("a_server_that_offers_only_tls_1_1") else {
        return;
    };
    let work = TempDir::new("work");
    let server = Postfix::start(
        bin,
        "tls11",
        &Tls::On {
            chain: &pki().right_name,
            protocols: "!SSLv2, !SSLv3, !TLSv1.2, !TLSv1.3",
        },
    );
    let out = probe(&server.target(), &[], &work);
    assert_eq!(out.code, 8, "{}", out.stdout);
    assert_eq!(out.json["error"], json!("handshakeFailed"));
    let message = out.json["message"].as_str().unwrap();
    assert!(
        message.starts_with("the TLS handshake failed: "),
        "{message}"
    );
    assert!(message.contains("TLS 1.2 and 1.3"), "{message}");
    assert_eq!(out.json["details"]["starttls"], json!(true));
    assert!(out.json["help"]
        .as_str()
        .unwrap()
        .contains("TLS 1.2 or later"));
}

// ---------------------------------------------------------------------------------------------
// No mail server needed

#[test]
fn a_closed_port_is_connection_refused_with_exit_code_5() {
    let port = free_port();
    let work = TempDir::new("work");
    let out = probe(&format!("127.0.0.1:{port}"), &[], &work);
    assert_eq!(out.code, 5, "{}", out.stdout);
    assert_eq!(out.json["error"], json!("connectionRefused"));
    assert_eq!(
        out.json["message"],
        json!(format!("connection refused to 127.0.0.1:{port}"))
    );
    assert_eq!(out.json["details"]["address"], Value::Null);
    let text = probe(&format!("127.0.0.1:{port}"), &["--format", "text"], &work);
    assert!(
        text.stdout.contains("Fix: Check the host and the port"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_name_that_does_not_resolve_gives_exit_code_4() {
    let work = TempDir::new("work");
    let out = probe("nonexistent.invalid", &[], &work);
    assert_eq!(out.code, 4, "{}", out.stdout);
    assert_eq!(out.json["error"], json!("nameNotResolved"));
    assert!(out.json["message"]
        .as_str()
        .unwrap()
        .contains("`nonexistent.invalid`"));
}

#[test]
fn a_server_that_never_greets_times_out_with_exit_code_6() {
    // Accepts the connection and says nothing: the probe must give up, not hang.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_secs(3));
        drop(conn);
    });
    let started = Instant::now();
    let out = run(&["probe", &format!("127.0.0.1:{port}"), "--timeout", "0.5"]);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.code, 6, "{}", out.stdout);
    assert_eq!(out.json["error"], json!("timeout"));
    assert_eq!(
        out.json["message"],
        json!("timed out after 0.5s waiting for the server's greeting")
    );
    holder.join().unwrap();
}

#[test]
fn bad_probe_arguments_are_usage_errors_before_any_connection() {
    let work = TempDir::new("work");
    for args in [
        vec!["probe", "mx.example:0"],
        vec!["probe", "mx.example", "--timeout", "0"],
        vec!["probe", "mx.example", "--policy", "p.json"],
        vec!["probe", "mx.example", "--sender", "a@b.example"],
        vec!["probe", "mx.example", "--ca-file", "/nonexistent/ca.pem"],
    ] {
        let out = run(&args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stdout);
    }
    // A policy that does not load is exit 1; a bad address exit 2: both before connecting.
    let policy = work.path().join("bad.json");
    std::fs::write(&policy, "{}").unwrap();
    let p = policy.to_str().unwrap();
    let out = run(&[
        "probe",
        "127.0.0.1:1",
        "--policy",
        p,
        "--sender",
        "a@b.example",
        "--recipient",
        "c@d.example",
    ]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    std::fs::write(&policy, POLICY).unwrap();
    let out = run(&[
        "probe",
        "127.0.0.1:1",
        "--policy",
        p,
        "--sender",
        "not an address",
        "--recipient",
        "c@d.example",
    ]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert_eq!(out.json["error"], json!("invalidScenario"));
}
