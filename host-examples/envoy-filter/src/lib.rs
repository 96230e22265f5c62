//! # tls-compliance Envoy filter
//!
//! A proxy-wasm (ABI 0.2.1) **network** filter that enforces the organisation's TLS-compliance
//! policy on live SMTP in Envoy (SPEC §8). It is thin: the SMTP session logic is the core's
//! [`tls_compliance::smtp::Session`]; this crate reads the configuration, gives the session the
//! bytes of each callback and Envoy's TLS facts, writes back what the session answers, and turns
//! the session's events into log lines and counters.
//!
//! | module | what |
//! |---|---|
//! | [`config`] | the JSON configuration, read in `on_configure` |
//! | [`facts`] | TLS facts from Envoy's connection properties |
//! | [`whatif`] | the `evaluate` mode (decision requests over a socket) |
//!
//! Build: `cargo build -p tls-compliance-envoy-filter --target wasm32-wasip1 --profile wasm-filter`.

pub mod config;
pub mod facts;
pub mod whatif;

use std::rc::Rc;

use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, RootContext, StreamContext};
use proxy_wasm::types::{Action, BufferType, ContextType, LogLevel, MetricType};
use tls_compliance::smtp::{Event, FactsSource, Session, Step};
use tls_compliance::Failure;

use crate::config::{FilterMode, Loaded, TlsFactsSource};
use crate::facts::Side;

/// The module's `_initialize` export: registers the root context.
mod entry {
    #![allow(missing_docs)]
    use proxy_wasm::traits::RootContext;
    use proxy_wasm::types::LogLevel;

    proxy_wasm::main! {{
        proxy_wasm::set_log_level(LogLevel::Info);
        proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(super::Root::default()) });
    }}
}

/// Counter names, under Envoy's `wasmcustom.` prefix.
const COUNTERS: [&str; 12] = [
    "sessions",
    "accepted",
    "rejected",
    "delivered",
    "bounced",
    "deferred",
    "refused",
    "fault",
    "starttls",
    "discarded",
    "neutralised",
    "closed",
];

/// The counters, defined once per VM.
#[derive(Debug, Default)]
struct Metrics {
    ids: Vec<(String, u32)>,
}

impl Metrics {
    fn define() -> Self {
        let mut names: Vec<String> = COUNTERS.iter().map(|c| c.to_string()).collect();
        for verdict in ["rejected", "bounced"] {
            for f in Failure::ALL {
                names.push(format!("{verdict}.{}", f.as_str()));
            }
        }
        let ids = names
            .into_iter()
            .filter_map(|n| {
                hostcalls::define_metric(MetricType::Counter, &format!("tls_compliance.{n}"))
                    .ok()
                    .map(|id| (n, id))
            })
            .collect();
        Self { ids }
    }

    fn increment(&self, name: &str) {
        if let Some((_, id)) = self.ids.iter().find(|(n, _)| n == name) {
            let _ = hostcalls::increment_metric(*id, 1);
        }
    }

    fn record(&self, event: &Event) {
        self.increment(event.kind());
        for f in event.failures() {
            self.increment(&format!("{}.{}", event.kind(), f.as_str()));
        }
    }
}

fn log(level: LogLevel, message: &str) {
    let _ = hostcalls::log(level, message);
}

/// Whether Envoy's `wasm` logger would print `level`, so a line is only formatted when it is.
fn logs(level: LogLevel) -> bool {
    hostcalls::get_log_level().map_or(true, |host| level as u32 >= host as u32)
}

/// The level of an event's log line: refusals and oddities at info, faults at warn; a message or
/// recipient that passes is routine (the MTA logs it too) and goes at debug.
fn level(event: &Event) -> LogLevel {
    match event {
        Event::Fault { .. } => LogLevel::Warn,
        Event::Accepted { .. } | Event::Delivered { .. } => LogLevel::Debug,
        _ => LogLevel::Info,
    }
}

/// The plugin: holds the configuration every new connection takes.
#[derive(Default)]
struct Root {
    loaded: Option<Rc<Loaded>>,
    metrics: Option<Rc<Metrics>>,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        let bytes = match hostcalls::get_buffer(BufferType::PluginConfiguration, 0, usize::MAX) {
            Ok(Some(b)) => b,
            Ok(None) | Err(_) => {
                log(
                    LogLevel::Error,
                    "tls-compliance: configuration refused: no configuration given",
                );
                return false;
            }
        };
        let loaded = std::str::from_utf8(&bytes)
            .map_err(|_| "the configuration is not UTF-8".to_owned())
            .and_then(config::load);
        match loaded {
            Ok(loaded) => {
                log(LogLevel::Info, &loaded.summary());
                self.loaded = Some(Rc::new(loaded));
                if self.metrics.is_none() {
                    self.metrics = Some(Rc::new(Metrics::define()));
                }
                true
            }
            Err(e) => {
                log(
                    LogLevel::Error,
                    &format!("tls-compliance: configuration refused: {e}"),
                );
                false
            }
        }
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::StreamContext)
    }

    fn create_stream_context(&self, _context_id: u32) -> Option<Box<dyn StreamContext>> {
        let loaded = self.loaded.clone()?;
        let metrics = self.metrics.clone().unwrap_or_default();
        match loaded.session_mode() {
            None => Some(Box::new(WhatIf {
                loaded,
                requests: whatif::Requests::default(),
            })),
            Some(mode) => {
                let source = match loaded.tls_facts {
                    TlsFactsSource::Passthrough => FactsSource::Observed,
                    TlsFactsSource::Envoy => FactsSource::Given,
                };
                let session = Session::new(mode, loaded.limits, source);
                Some(Box::new(Smtp {
                    loaded,
                    metrics,
                    session,
                    facts_pending: source == FactsSource::Given,
                }))
            }
        }
    }
}

