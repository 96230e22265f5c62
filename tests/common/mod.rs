//! Running the built command line from integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The `tls-compliance` binary Cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_tls-compliance");

/// Runs the binary (in `dir` when given), feeding `stdin` when given, and fails the test if it
/// panicked.
pub fn run_cli(dir: Option<&Path>, args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let mut child = command.spawn().expect("the tls-compliance binary runs");
    if let Some(text) = stdin {
        // A process that exits before reading all of stdin closes the pipe; that is not a failure.
        let _ = child.stdin.take().unwrap().write_all(text.as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    assert_no_panic(args, &out);
    out
}

/// Fails the test when the run panicked (exit 101, or a panic message on stderr).
pub fn assert_no_panic(args: &[&str], out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code() != Some(101) && !stderr.contains("panicked"),
        "tls-compliance {args:?} panicked (exit {:?}): {stderr}",
        out.status.code()
    );
}
