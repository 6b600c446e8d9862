//! The published-versus-planned chart: an inline SVG of two cumulative step lines by
//! month, with the report date marked. No script and no external asset, so it prints and
//! archives with the page. A `<title>` and a `<desc>` give screen readers the numbers.

use std::io::{self, Write};

use chrono::NaiveDate;

use super::doc::escape;
use super::lang::Lang;
use super::MonthPoint;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 130.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;
const PLANNED: &str = "#6e7781";
const PUBLISHED: &str = "#1a7f37";

/// Writes the chart for `points` (cumulative, one per month), marking `as_of`, in
/// `lang`; `summary` opens its description for screen readers.
///
/// # Errors
/// The write failed.
pub fn svg<W: Write>(
    points: &[MonthPoint],
    as_of: NaiveDate,
    lang: Lang,
    summary: &str,
    mut w: W,
) -> io::Result<()> {
    let words = lang.words();
    if points.is_empty() {
        return writeln!(w, "<p>{}</p>", escape(words.nothing_planned));
    };
    let max = points
        .iter()
        .map(|p| p.planned.max(p.published))
        .max()
        .unwrap_or(0)
        .max(1);
    let n = points.len();
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    // Each month is a band; a count holds across its band (a step line).
    let band = plot_w / n as f64;
    let x = |i: usize| LEFT + band * i as f64;
    let y = |v: usize| TOP + plot_h - plot_h * v as f64 / max as f64;
    // What is published is known up to the report's month only: the line stops there,
    // so the chart does not read as a forecast.
    let as_of_month = as_of.format("%Y-%m").to_string();
    let known = points
        .iter()
        .take_while(|p| p.month <= as_of_month)
        .count()
        .max(1);
    let steps = |pick: fn(&MonthPoint) -> usize, upto: usize| {
        let mut d = String::new();
        for (i, p) in points.iter().enumerate().take(upto) {
            let (x0, x1, yv) = (x(i), x(i + 1), y(pick(p)));
            if i == 0 {
                d.push_str(&format!("M{x0:.1},{:.1} V{yv:.1}", y(0)));
            } else {
                d.push_str(&format!(" V{yv:.1}"));
            }
            d.push_str(&format!(" H{x1:.1}"));
        }
        d
    };
    writeln!(
        w,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" font-family=\"system-ui,sans-serif\" font-size=\"12\">"
    )?;
    writeln!(
        w,
        "<title id=\"chart-title\">{}</title>",
        escape(words.chart_title)
    )?;
    let desc: Vec<String> = points
        .iter()
        .map(|p| {
            format!(
                "{}: {} {}, {} {}",
                p.month, p.planned, words.planned, p.published, words.published
            )
        })
        .collect();
    writeln!(
        w,
        "<desc id=\"chart-desc\">{} {}</desc>",
        escape(summary),
        escape(&desc.join("; "))
    )?;
    // Horizontal grid and the count axis.
    let ticks = if max <= 10 { 1 } else { max.div_ceil(10) };
    let mut v = 0;
    while v <= max {
        writeln!(
            w,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#e5e7eb\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#555\">{v}</text>",
            LEFT + plot_w,
            y(v),
            y(v),
            LEFT - 6.0,
            y(v) + 4.0
        )?;
        v += ticks;
    }
    // Month labels, thinned to at most about twelve.
    let every = n.div_ceil(12).max(1);
    for (i, p) in points.iter().enumerate() {
        if i % every == 0 || i == n - 1 {
            writeln!(
                w,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
                x(i) + band / 2.0,
                HEIGHT - BOTTOM + 16.0,
                escape(&p.month)
            )?;
        }
    }
    // The report date.
    if let Some(i) = points.iter().position(|p| p.month == as_of_month) {
        let xm = x(i) + band / 2.0;
        writeln!(
            w,
            "<line x1=\"{xm:.1}\" x2=\"{xm:.1}\" y1=\"{TOP}\" y2=\"{:.1}\" stroke=\"#26374a\" stroke-dasharray=\"2 3\"/><text x=\"{xm:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#26374a\">{} {as_of}</text>",
            TOP + plot_h,
            HEIGHT - 6.0,
            escape(words.as_of),
        )?;
    }
    writeln!(
        w,
        "<path d=\"{}\" fill=\"none\" stroke=\"{PLANNED}\" stroke-width=\"2.5\" stroke-dasharray=\"6 4\"/>",
        steps(|p| p.planned, n)
    )?;
    writeln!(
        w,
        "<path d=\"{}\" fill=\"none\" stroke=\"{PUBLISHED}\" stroke-width=\"3\"/>",
        steps(|p| p.published, known)
    )?;
    // Legend, with the values at the report date.
    let now = &points[known - 1];
    let lx = WIDTH - RIGHT + 14.0;
    writeln!(
        w,
        "<line x1=\"{lx}\" x2=\"{:.1}\" y1=\"30\" y2=\"30\" stroke=\"{PLANNED}\" stroke-width=\"2.5\" stroke-dasharray=\"6 4\"/><text x=\"{:.1}\" y=\"34\">{} ({})</text>",
        lx + 22.0,
        lx + 28.0,
        escape(words.planned),
        now.planned
    )?;
    writeln!(
        w,
        "<line x1=\"{lx}\" x2=\"{:.1}\" y1=\"52\" y2=\"52\" stroke=\"{PUBLISHED}\" stroke-width=\"3\"/><text x=\"{:.1}\" y=\"56\">{} ({})</text>",
        lx + 22.0,
        lx + 28.0,
        escape(words.published),
        now.published
    )?;
    writeln!(w, "</svg>")
}