/// Which buffer a callback works on.
#[derive(Clone, Copy)]
enum Flow {
    /// Client to upstream.
    Downstream,
    /// Upstream to client.
    Upstream,
}

impl Flow {
    fn buffer(self) -> BufferType {
        match self {
            Self::Downstream => BufferType::DownstreamData,
            Self::Upstream => BufferType::UpstreamData,
        }
    }
}

/// One SMTP connection.
struct Smtp {
    loaded: Rc<Loaded>,
    metrics: Rc<Metrics>,
    session: Session,
    /// Envoy's TLS facts are still to be read.
    facts_pending: bool,
}

impl Smtp {
    /// Reads Envoy's TLS facts once they exist.
    fn load_facts(&mut self) {
        if !self.facts_pending {
            return;
        }
        let side = match self.loaded.mode {
            FilterMode::Outbound => Side::Upstream,
            FilterMode::Inbound | FilterMode::Evaluate => Side::Downstream,
        };
        let get = |path: &[&str]| hostcalls::get_property(path.to_vec()).ok().flatten();
        match facts::envoy_facts(&get, side, self.loaded.envoy_tls) {
            Ok(None) => {}
            Ok(Some(f)) => {
                self.facts_pending = false;
                self.session.set_facts(f);
            }
            Err(e) => {
                // The session keeps no facts: each decision on this connection answers 451.
                self.facts_pending = false;
                self.report(&[Event::Fault { message: e }]);
            }
        }
    }

    fn report(&self, events: &[Event]) {
        for e in events {
            self.metrics.record(e);
            let level = level(e);
            if logs(level) {
                log(level, &e.to_string());
            }
        }
    }

    /// Runs one callback's bytes through the session and writes back its answer.
    fn on_data(&mut self, flow: Flow, size: usize) -> Action {
        if size == 0 || self.session.is_transparent() {
            // Past STARTTLS and the ServerHello, bytes pass untouched: not even read.
            return Action::Continue;
        }
        if let Flow::Downstream = flow {
            // Client bytes exist only once Envoy's handshake with the client is complete (and,
            // outbound, after the upstream's greeting came through its TLS): the facts are final.
            self.load_facts();
        }
        let data = match hostcalls::get_buffer(flow.buffer(), 0, size) {
            Ok(Some(d)) => d,
            Ok(None) => return Action::Continue,
            Err(status) => {
                return self.abandon(flow, size, &format!("cannot read the buffer: {status:?}"))
            }
        };
        let step: Step = match flow {
            Flow::Downstream => self.session.client_data(&data, &self.loaded.decider),
            Flow::Upstream => self.session.server_data(&data),
        };
        self.report(&step.events);
        if step.bytes != data {
            if let Err(status) = hostcalls::set_buffer(flow.buffer(), 0, size, &step.bytes) {
                return self.abandon(flow, size, &format!("cannot write the buffer: {status:?}"));
            }
        }
        if step.close {
            let _ = hostcalls::close_downstream();
        }
        Action::Continue
    }

    /// The host failed us: pass nothing on and close, so nothing undecided gets through.
    fn abandon(&mut self, flow: Flow, size: usize, message: &str) -> Action {
        self.report(&[Event::Fault {
            message: message.to_owned(),
        }]);
        let _ = hostcalls::set_buffer(flow.buffer(), 0, size, &[]);
        let _ = hostcalls::close_downstream();
        Action::Pause
    }
}

impl Context for Smtp {}

impl StreamContext for Smtp {
    fn on_new_connection(&mut self) -> Action {
        self.metrics.increment("sessions");
        Action::Continue
    }

    fn on_downstream_data(&mut self, data_size: usize, _end_of_stream: bool) -> Action {
        self.on_data(Flow::Downstream, data_size)
    }

    fn on_upstream_data(&mut self, data_size: usize, _end_of_stream: bool) -> Action {
        self.on_data(Flow::Upstream, data_size)
    }
}

/// One connection of the `evaluate` mode.
struct WhatIf {
    loaded: Rc<Loaded>,
    requests: whatif::Requests,
}

impl Context for WhatIf {}

impl StreamContext for WhatIf {
    fn on_downstream_data(&mut self, data_size: usize, _end_of_stream: bool) -> Action {
        if data_size == 0 {
            return Action::Continue;
        }
        let data = match hostcalls::get_buffer(BufferType::DownstreamData, 0, data_size) {
            Ok(Some(d)) => d,
            _ => Vec::new(),
        };
        let out = self
            .requests
            .feed(&data, self.loaded.decider.policy.as_ref());
        let _ = hostcalls::set_buffer(BufferType::DownstreamData, 0, data_size, &out);
        Action::Continue
    }
}
