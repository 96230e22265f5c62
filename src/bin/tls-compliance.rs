//! The `tls-compliance` command line (SPEC §9).
//!
//! Exit codes: 0 done; 1 invalid policy; 2 invalid scenario or bad usage; 3 internal fault (its
//! output carries the `451 4.3.0` reply a host would send). `probe` adds 4–9: see
//! `tls-compliance probe --help`.

use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;
use serde_json::json;

use tls_compliance::explain::{explain_decision, explain_diff, explain_impact, explain_report};
use tls_compliance::probe::{
    explain_probe, explain_probe_error, ProbeDetails, ProbeErrorKind, ProbeOptions, Target,
};
use tls_compliance::source::{locate_all, to_pretty_json};
use tls_compliance::{
    diff, impact, parse_scenarios, validate_text, Decision, EvalError, Policy, Scenarios,
    ValidationError,
};

const EXAMPLE_POLICY: &str = include_str!("../example/policy.json");
const EXAMPLE_SCENARIOS: &str = include_str!("../example/scenarios.json");

#[derive(Parser)]
#[command(
    name = "tls-compliance",
    version,
    about = "Secure transport (TLS) compliance for mail: validate a policy, decide, explain, compare",
    after_help = "Exit codes: 0 done, 1 invalid policy, 2 invalid scenario or usage, 3 internal fault; `probe` adds 4-9 (see `probe --help`).\n`-` for a file reads standard input."
)]
struct Cli {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json, global = true)]
    format: Format,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// JSON, the contract every host shares.
    Json,
    /// A report for people.
    Text,
}

#[derive(Subcommand)]
enum Command {
    /// Validate and lint a policy.
    Check {
        /// Policy file (`-` for stdin).
        policy: PathBuf,
    },
    /// Decide one scenario, or an array of them.
    Eval {
        /// Policy file (`-` for stdin).
        policy: PathBuf,
        /// Scenario file: one object, or an array (`-` for stdin).
        scenario: PathBuf,
    },
    /// Show which recipients' outcomes a policy change alters.
    Impact {
        /// The policy before the change.
        before: PathBuf,
        /// The policy after the change.
        after: PathBuf,
        /// Scenario file: one object, or an array (`-` for stdin).
        scenarios: PathBuf,
    },
    /// Describe a policy change as an audit-log entry.
    Diff {
        /// The policy before the change.
        before: PathBuf,
        /// The policy after the change.
        after: PathBuf,
    },
    /// Test a live mail server's STARTTLS and certificate: print the connection facts (SPEC §4)
    /// that `eval` takes, and with --policy the decision they give.
    #[command(after_help = PROBE_EXIT_CODES)]
    Probe(Box<ProbeArgs>),
    /// Print the built-in example policy or scenarios.
    Example {
        /// Which one.
        #[arg(value_enum)]
        what: ExampleKind,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ExampleKind {
    /// The example policy.
    Policy,
    /// The example scenarios.
    Scenarios,
}

/// How a run ends: what to print and the exit code.
struct Outcome {
    code: u8,
    /// Rendered from the typed values, so fields keep their contract order (a `serde_json::Value`
    /// would sort them).
    json: String,
    text: String,
}

fn emit(format: Format, outcome: Outcome) -> ExitCode {
    // `println!` panics when stdout is closed (`… | head`); a closed pipe is not a fault of ours.
    let mut out = std::io::stdout().lock();
    let _ = match format {
        Format::Json => writeln!(out, "{}", outcome.json),
        Format::Text => write!(out, "{}", outcome.text),
    };
    ExitCode::from(outcome.code)
}

fn value<T: Serialize>(v: &T) -> String {
    to_pretty_json(v)
}

/// The JSON an invalid input prints.
#[derive(Serialize)]
struct InvalidOutput<'a> {
    error: &'a str,
    file: &'a str,
    errors: &'a [ValidationError],
}

fn usage(message: String) -> Outcome {
    Outcome {
        code: 2,
        json: value(&json!({ "error": "usage", "message": message })),
        text: format!("error: {message}\n"),
    }
}

fn invalid(kind: &str, code: u8, file: &str, errors: &[ValidationError]) -> Outcome {
    let mut text = format!("invalid {kind} `{file}`: {} error(s)\n", errors.len());
    for e in errors {
        text.push_str(&format!("{file}:{e}\n"));
    }
    let tag = if kind == "policy" {
        "invalidPolicy"
    } else {
        "invalidScenario"
    };
    Outcome {
        code,
        json: value(&InvalidOutput {
            error: tag,
            file,
            errors,
        }),
        text,
    }
}

fn fault(f: &tls_compliance::Fault) -> Outcome {
    Outcome {
        code: 3,
        json: value(&json!({ "error": "fault", "message": f.message, "reply": f.reply })),
        text: format!("{f}\n"),
    }
}

/// Reads each input once; at most one of them may be standard input.
struct Inputs {
    stdin_used: bool,
}

impl Inputs {
    fn read(&mut self, path: &PathBuf, kind: &str) -> Result<(String, String), Outcome> {
        let name = path.display().to_string();
        let code = if kind == "policy" { 1 } else { 2 };
        let unreadable = |message: String| {
            let e = ValidationError::new(tls_compliance::ErrorCode::Unreadable, "", message);
            invalid(kind, code, &name, &[e])
        };
        if name == "-" {
            if self.stdin_used {
                return Err(usage(
                    "only one input can be `-` (standard input)".to_owned(),
                ));
            }
            self.stdin_used = true;
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| unreadable(format!("cannot read standard input: {e}")))?;
            return Ok((name, text));
        }
        std::fs::read_to_string(path)
            .map(|t| (name.clone(), t))
            .map_err(|e| unreadable(format!("cannot read `{name}`: {e}")))
    }

