//! Progress bars for people at a terminal: datasets in a run and bytes of large
//! conversions. Silent when stderr is not a terminal, with JSON logs, or with `-q`,
//! so scheduled runs and log collectors see only log lines.

use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Sources smaller than this convert too fast to need a bar.
const BYTES_BAR_MIN: u64 = 16 * 1024 * 1024;

/// A handle to the run's bars; cheap to clone. The default shows nothing.
#[derive(Clone, Default)]
pub struct Progress {
    multi: Option<Arc<MultiProgress>>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Progress {{ enabled: {} }}", self.is_enabled())
    }
}

impl Progress {
    /// Bars on stderr when it is a terminal.
    pub fn for_terminal() -> Progress {
        if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            return Progress::default();
        }
        Progress {
            multi: Some(Arc::new(MultiProgress::with_draw_target(
                ProgressDrawTarget::stderr(),
            ))),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.multi.is_some()
    }

    /// Runs `f` with the bars cleared, so a log line does not tear them.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.multi {
            Some(m) => m.suspend(f),
            None => f(),
        }
    }

    /// A bar counting datasets.
    pub fn datasets(&self, total: u64) -> ProgressBar {
        self.add(
            total,
            "{prefix} [{bar:30}] {pos}/{len} datasets {msg}",
            "run",
        )
    }

    /// A bar counting the bytes of one source, for large ones.
    pub fn bytes(&self, total: u64, name: &str) -> ProgressBar {
        if total < BYTES_BAR_MIN {
            return ProgressBar::hidden();
        }
        self.add(
            total,
            "{prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
            name,
        )
    }

    fn add(&self, total: u64, template: &str, prefix: &str) -> ProgressBar {
        let Some(m) = &self.multi else {
            return ProgressBar::hidden();
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        m.add(
            ProgressBar::new(total)
                .with_style(style)
                .with_prefix(prefix.to_string()),
        )
    }
}

/// A reader that advances a bar by the bytes read through it.
pub struct ProgressReader<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R> ProgressReader<R> {
    pub fn new(inner: R, bar: ProgressBar) -> Self {
        ProgressReader { inner, bar }
    }
}

impl<R: Read> Read for ProgressReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

impl<R: Seek> Seek for ProgressReader<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let at = self.inner.seek(pos)?;
        self.bar.set_position(at);
        Ok(at)
    }
}

/// A `MakeWriter` for tracing that clears the bars around each log line.
#[derive(Clone)]
pub struct SuspendingStderr(pub Progress);

impl io::Write for SuspendingStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.suspend(|| io::stderr().write(buf))
    }
    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for SuspendingStderr {
    type Writer = SuspendingStderr;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
