//! One function per subcommand. This is, with `main.rs`, the only place `anyhow` is used:
//! library errors are typed, and here they meet the person at the terminal.

mod export;
mod history;
mod ops;
mod portal;
mod run;
mod tools;
mod verify;

use std::collections::BTreeMap;

use crate::cli::{Cli, Command};
use crate::config::{ConfigError, Pipeline};
use crate::read::ReadError;
use crate::run::Source;
use crate::screen::ScreenError;

/// The process exit status. The numbers are documented in `--help` and the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    /// Data held back or rejected.
    Held = 1,
    /// Configuration or usage error.
    Usage = 2,
    /// Portal or I/O failure.
    Failure = 3,
}

impl Exit {
    /// The more serious of two outcomes.
    pub fn max(self, other: Exit) -> Exit {
        if (other as u8) > (self as u8) {
            other
        } else {
            self
        }
    }
}

/// Which exit code an error earns.
pub fn exit_for(error: &anyhow::Error) -> Exit {
    if error
        .chain()
        .any(|c| c.downcast_ref::<ConfigError>().is_some())
    {
        return Exit::Usage;
    }
    if error
        .chain()
        .any(|c| c.downcast_ref::<UsageError>().is_some())
    {
        return Exit::Usage;
    }
    // What the probe found wrong with the portal is configuration; a portal that could
    // not be asked may answer next time.
    let probe = error.chain().find_map(|c| {
        c.downcast_ref::<crate::run::portal::ProbeError>()
            .or_else(|| match c.downcast_ref::<crate::run::RunError>() {
                Some(crate::run::RunError::Probe(p)) => Some(p),
                _ => None,
            })
    });
    if let Some(e) = probe {
        return match e {
            crate::run::portal::ProbeError::Problems(_) => Exit::Usage,
            _ => Exit::Failure,
        };
    }
    if let Some(e) = error.chain().find_map(|c| c.downcast_ref::<ReadError>()) {
        return match e {
            // The machine failed, not the file: try again once it is fixed.
            ReadError::Io { .. } | ReadError::Sink(_) => Exit::Failure,
            // Asked for what the file does not have, or cannot have.
            ReadError::UnknownSheet { .. }
            | ReadError::Options { .. }
            | ReadError::NotAWorkbook { .. } => Exit::Usage,
            // The file itself is unreadable (corrupt, encrypted, over a limit): it is
            // rejected, as a run rejects such a source.
            _ => Exit::Held,
        };
    }
    if let Some(e) = error.chain().find_map(|c| c.downcast_ref::<ScreenError>()) {
        return match e {
            ScreenError::Corrupt { .. } | ScreenError::Xml { .. } => Exit::Held,
            ScreenError::BadPattern { .. } => Exit::Usage,
            _ => Exit::Failure,
        };
    }
    Exit::Failure
}

/// A command used wrongly (as opposed to a failure while doing it).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The process environment, for configuration overrides.
fn environment() -> BTreeMap<String, String> {
    std::env::vars().collect()
}

fn load(cli: &Cli) -> anyhow::Result<Pipeline> {
    Ok(Pipeline::load(&cli.global.config, &environment())?)
}

/// Runs the command line.
///
/// # Errors
/// Whatever stopped the command; [`exit_for`] maps it to an exit code.
pub fn dispatch(cli: Cli, progress: crate::progress::Progress) -> anyhow::Result<Exit> {
    if cli.global.no_mmap {
        crate::mapped::disable();
    }
    match &cli.command {
        Command::Run(a) => run::run(&load(&cli)?, a, Source::Build, progress),
        Command::Plan(a) => run::plan(&load(&cli)?, a),
        Command::Convert(a) => tools::convert(a),
        Command::Screen(a) => tools::screen(config_if_present(&cli)?.as_ref(), a),
        Command::Validate(a) => tools::validate(a),
        Command::InferSchema(a) => tools::infer_schema(a),
        Command::Publish(a) => run::run(&load(&cli)?, a, Source::Packages, progress),
        Command::Verify(a) if a.portal => verify::verify_portal(&load(&cli)?, a),
        Command::Verify(a) => verify::verify(a),
        Command::Export(a) => export::export(config_if_present(&cli)?.as_ref(), a),
        Command::History(a) => history::history(&load(&cli)?, a),
        Command::Status(a) => ops::status(&load(&cli)?, a),
        Command::Report(a) => ops::report(&load(&cli)?, a),
        Command::Schedule(a) => ops::schedule(&load(&cli)?, a),
        Command::Portal(p) => portal::portal(p),
    }
}

/// Standalone tools use `pipeline.toml` when there is one (for screen patterns and
/// allowlists) and work without it.
fn config_if_present(cli: &Cli) -> anyhow::Result<Option<Pipeline>> {
    if cli.global.config.exists() {
        load(cli).map(Some)
    } else {
        Ok(None)
    }
}

fn tokio_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_are_usage_errors_and_the_rest_failures() {
        let e: anyhow::Error = ConfigError::Invalid {
            problems: vec!["x".into()],
        }
        .into();
        assert_eq!(exit_for(&e), Exit::Usage);
        let e = e.context("loading");
        assert_eq!(exit_for(&e), Exit::Usage);
        let e: anyhow::Error = UsageError("bad".into()).into();
        assert_eq!(exit_for(&e), Exit::Usage);
        let e = anyhow::anyhow!("portal down");
        assert_eq!(exit_for(&e), Exit::Failure);
    }

    #[test]
    fn an_unreadable_file_is_rejected_and_a_failing_disk_a_failure() {
        let corrupt: anyhow::Error = ReadError::corrupt("a.xls", "truncated").into();
        assert_eq!(exit_for(&corrupt.context("converting")), Exit::Held);
        let encrypted: anyhow::Error = ReadError::Encrypted {
            file: "a.xlsx".into(),
        }
        .into();
        assert_eq!(exit_for(&encrypted), Exit::Held);
        let io: anyhow::Error = ReadError::Sink(std::io::Error::other("disk full")).into();
        assert_eq!(exit_for(&io), Exit::Failure);
        let options: anyhow::Error = ReadError::Options {
            file: "a.xml".into(),
            detail: "bad path".into(),
        }
        .into();
        assert_eq!(exit_for(&options), Exit::Usage);
    }

    #[test]
    fn the_more_serious_exit_wins() {
        assert_eq!(Exit::Held.max(Exit::Failure), Exit::Failure);
        assert_eq!(Exit::Failure.max(Exit::Held), Exit::Failure);
        assert_eq!(Exit::Ok.max(Exit::Held), Exit::Held);
    }
}