    fn policy(&mut self, path: &PathBuf) -> Result<Policy, Outcome> {
        let (name, text) = self.read(path, "policy")?;
        Policy::from_text(&text).map_err(|errors| invalid("policy", 1, &name, &errors))
    }

    fn scenarios(&mut self, path: &PathBuf) -> Result<(String, String, Scenarios), Outcome> {
        let (name, text) = self.read(path, "scenario")?;
        let parsed = parse_scenarios(&text).map_err(|e| invalid("scenario", 2, &name, &[e]))?;
        Ok((name, text, parsed))
    }
}

fn eval_error(e: EvalError, file: &str, text: &str) -> Outcome {
    match e {
        EvalError::Invalid(mut errors) => {
            locate_all(text, &mut errors);
            invalid("scenario", 2, file, &errors)
        }
        EvalError::Fault(f) => fault(&f),
    }
}

fn run(cli: &Cli) -> Outcome {
    // Two `-` inputs is bad usage whatever standard input holds: say so before reading any.
    let files: Vec<&PathBuf> = match &cli.command {
        Command::Check { policy } => vec![policy],
        Command::Eval { policy, scenario } => vec![policy, scenario],
        Command::Impact {
            before,
            after,
            scenarios,
        } => vec![before, after, scenarios],
        Command::Diff { before, after } => vec![before, after],
        Command::Probe(args) => args.policy.iter().collect(),
        Command::Example { .. } => vec![],
    };
    if files.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return usage("only one input can be `-` (standard input)".to_owned());
    }
    let mut inputs = Inputs { stdin_used: false };
    let result = match &cli.command {
        Command::Check { policy } => check(&mut inputs, policy),
        Command::Eval { policy, scenario } => eval(&mut inputs, policy, scenario),
        Command::Impact {
            before,
            after,
            scenarios,
        } => run_impact(&mut inputs, before, after, scenarios),
        Command::Diff { before, after } => run_diff(&mut inputs, before, after),
        Command::Probe(args) => run_probe(&mut inputs, args),
        Command::Example { what } => {
            let text = match what {
                ExampleKind::Policy => EXAMPLE_POLICY,
                ExampleKind::Scenarios => EXAMPLE_SCENARIOS,
            };
            Ok(Outcome {
                code: 0,
                json: text.trim_end().to_owned(),
                text: text.to_owned(),
            })
        }
    };
    result.unwrap_or_else(|o| o)
}

fn check(inputs: &mut Inputs, policy: &PathBuf) -> Result<Outcome, Outcome> {
    let (name, text) = inputs.read(policy, "policy")?;
    let report = validate_text(&text);
    let code = if report.valid { 0 } else { 1 };
    let mut text_out = String::new();
    for e in &report.errors {
        text_out.push_str(&format!("{name}:{e}\n"));
    }
    for w in &report.warnings {
        text_out.push_str(&format!("{name}:warning: {w}\n"));
    }
    let summary = explain_report(&report);
    let summary = summary.lines().next().unwrap_or_default();
    Ok(Outcome {
        code,
        json: value(&report),
        text: format!("{summary}\n{text_out}"),
    })
}

