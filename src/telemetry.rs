//! Logs for operators: human-readable text by default, one flat JSON object per line
//! with `--log-format json`. Logs go to stderr; stdout carries results only.
//!
//! JSON lines carry the fields of every enclosing span at the top level (`run_id`,
//! `dataset`, `resource`, `stage`), so a log collector can filter on them without
//! walking a span list. The level comes from `-v`/`-q`, overridden by `OGPIPE_LOG` (an
//! `EnvFilter` directive such as `ogpipe=debug`).

use std::fmt;
use std::path::Path;

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{prelude::*, EnvFilter, Layer};

use crate::progress::{Progress, SuspendingStderr};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Installs the global subscriber and returns the progress bars to use (none unless
/// text logs go to a terminal). `verbosity` is -2 (quiet) to 2 (trace). With `log_file`,
/// every line also goes, in the same format, to that file (appended, never coloured).
///
/// # Errors
/// The log file cannot be opened for appending.
pub fn init(
    format: LogFormat,
    verbosity: i8,
    log_file: Option<&Path>,
) -> std::io::Result<Progress> {
    let level = match verbosity {
        i8::MIN..=-2 => "error",
        -1 => "warn",
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("OGPIPE_LOG").unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "{level},hyper=warn,hyper_util=warn,reqwest=warn,axum=warn,tower=warn"
        ))
    });
    let progress = if format == LogFormat::Text && verbosity >= 0 {
        Progress::for_terminal()
    } else {
        Progress::default()
    };
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut layers = vec![layer(format, SuspendingStderr(progress.clone()), ansi)];
    if let Some(path) = log_file {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| {
                std::io::Error::new(e.kind(), format!("--log-file {}: {e}", path.display()))
            })?;
        layers.push(layer(format, std::sync::Mutex::new(file), false));
    }
    tracing_subscriber::registry()
        .with(filter)
        .with(layers)
        .init();
    Ok(progress)
}

type BoxedLayer<S> = Box<dyn Layer<S> + Send + Sync>;

fn layer<S, W>(format: LogFormat, writer: W, ansi: bool) -> BoxedLayer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_ansi(ansi)
            .with_target(false)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .fmt_fields(JsonFields::new())
            .event_format(FlatJson)
            .with_writer(writer)
            .boxed(),
    }
}

/// One JSON object per event: time, level, span fields (outermost first, inner ones
/// winning), then the event's own fields and message.
struct FlatJson;

impl<S, N> FormatEvent<S, N> for FlatJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut map = Map::new();
        map.insert(
            "timestamp".into(),
            Json::from(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        );
        map.insert(
            "level".into(),
            Json::from(event.metadata().level().as_str()),
        );
        map.insert("target".into(), Json::from(event.metadata().target()));
        if let Some(scope) = ctx.event_scope() {
            let mut names = Vec::new();
            for span in scope.from_root() {
                names.push(span.name());
                let ext = span.extensions();
                if let Some(fields) = ext.get::<FormattedFields<N>>() {
                    if let Ok(Json::Object(o)) = serde_json::from_str::<Json>(&fields.fields) {
                        map.extend(o);
                    }
                }
            }
            map.insert("span".into(), Json::from(names.join(":")));
        }
        event.record(&mut Visitor(&mut map));
        writeln!(writer, "{}", Json::Object(map))
    }
}

struct Visitor<'a>(&'a mut Map<String, Json>);

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), Json::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), Json::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), Json::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), Json::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), Json::from(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), Json::from(format!("{value:?}")));
    }
}
