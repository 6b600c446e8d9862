//! Scheduled runs. (Being written.)

/// Checks a cron expression and time zone.
///
/// # Errors
/// A message naming what is wrong.
pub fn check(cron: &str, timezone: &str) -> Result<(), String> {
    use std::str::FromStr;
    cron::Schedule::from_str(cron).map_err(|e| format!("cron \"{cron}\" is not valid: {e}; write `sec min hour day-of-month month day-of-week`, e.g. \"0 0 9 1 * *\""))?;
    timezone.parse::<chrono_tz::Tz>().map_err(|_| {
        format!("timezone \"{timezone}\" is not an IANA time zone, e.g. America/Toronto")
    })?;
    Ok(())
}
