//! Peak memory of loading a 1M-entry policy: `cargo run --release --example memory`.
//!
//! The synthetic policy of `benches/support/synthetic.rs` is written to a temporary file; then the
//! example runs itself again as a fresh process that does what a host does to load a policy —
//! read the file, parse it, compile it — and reports its peak resident set (`VmHWM` from
//! `/proc/self/status`, Linux only), the resident set at each step, and
//! `CompiledPolicy::index_heap_bytes()` for the compiled entry index alone. The measuring process
//! never holds the generator's data, so its peak is the loading alone.
//!
//! `memory [ENTRIES]` (default 1,000,000) measures a policy of that size;
//! `memory measure PATH` measures a policy file of your own.

// An example with fixed, known-good inputs: a failure is a bug in the example.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

// The example uses the generator only, not the probe addresses.
#[allow(dead_code)]
#[path = "../benches/support/synthetic.rs"]
mod synthetic;

use std::process::Command;

use tls_compliance::{parse_policy, CompiledPolicy};

/// A field of `/proc/self/status` in KiB (`VmHWM`, `VmRSS`), or 0 where there is none.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn measure(path: &str) {
    let start = status_kib("VmRSS:");
    let text = std::fs::read_to_string(path).expect("policy file is readable");
    let after_read = status_kib("VmRSS:");
    let doc = parse_policy(&text).expect("policy parses");
    let after_parse = status_kib("VmRSS:");
    let compiled = CompiledPolicy::compile(&doc).expect("policy compiles");
    let after_compile = status_kib("VmRSS:");
    let peak_loading = status_kib("VmHWM:");
    drop(doc);
    drop(text);
    let kept = status_kib("VmRSS:");
    println!(
        "policy file:            {path} ({} bytes)",
        std::fs::metadata(path).map_or(0, |m| m.len())
    );
    println!("entries:                {}", compiled.entry_count());
    println!("RSS at start:           {}", mib(start));
    println!("RSS after read:         {}", mib(after_read));
    println!("RSS after parse:        {}", mib(after_parse));
    println!("RSS after compile:      {}", mib(after_compile));
    println!("peak RSS (VmHWM):       {}", mib(peak_loading));
    println!(
        "RSS, compiled only:     {} (text and document dropped)",
        mib(kept)
    );
    println!(
        "index_heap_bytes():     {:.1} MiB",
        compiled.index_heap_bytes() as f64 / (1024.0 * 1024.0)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("measure") {
        measure(args.get(2).expect("usage: memory measure PATH"));
        return;
    }
    let entries: usize = args
        .get(1)
        .map_or(1_000_000, |n| n.parse().expect("ENTRIES is a number"));
    let path = std::env::temp_dir().join(format!("tls-compliance-memory-{entries}.json"));
    std::fs::write(&path, synthetic::policy(entries).text).expect("temporary file is writable");
    let status = Command::new(std::env::current_exe().expect("own path"))
        .arg("measure")
        .arg(&path)
        .status()
        .expect("the measuring process starts");
    let _ = std::fs::remove_file(&path);
    std::process::exit(status.code().unwrap_or(1));
}
