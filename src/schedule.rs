//! Scheduled runs: `ogpipe schedule`, a long-lived service that runs the pipeline on the
//! `[schedule]` cron expression, in the schedule's time zone.
//!
//! The decisions are pure functions, tested directly: [`next_runs`] says when the next
//! runs are, [`resolve_local`] turns a wall-clock time into an instant across daylight
//! saving changes. [`serve`] is a thin loop around them and [`crate::run::run_once`].
//!
//! Daylight saving follows RFC 5545 (iCalendar, section 3.3.5), which is what people who
//! write "9:00 Toronto time" mean:
//! - a wall-clock time that occurs twice (fall back) runs once, at its first occurrence;
//! - a wall-clock time that does not exist (spring forward) runs with the UTC offset in
//!   effect before the gap: 02:30 on a spring-forward night runs at 03:30 daylight time.
//!   The `cron` crate alone would skip that run, and run fall-back times twice.
//!
//! Only one run at a time: the loop is sequential, and each run takes the
//! [`crate::lock::RunLock`], so a manual `ogpipe run` and a scheduled one never overlap.
//! A run that is due while another holds the lock is skipped, with a warning; runs
//! missed while one overran are not caught up (the next run publishes everything due).

use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use tokio::sync::watch;
use tracing::{error, info, warn};

use crate::config::Pipeline;
use crate::lock::{LockError, RunLock};
use crate::run::{self, Portal, RunOptions, Trigger};

/// Who starts scheduled runs, for the journal.
pub const STARTED_BY: &str = "schedule";

/// The longest the service sleeps before looking at the wall clock again, so a clock
/// change or a suspended machine delays a run by at most this much.
const MAX_NAP: std::time::Duration = std::time::Duration::from_secs(60);

/// A parsed `[schedule]`.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub cron: cron::Schedule,
    pub timezone: Tz,
}

impl Schedule {
    /// Parses a cron expression (with seconds) and an IANA time zone.
    ///
    /// # Errors
    /// A message naming what is wrong, as [`check`] gives it.
    pub fn parse(cron_expr: &str, timezone: &str) -> Result<Schedule, String> {
        check(cron_expr, timezone)?;
        Ok(Schedule {
            cron: cron::Schedule::from_str(cron_expr).map_err(|e| e.to_string())?,
            timezone: timezone.parse().map_err(|_| timezone.to_string())?,
        })
    }

    /// The next `n` runs strictly after `after`.
    pub fn next_runs(&self, after: DateTime<Utc>, n: usize) -> Vec<DateTime<Tz>> {
        next_runs(&self.cron, self.timezone, after, n)
    }
}

/// Checks a cron expression and time zone.
///
/// # Errors
/// A message naming what is wrong.
pub fn check(cron: &str, timezone: &str) -> Result<(), String> {
    cron::Schedule::from_str(cron).map_err(|e| format!("cron \"{cron}\" is not valid: {e}; write `sec min hour day-of-month month day-of-week`, e.g. \"0 0 9 1 * *\""))?;
    timezone.parse::<Tz>().map_err(|_| {
        format!("timezone \"{timezone}\" is not an IANA time zone, e.g. America/Toronto")
    })?;
    Ok(())
}

/// The instant a wall-clock time in `tz` stands for (see the module doc): the first of
/// two, or, in a gap, the time read with the offset in effect before the gap.
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> DateTime<Tz> {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t,
        chrono::LocalResult::Ambiguous(first, _) => first,
        chrono::LocalResult::None => {
            // No zone has a gap longer than a few hours; three hours earlier is before it.
            let before = local - Duration::hours(3);
            let offset = tz
                .from_local_datetime(&before)
                .earliest()
                .map(|t| t.offset().fix())
                .unwrap_or_else(|| tz.offset_from_utc_datetime(&before).fix());
            tz.from_utc_datetime(&(local - Duration::seconds(i64::from(offset.local_minus_utc()))))
        }
    }
}

