//! The `tls-compliance` command line (SPEC §9).
//!
//! Exit codes: 0 done; 1 invalid policy; 2 invalid scenario or bad usage; 3 internal fault (its
//! output carries the `451 4.3.0` reply a host would send).

use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;
use serde_json::json;

use tls_compliance::explain::{explain_decision, explain_diff, explain_impact, explain_report};
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
    after_help = "Exit codes: 0 done, 1 invalid policy, 2 invalid scenario or usage, 3 internal fault.\n`-` for a file reads standard input."
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = cli.format;
    emit(format, run(&cli))
}
