//! `ogpipe report progress --month YYYY-MM`: the monthly progress report on the release
//! plan, for the month's last day: what was published in the month (on time or late),
//! what slipped (planned in the month, not published), what is blocked (overdue, with
//! the reason and who must act), what is planned next month, and the cumulative chart.

use chrono::{Datelike as _, Months, NaiveDate};
use serde::Serialize;

use super::doc::{Block, Doc, Kind, Table};
use super::render::summary;
use super::{state_text, Actor, Entry, Lang, Progress, Report, Timing};

/// A month, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Month {
    pub first: NaiveDate,
}

/// Not a month.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("\"{0}\" is not a month; write YYYY-MM, e.g. 2026-11")]
pub struct MonthError(pub String);

impl std::str::FromStr for Month {
    type Err = MonthError;
    fn from_str(s: &str) -> Result<Month, MonthError> {
        let bad = || MonthError(s.to_string());
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let first = NaiveDate::from_ymd_opt(
            y.parse().map_err(|_| bad())?,
            m.parse().map_err(|_| bad())?,
            1,
        )
        .ok_or_else(bad)?;
        Ok(Month { first })
    }
}

impl Month {
    /// The month that holds `d`.
    pub fn of(d: NaiveDate) -> Month {
        Month {
            first: d.with_day(1).unwrap_or(d),
        }
    }

    /// The month before the one holding `today`: the month just ended.
    pub fn just_ended(today: NaiveDate) -> Month {
        Month::of(Month::of(today).first - chrono::Days::new(1))
    }

    pub fn next(self) -> Month {
        Month {
            first: self.first + Months::new(1),
        }
    }

    /// The month's last day: the report date.
    pub fn last_day(self) -> NaiveDate {
        self.next().first - chrono::Days::new(1)
    }

    pub fn contains(self, d: NaiveDate) -> bool {
        Month::of(d) == self
    }

    pub fn key(self) -> String {
        self.first.format("%Y-%m").to_string()
    }
}

/// One dataset in a section of the monthly report.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub reference: String,
    pub title: String,
    pub planned: Option<NaiveDate>,
    pub published: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
    /// Where it stands, or why it is blocked, in the report's language.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
}

/// The monthly progress report.
#[derive(Debug, Clone, Serialize)]
pub struct Monthly {
    pub month: String,
    pub as_of: NaiveDate,
    pub lang: Lang,
    pub published: Vec<Line>,
    pub slipped: Vec<Line>,
    pub blocked: Vec<Line>,
    pub next_month: Vec<Line>,
    /// The cumulative timeline and its summary, as in `ogpipe report`.
    #[serde(skip)]
    pub report: Report,
}

fn line(e: &Entry, as_of: NaiveDate, lang: Lang) -> Line {
    Line {
        reference: e.name().to_string(),
        title: e.title_in(lang),
        planned: e.release_date,
        published: e.first_published(),
        timing: e.timing,
        state: match &e.blocker {
            Some(b) => b.text(lang),
            None => state_text(e, as_of, lang),
        },
        // No actor for an invalid manifest: the IM team fixes it (see `state_table`).
        actor: e.blocker.as_ref().map(super::Blocker::actor),
    }
}

impl Monthly {
    /// The report for `month`, over entries built as of its last day.
    pub fn build(entries: &[Entry], month: Month, lang: Lang) -> Monthly {
        let as_of = month.last_day();
        let by_plan =
            |a: &Line, b: &Line| (a.planned, &a.reference).cmp(&(b.planned, &b.reference));
        let pick = |f: &dyn Fn(&Entry) -> bool| {
            let mut v: Vec<Line> = entries
                .iter()
                .filter(|e| f(e))
                .map(|e| line(e, as_of, lang))
                .collect();
            v.sort_by(by_plan);
            v
        };
        let published = pick(&|e| e.first_published().is_some_and(|d| month.contains(d)));
        let slipped = pick(&|e| {
            e.published.is_none()
                && e.progress != Progress::Invalid
                && e.release_date.is_some_and(|d| month.contains(d))
        });
        let blocked = pick(&|e| e.progress == Progress::Overdue || e.progress == Progress::Invalid);
        let next = month.next();
        // A withheld resource keeps its planned date but will not be released.
        let next_month = pick(&|e| {
            e.published.is_none()
                && e.decision == Some(crate::plan::manifest::DecisionStatus::Release)
                && e.release_date.is_some_and(|d| next.contains(d))
        });
        Monthly {
            month: month.key(),
            as_of,
            lang,
            published,
            slipped,
            blocked,
            next_month,
            report: Report::build(entries, as_of, lang),
        }
    }