/// The next `n` run instants strictly after `after`, in `tz`, each once, in order.
///
/// The cron expression is matched against wall-clock time, then each match is resolved
/// with [`resolve_local`]. Fewer than `n` come back only if the expression has no more
/// matches (cron years end in 2100).
pub fn next_runs(
    schedule: &cron::Schedule,
    tz: Tz,
    after: DateTime<Utc>,
    n: usize,
) -> Vec<DateTime<Tz>> {
    if n == 0 {
        return Vec::new();
    }
    // Resolving a gap moves a time later than wall-clock times that follow it, and a
    // fall-back replays wall-clock times, so matching starts a little before `after`'s
    // wall-clock time and goes on until later matches can no longer come first.
    const SLACK_HOURS: i64 = 3;
    let local_after = after.with_timezone(&tz).naive_local();
    let start = Utc.from_utc_datetime(&(local_after - Duration::hours(SLACK_HOURS)));
    // The `n` earliest instants found so far.
    let mut found: std::collections::BTreeSet<DateTime<Tz>> = std::collections::BTreeSet::new();
    for wall in schedule.after(&start).map(|t| t.naive_utc()) {
        if found.len() >= n {
            if let Some(nth) = found.last() {
                if wall > nth.naive_local() + Duration::hours(SLACK_HOURS) {
                    break;
                }
            }
        }
        let t = resolve_local(tz, wall);
        if t.with_timezone(&Utc) > after {
            found.insert(t);
            if found.len() > n {
                found.pop_last();
            }
        }
    }
    found.into_iter().collect()
}

/// How a time is shown to people: RFC 3339 with its offset, and the zone's name.
pub fn display(t: &DateTime<Tz>) -> String {
    format!(
        "{} ({})",
        t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        t.timezone().name()
    )
}

/// Counts termination signals (SIGTERM, SIGINT / Ctrl-C) into a watch channel, from a
/// task on the current runtime.
///
/// # Errors
/// The signal handlers cannot be installed.
pub fn signals() -> std::io::Result<watch::Receiver<u32>> {
    let (tx, rx) = watch::channel(0u32);
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::spawn(async move {
        loop {
            #[cfg(unix)]
            let got = tokio::select! {
                r = tokio::signal::ctrl_c() => r.is_ok(),
                r = term.recv() => r.is_some(),
            };
            #[cfg(not(unix))]
            let got = tokio::signal::ctrl_c().await.is_ok();
            if !got {
                break;
            }
            tx.send_modify(|n| *n += 1);
        }
    });
    Ok(rx)
}

/// Why [`serve`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// A signal while waiting, or after the run in flight finished.
    Signal,
    /// A second signal abandoned the run in flight.
    Abandoned,
    /// The cron expression has no more matches.
    NoMoreRuns,
}

/// Runs the pipeline on `schedule` until a signal arrives on `signals` (a count that
/// goes up with each signal). The first signal lets a run in flight finish; a second one
/// abandons it (the journal and packages are crash-safe, and the run lock goes with it).
pub async fn serve(
    pipeline: &Pipeline,
    schedule: &Schedule,
    mut signals: watch::Receiver<u32>,
) -> Stopped {
    loop {
        let Some(next) = schedule.next_runs(Utc::now(), 1).pop() else {
            warn!(cron = %schedule.cron, "The schedule has no more runs.");
            return Stopped::NoMoreRuns;
        };
        info!(next = %next.to_rfc3339(), "Next run at {}.", display(&next));
        if !sleep_until(next.with_timezone(&Utc), &mut signals).await {
            info!("Shutting down; no run was in progress.");
            return Stopped::Signal;
        }
        let lock = match RunLock::acquire_for(&pipeline.paths.output, "schedule") {
            Ok(lock) => lock,
            Err(error @ LockError::Busy { .. }) => {
                warn!(error = %error, "Scheduled run skipped.");
                continue;
            }
            Err(error) => {
                error!(error = %error, "Scheduled run skipped.");
                continue;
            }
        };
        let opts = RunOptions {
            source: crate::run::Source::Build,
            as_of: next.date_naive(),
            dry_run: false,
            trigger: Trigger::Scheduled,
            started_by: STARTED_BY.into(),
            only: Vec::new(),
            // A service has no one watching a terminal.
            progress: Default::default(),
        };
        let run = run_one(pipeline, opts);
        tokio::pin!(run);
        // `wait_for` looks at the count first, so a signal that came at any point since
        // the service started is seen: none is lost between two waits.
        let interrupted = tokio::select! {
            () = &mut run => false,
            _ = signals.wait_for(|n| *n >= 1) => true,
        };
        if interrupted {
            info!("Shutdown requested; the run in progress will finish first. Signal again to abandon it.");
            let abandoned = tokio::select! {
                () = &mut run => false,
                _ = signals.wait_for(|n| *n >= 2) => true,
            };
            if abandoned {
                warn!("Run abandoned on a second signal; the next run picks up where it stopped.");
                return Stopped::Abandoned;
            }
            drop(lock);
            info!("Shutting down after the run.");
            return Stopped::Signal;
        }
        drop(lock);
    }
}