fn eval(inputs: &mut Inputs, policy: &PathBuf, scenario: &PathBuf) -> Result<Outcome, Outcome> {
    let policy = inputs.policy(policy)?;
    let (name, text, scenarios) = inputs.scenarios(scenario)?;
    let decide = |(i, s): (usize, &tls_compliance::Scenario)| -> Result<Decision, Outcome> {
        policy.evaluate(s).map_err(|e| {
            let e = match (&scenarios, e) {
                (Scenarios::Many(_), EvalError::Invalid(errors)) => EvalError::Invalid(
                    errors
                        .into_iter()
                        .map(|d| d.under(&format!("/{i}")))
                        .collect(),
                ),
                (_, e) => e,
            };
            eval_error(e, &name, &text)
        })
    };
    match &scenarios {
        Scenarios::One(s) => {
            let d = decide((0, s))?;
            Ok(Outcome {
                code: 0,
                json: value(&d),
                text: explain_decision(&d),
            })
        }
        Scenarios::Many(list) => {
            let decisions = list
                .iter()
                .enumerate()
                .map(decide)
                .collect::<Result<Vec<_>, _>>()?;
            let mut text = String::new();
            for (s, d) in list.iter().zip(&decisions) {
                if let Some(n) = &s.name {
                    text.push_str(&format!("== {n}\n"));
                }
                text.push_str(&explain_decision(d));
                text.push('\n');
            }
            Ok(Outcome {
                code: 0,
                json: value(&decisions),
                text,
            })
        }
    }
}

fn run_impact(
    inputs: &mut Inputs,
    before: &PathBuf,
    after: &PathBuf,
    scenarios: &PathBuf,
) -> Result<Outcome, Outcome> {
    let before = inputs.policy(before)?;
    let after = inputs.policy(after)?;
    let (name, text, scenarios) = inputs.scenarios(scenarios)?;
    let report =
        impact(before.compiled(), after.compiled(), scenarios.as_slice()).map_err(|e| {
            // `impact` places pointers under `/<index>`; a single object has no index.
            let e = match (&scenarios, e) {
                (Scenarios::One(_), EvalError::Invalid(errors)) => EvalError::Invalid(
                    errors
                        .into_iter()
                        .map(|mut d| {
                            d.pointer = d
                                .pointer
                                .strip_prefix("/0")
                                .unwrap_or(&d.pointer)
                                .to_owned();
                            d
                        })
                        .collect(),
                ),
                (_, e) => e,
            };
            eval_error(e, &name, &text)
        })?;
    Ok(Outcome {
        code: 0,
        json: value(&report),
        text: explain_impact(&report),
    })
}

fn run_diff(inputs: &mut Inputs, before: &PathBuf, after: &PathBuf) -> Result<Outcome, Outcome> {
    let before = inputs.policy(before)?;
    let after = inputs.policy(after)?;
    let entry = diff(before.document(), after.document());
    Ok(Outcome {
        code: 0,
        json: value(&entry),
        text: explain_diff(&entry),
    })
}

const PROBE_EXIT_CODES: &str = "\
Output: {\"connection\": SPEC §4 facts for `eval`, \"details\": what was seen, \"decision\": with --policy}.

Exit codes:
  0  probed: TLS was negotiated (the facts say how good it is)
  1  invalid policy (--policy)
  2  invalid --sender/--recipient, or bad usage
  3  internal fault
  4  the host name does not resolve
  5  connection refused, or no route to the host
  6  timed out (resolving, connecting, waiting for a reply, or in the handshake)
  7  no TLS: STARTTLS not offered, or refused; the facts ({\"tls\": false}) are printed
  8  the TLS handshake failed (the reason is printed)
  9  the SMTP session failed (greeting or EHLO refused, not SMTP, connection closed)";

#[derive(Args)]
struct ProbeArgs {
    /// The mail server: `HOST[:PORT]` (port 25 by default; `[::1]:2525` for IPv6).
    #[arg(value_name = "HOST[:PORT]")]
    target: String,
    /// The name the certificate must carry (and the TLS server name sent); default: HOST.
    #[arg(long, value_name = "NAME")]
    expect_hostname: Option<String>,
    /// Also trust the root certificates in this PEM file (repeatable).
    #[arg(long, value_name = "FILE")]
    ca_file: Vec<PathBuf>,
    /// Do not trust the system's root certificates (only --ca-file).
    #[arg(long)]
    no_system_roots: bool,
    /// Limit, in seconds, for each step: resolving, connecting, each reply, the handshake.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_timeout)]
    timeout: std::time::Duration,
    /// The name to send with EHLO.
    #[arg(long, value_name = "NAME", default_value = "localhost")]
    ehlo: String,
    /// Also decide a message over this connection with this policy (`-` for stdin).
    #[arg(long, value_name = "FILE", requires_all = ["sender", "recipient"])]
    policy: Option<PathBuf>,
    /// The message's sender (inbound: also its From: mailbox).
    #[arg(long, value_name = "ADDRESS", requires = "policy")]
    sender: Option<String>,
    /// A recipient of the message (repeatable).
    #[arg(long, value_name = "ADDRESS", requires = "policy")]
    recipient: Vec<String>,
    /// Which way the message travels.
    #[arg(long, value_enum, default_value_t = ProbeDirection::Outbound)]
    direction: ProbeDirection,
}

#[derive(Clone, Copy, ValueEnum)]
enum ProbeDirection {
    /// Sent by the organisation (the recipients are matched).
    Outbound,
    /// Received by the organisation (the sender's From: is matched).
    Inbound,
}

fn parse_timeout(s: &str) -> Result<std::time::Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err(format!(
            "`{s}`: the timeout must be above 0 and at most 3600 seconds"
        ));
    }
    std::time::Duration::try_from_secs_f64(secs).map_err(|e| e.to_string())
}