    /// The report as a document.
    pub fn document(&self, department: Option<String>) -> Doc {
        let lang = self.lang;
        let w = lang.words();
        let month_name = lang.month(Month::of(self.as_of).first);
        let mut d = Doc::new(
            lang,
            department,
            w.progress_title,
            format!(
                "{} ({} {})",
                capitalise(&month_name),
                w.as_of.to_lowercase(),
                lang.long_date(self.as_of)
            ),
        );
        let late = self
            .published
            .iter()
            .filter(|l| matches!(l.timing, Some(Timing::Late { .. })))
            .count();
        let overdue = self.report.progress_count(Progress::Overdue);
        d.para(
            w.month_summary
                .replace("{month}", &month_name)
                .replace("{published}", &self.published.len().to_string())
                .replace("{on_time}", &(self.published.len() - late).to_string())
                .replace("{late}", &late.to_string())
                .replace("{overdue}", &overdue.to_string()),
        );

        d.h2(w.published_this_month);
        let mut t = Table::new(
            lang,
            &[
                (w.reference, Kind::Code),
                (w.title, Kind::Text),
                (w.planned_date, Kind::Code),
                (w.published_on, Kind::Code),
                (w.timing, Kind::Text),
            ],
        );
        for l in &self.published {
            t.row(vec![
                l.reference.clone(),
                l.title.clone(),
                opt(l.planned),
                opt(l.published),
                l.timing.map(|t| t.text(lang)).unwrap_or_default(),
            ]);
        }
        d.table(t);

        d.h2(w.slipped_this_month);
        d.table(state_table(lang, &self.slipped, false));
        d.h2(w.blocked);
        d.table(state_table(lang, &self.blocked, true));
        d.h2(w.planned_next_month);
        d.table(state_table(lang, &self.next_month, false));

        d.h2(w.cumulative);
        d.blocks.push(Block::Chart {
            points: self.report.timeline.clone(),
            as_of: self.as_of,
            summary: summary(&self.report),
        });
        d
    }
}

fn opt(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_else(|| "—".into())
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn state_table(lang: Lang, lines: &[Line], with_actor: bool) -> Table {
    let w = lang.words();
    let mut cols = vec![
        (w.reference, Kind::Code),
        (w.title, Kind::Text),
        (w.planned_date, Kind::Code),
        (w.reason, Kind::Text),
    ];
    if with_actor {
        cols.push((w.who_must_act, Kind::Text));
    }
    let mut t = Table::new(lang, &cols);
    for l in lines {
        let mut row = vec![
            l.reference.clone(),
            l.title.clone(),
            opt(l.planned),
            l.state.clone(),
        ];
        if with_actor {
            row.push(l.actor.map_or(w.act_im_team, |a| a.text(lang)).to_string());
        }
        t.row(row);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_and_step() {
        let m: Month = "2026-11".parse().unwrap();
        assert_eq!(m.last_day(), "2026-11-30".parse::<NaiveDate>().unwrap());
        assert_eq!(m.next().key(), "2026-12");
        assert_eq!(
            Month::just_ended("2027-01-05".parse().unwrap()).key(),
            "2026-12"
        );
        assert!("2026-13".parse::<Month>().is_err());
        assert!("2026-1".parse::<Month>().is_err());
        assert!("november".parse::<Month>().is_err());
    }
}