/// One scheduled run, logged; its failures are the operator's to see, not the loop's.
async fn run_one(pipeline: &Pipeline, opts: RunOptions) {
    let portal = match Portal::connect(pipeline).await {
        Ok(p) => p,
        Err(error) => {
            error!(error = %error, "Scheduled run failed: the portal cannot be reached.");
            return;
        }
    };
    match run::run_once(pipeline, &portal, &opts).await {
        Ok(report) => info!(
            run_id = %report.run_id,
            failed = report.any_failed(),
            held = report.any_held(),
            "Scheduled run finished."
        ),
        Err(error) => error!(error = %error, "Scheduled run failed."),
    }
    portal.close().await;
}

/// Sleeps until `due` by the wall clock; false if a signal came first.
async fn sleep_until(due: DateTime<Utc>, signals: &mut watch::Receiver<u32>) -> bool {
    loop {
        let left = (due - Utc::now()).to_std().unwrap_or_default();
        if *signals.borrow() >= 1 {
            return false;
        }
        if left.is_zero() {
            return true;
        }
        tokio::select! {
            () = tokio::time::sleep(left.min(MAX_NAP)) => {}
            _ = signals.wait_for(|n| *n >= 1) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toronto(cron_expr: &str) -> Schedule {
        Schedule::parse(cron_expr, "America/Toronto").unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn rfc(ts: &[DateTime<Tz>]) -> Vec<String> {
        ts.iter().map(|t| t.to_rfc3339()).collect()
    }

    #[test]
    fn monthly_runs_keep_nine_oclock_local_across_daylight_saving() {
        let s = toronto("0 0 9 1 * *");
        let runs = s.next_runs(utc("2026-09-15T00:00:00Z"), 4);
        assert_eq!(
            rfc(&runs),
            [
                "2026-10-01T09:00:00-04:00",
                "2026-11-01T09:00:00-05:00",
                "2026-12-01T09:00:00-05:00",
                "2027-01-01T09:00:00-05:00",
            ]
        );
    }

    #[test]
    fn a_time_skipped_by_spring_forward_runs_once_with_the_offset_before_the_gap() {
        // 2026-03-08: Toronto goes from 02:00 EST to 03:00 EDT.
        let s = toronto("0 30 2 * * *");
        let runs = s.next_runs(utc("2026-03-07T12:00:00Z"), 3);
        assert_eq!(
            rfc(&runs),
            [
                "2026-03-08T03:30:00-04:00",
                "2026-03-09T02:30:00-04:00",
                "2026-03-10T02:30:00-04:00",
            ]
        );
        assert_eq!(
            runs[0].with_timezone(&Utc).to_rfc3339(),
            "2026-03-08T07:30:00+00:00"
        );
        assert_eq!(runs[0].format("%H:%M %Z").to_string(), "03:30 EDT");
    }

    #[test]
    fn a_gap_run_is_not_missed_when_the_service_starts_just_after_the_change() {
        let s = toronto("0 30 2 * * *");
        // 03:10 EDT on spring-forward day: the 02:30 run is due at 03:30 EDT.
        let runs = s.next_runs(utc("2026-03-08T07:10:00Z"), 1);
        assert_eq!(runs[0].with_timezone(&Utc), utc("2026-03-08T07:30:00Z"));
    }

    #[test]
    fn a_time_repeated_by_fall_back_runs_once_at_its_first_occurrence() {
        // 2026-11-01: Toronto goes from 02:00 EDT back to 01:00 EST.
        let s = toronto("0 30 1 * * *");
        let runs = s.next_runs(utc("2026-10-31T12:00:00Z"), 3);
        assert_eq!(
            rfc(&runs),
            [
                "2026-11-01T01:30:00-04:00",
                "2026-11-02T01:30:00-05:00",
                "2026-11-03T01:30:00-05:00",
            ]
        );
        // Between the two 01:30s, the next run is the next day's.
        let runs = s.next_runs(utc("2026-11-01T06:00:00Z"), 1);
        assert_eq!(rfc(&runs), ["2026-11-02T01:30:00-05:00"]);
    }

    #[test]
    fn an_hourly_schedule_has_no_duplicates_or_disorder_around_the_changes() {
        let s = toronto("0 30 * * * *");
        for start in ["2026-03-08T04:00:00Z", "2026-11-01T03:00:00Z"] {
            let runs = s.next_runs(utc(start), 6);
            assert_eq!(runs.len(), 6);
            assert!(runs.windows(2).all(|w| w[0] < w[1]), "{:?}", rfc(&runs));
        }
        // Spring forward: 00:30, 01:30 EST, then 02:30 and 03:30 are both 03:30 EDT: once.
        let runs = s.next_runs(utc("2026-03-08T05:00:00Z"), 3);
        assert_eq!(
            rfc(&runs),
            [
                "2026-03-08T00:30:00-05:00",
                "2026-03-08T01:30:00-05:00",
                "2026-03-08T03:30:00-04:00",
            ]
        );
        // Fall back: 01:30 EDT runs, the repeated 01:30 EST does not.
        let runs = s.next_runs(utc("2026-11-01T04:00:00Z"), 3);
        assert_eq!(
            rfc(&runs),
            [
                "2026-11-01T00:30:00-04:00",
                "2026-11-01T01:30:00-04:00",
                "2026-11-01T02:30:00-05:00",
            ]
        );
    }

    #[test]
    fn an_every_second_schedule_is_answered_quickly() {
        let s = toronto("* * * * * *");
        let t0 = std::time::Instant::now();
        let runs = s.next_runs(utc("2026-11-28T12:00:00Z"), 3);
        assert_eq!(
            runs.iter()
                .map(|t| t.with_timezone(&Utc))
                .collect::<Vec<_>>(),
            [
                utc("2026-11-28T12:00:01Z"),
                utc("2026-11-28T12:00:02Z"),
                utc("2026-11-28T12:00:03Z")
            ]
        );
        assert!(t0.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn next_runs_are_strictly_after_the_given_instant() {
        let s = toronto("0 0 9 1 * *");
        let runs = s.next_runs(utc("2026-12-01T14:00:00Z"), 1);
        assert_eq!(rfc(&runs), ["2027-01-01T09:00:00-05:00"]);
        assert!(s.next_runs(utc("2026-12-01T14:00:00Z"), 0).is_empty());
    }

    #[test]
    fn a_bad_expression_or_zone_is_refused_with_a_hint() {
        assert!(Schedule::parse("0 9 1 * *", "America/Toronto")
            .unwrap_err()
            .contains("sec min hour"));
        assert!(Schedule::parse("0 0 9 1 * *", "Toronto")
            .unwrap_err()
            .contains("IANA"));
    }
}