/// The exit code of a probe that stopped early.
fn probe_exit_code(kind: ProbeErrorKind) -> u8 {
    match kind {
        ProbeErrorKind::NameNotResolved => 4,
        ProbeErrorKind::ConnectionRefused | ProbeErrorKind::ConnectFailed => 5,
        ProbeErrorKind::Timeout => 6,
        ProbeErrorKind::HandshakeFailed => 8,
        ProbeErrorKind::Smtp => 9,
    }
}

/// What `probe` prints when it reached a verdict on TLS.
#[derive(Serialize)]
struct ProbeOutput<'a> {
    connection: &'a tls_compliance::TlsFacts,
    details: &'a ProbeDetails,
    #[serde(skip_serializing_if = "Option::is_none")]
    decision: Option<&'a Decision>,
}

/// What `probe` prints when it stopped early.
#[derive(Serialize)]
struct ProbeErrorOutput<'a> {
    error: &'a str,
    message: &'a str,
    help: &'a str,
    details: &'a ProbeDetails,
}

fn run_probe(inputs: &mut Inputs, args: &ProbeArgs) -> Result<Outcome, Outcome> {
    let target: Target = args.target.parse().map_err(usage)?;
    // Check everything given before connecting: a bad policy or address is not worth a probe.
    let direction = match args.direction {
        ProbeDirection::Outbound => tls_compliance::Direction::Outbound,
        ProbeDirection::Inbound => tls_compliance::Direction::Inbound,
    };
    let question = match (&args.policy, &args.sender) {
        (Some(path), Some(sender)) => {
            let policy = inputs.policy(path)?;
            let unknown = tls_compliance::probe::scenario(
                direction,
                sender,
                &args.recipient,
                tls_compliance::TlsFacts::default(),
            );
            if let Err(e) = policy.evaluate(&unknown) {
                return Err(eval_error(e, "--sender/--recipient", ""));
            }
            Some((policy, sender))
        }
        _ => None,
    };
    let mut options = ProbeOptions::new(args.timeout);
    options.expect_hostname.clone_from(&args.expect_hostname);
    options.system_roots = !args.no_system_roots;
    options.ehlo_name.clone_from(&args.ehlo);
    for path in &args.ca_file {
        options
            .ca_certificates
            .extend(tls_compliance::probe::load_ca_file(path).map_err(usage)?);
    }

    let report = match tls_compliance::probe::probe(&target, &options) {
        Ok(report) => report,
        Err(e) => {
            let help = e.help();
            return Err(Outcome {
                code: probe_exit_code(e.kind),
                json: value(&ProbeErrorOutput {
                    error: e.kind.as_str(),
                    message: &e.message,
                    help: &help,
                    details: &e.details,
                }),
                text: explain_probe_error(&e),
            });
        }
    };
    let decision = match question {
        Some((policy, sender)) => {
            let scenario = tls_compliance::probe::scenario(
                direction,
                sender,
                &args.recipient,
                report.connection,
            );
            Some(
                policy
                    .evaluate(&scenario)
                    .map_err(|e| eval_error(e, "probe", ""))?,
            )
        }
        None => None,
    };
    let mut text = explain_probe(&report);
    if let Some(d) = &decision {
        text.push_str("\npolicy decision for a message over this connection:\n");
        text.push_str(&explain_decision(d));
    }
    Ok(Outcome {
        code: if report.no_tls() { 7 } else { 0 },
        json: value(&ProbeOutput {
            connection: &report.connection,
            details: &report.details,
            decision: decision.as_ref(),
        }),
        text,
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = cli.format;
    emit(format, run(&cli))
}
