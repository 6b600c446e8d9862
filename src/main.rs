//! The `ogpipe` binary: flags, telemetry, the library call, the exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match ogpipe::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and version are successes; anything else is a usage error (2).
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let verbosity = cli.global.verbose as i8 - cli.global.quiet as i8;
    let progress = match ogpipe::telemetry::init(
        cli.global.log_format,
        verbosity,
        cli.global.log_file.as_deref(),
    ) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}; choose a file ogpipe can write");
            return ExitCode::from(2);
        }
    };
    match ogpipe::cmd::dispatch(cli, progress) {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(error) => {
            // A closed pipe (`ogpipe ... | head`) is the reader's choice, not a failure.
            if error.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {error:#}");
            ExitCode::from(ogpipe::cmd::exit_for(&error) as u8)
        }
    }
}
