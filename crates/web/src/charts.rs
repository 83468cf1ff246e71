//! Charts drawn on the server as inline SVG: no script, no library, nothing to load. Each
//! chart is readable without colour (every line has its own dash pattern and marker and is
//! named at its end; every part of a split is named with its count in words) and a
//! screen reader reads its title and a one-sentence summary. The page puts the same
//! figures in a table beside it. Colours come from the stylesheet's classes (`s-…`), the
//! guide's: blue for time, orange for mapped, green for signed off, red for past the end.

use std::fmt::Write as _;

use chrono::NaiveDate;
use handlebars::html_escape;
use serde::Serialize;

/// A chart as a page shows it: the drawing, and the same figures as a table for anyone
/// who would rather read them (or cannot see the drawing). Rendered by the `chart` partial.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    /// Its heading.
    pub title: String,
    /// The inline SVG (escaped as it was built); empty when there is nothing to draw.
    pub svg: String,
    /// A sentence under the chart: where the figures come from.
    pub note: Option<String>,
    /// The table's column headings.
    pub head: Vec<&'static str>,
    /// The table's rows, as shown.
    pub rows: Vec<Vec<String>>,
}

/// Drawing area, in the SVG's own units; the SVG scales to the page's width.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 150.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;
/// Up to this many points a line marks each one; beyond, only its last.
const MARKED_POINTS: usize = 40;

/// The shape marking a line's points, so lines differ without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// A filled circle.
    Circle,
    /// A filled square.
    Square,
    /// A filled triangle.
    Triangle,
}

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Line {
    /// Its name, shown at its end and in the summary.
    pub name: &'static str,
    /// The stylesheet class that colours and dashes it (`s-signed`, `s-mapped`…).
    pub class: &'static str,
    /// Its marker.
    pub marker: Marker,
    /// Its points, oldest first.
    pub points: Vec<(NaiveDate, f64)>,
}

/// What the vertical axis counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Percent, 0 to at least 100.
    Percent,
    /// Hours.
    Hours,
}

impl Unit {
    fn format(self, v: f64) -> String {
        match self {
            Unit::Percent => format!("{}%", trim(v)),
            Unit::Hours => format!("{} h", trim(v)),
        }
    }
}

/// A day as every page writes it (`30/11/2026`, as the `date` helper does).
pub fn day(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// A number as people write it: no trailing ".0", at most one decimal place.
pub fn trim(v: f64) -> String {
    let rounded = (v * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

/// The top of the vertical axis: 100 for percentages (more if a line goes past it), else
/// the largest value rounded up to a round number whose quarters read well.
fn axis_top(unit: Unit, lines: &[Line]) -> f64 {
    let max = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(0.0_f64, f64::max);
    let floor = match unit {
        Unit::Percent => 100.0,
        Unit::Hours => 10.0,
    };
    if max <= floor {
        return floor;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|top| *top >= max)
        .unwrap_or(max)
}

/// A line chart of values over days. `id` makes the title's and summary's ids unique on
/// the page; `summary` is the sentence a screen reader reads after the title.
pub fn line_chart(id: &str, title: &str, summary: &str, unit: Unit, lines: &[Line]) -> String {
    let days: Vec<NaiveDate> = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.0))
        .collect();
    let (Some(first), Some(last)) = (days.iter().min(), days.iter().max()) else {
        return String::new();
    };
    let span = (*last - *first).num_days().max(0) as f64;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |d: NaiveDate| {
        if span == 0.0 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * ((d - *first).num_days() as f64) / span
        }
    };
    let top = axis_top(unit, lines);
    let y = |v: f64| TOP + plot_h * (1.0 - (v / top).clamp(0.0, 1.0));
    let id = html_escape(id);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        html_escape(title),
        html_escape(summary),
    );
    // The grid: a quarter of the axis apart, labelled on the left.
    for quarter in 0..=4 {
        let v = top * f64::from(quarter) / 4.0;
        let gy = y(v);
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" y1="{gy:.1}" x2="{:.1}" y2="{gy:.1}"/><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT + plot_w,
            LEFT - 6.0,
            gy + 4.0,
            html_escape(&unit.format(v)),
        );
    }
    // The first and last days under the axis.
    let axis_y = HEIGHT - 8.0;
    let _ = write!(
        svg,
        r#"<text class="axis" x="{LEFT}" y="{axis_y}" text-anchor="start">{}</text>"#,
        day(*first)
    );
    if last > first {
        let _ = write!(
            svg,
            r#"<text class="axis" x="{:.1}" y="{axis_y}" text-anchor="end">{}</text>"#,
            LEFT + plot_w,
            day(*last)
        );
    }
    // Where each line's name goes at its end: in the order of their last values, pushed
    // apart so two names never overlap.
    let mut ends: Vec<(usize, f64)> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.points.last().map(|p| (i, y(p.1))))
        .collect();
    ends.sort_by(|a, b| a.1.total_cmp(&b.1));
    for k in 1..ends.len() {
        if ends[k].1 - ends[k - 1].1 < 14.0 {
            ends[k].1 = ends[k - 1].1 + 14.0;
        }
    }
    // Pushed below the axis (lines ending near 0), they move back up, still 14 apart.
    let floor = HEIGHT - BOTTOM;
    if let Some(&(_, lowest)) = ends.last()
        && lowest > floor
    {
        let over = lowest - floor;
        for end in &mut ends {
            end.1 -= over;
        }
        for k in (0..ends.len().saturating_sub(1)).rev() {
            if ends[k + 1].1 - ends[k].1 < 14.0 {
                ends[k].1 = ends[k + 1].1 - 14.0;
            }
        }
    }
    for (i, line) in lines.iter().enumerate() {
        let class = html_escape(line.class);
        let points: Vec<String> = line
            .points
            .iter()
            .map(|(d, v)| format!("{:.1},{:.1}", x(*d), y(*v)))
            .collect();
        let _ = write!(
            svg,
            r#"<g class="series {class}"><polyline points="{}"/>"#,
            points.join(" ")
        );
        let marked = if line.points.len() <= MARKED_POINTS {
            &line.points[..]
        } else {
            &line.points[line.points.len() - 1..]
        };
        for (d, v) in marked {
            svg.push_str(&marker(line.marker, x(*d), y(*v)));
        }
        if let (Some((d, v)), Some((_, label_y))) =
            (line.points.last(), ends.iter().find(|(k, _)| *k == i))
        {
            let _ = write!(
                svg,
                r#"<text class="label" x="{:.1}" y="{:.1}">{} {}</text>"#,
                x(*d) + 8.0,
                label_y + 4.0,
                html_escape(line.name),
                html_escape(&unit.format(*v)),
            );
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

fn marker(shape: Marker, x: f64, y: f64) -> String {
    match shape {
        Marker::Circle => format!(r#"<circle class="mark" cx="{x:.1}" cy="{y:.1}" r="3.5"/>"#),
        Marker::Square => format!(
            r#"<rect class="mark" x="{:.1}" y="{:.1}" width="7" height="7"/>"#,
            x - 3.5,
            y - 3.5
        ),
        Marker::Triangle => format!(
            r#"<polygon class="mark" points="{x:.1},{:.1} {:.1},{:.1} {:.1},{:.1}"/>"#,
            y - 4.5,
            x - 4.5,
            y + 3.5,
            x + 4.5,
            y + 3.5
        ),
    }
}

/// One part of a split.
#[derive(Debug, Clone)]
pub struct Part {
    /// Its name in words.
    pub name: &'static str,
    /// The stylesheet class that colours it.
    pub class: &'static str,
    /// How many.
    pub count: i64,
}

/// A bar split into parts by count, in the parts' order, each part's count written on it
/// where it fits and every part named with its count in a legend under the bar, so the
/// split reads without colour. Empty when there is nothing to split.
pub fn split_bar(id: &str, title: &str, parts: &[Part]) -> String {
    let total: i64 = parts.iter().map(|p| p.count.max(0)).sum();
    if total == 0 {
        return String::new();
    }
    let words: Vec<String> = parts
        .iter()
        .map(|p| format!("{}: {} ({}%)", p.name, p.count, share(p.count, total)))
        .collect();
    let id = html_escape(id);
    let height = 72.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart split" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        html_escape(title),
        html_escape(&words.join("; ")),
    );
    let mut at = 0.0;
    for part in parts.iter().filter(|p| p.count > 0) {
        let w = WIDTH * part.count as f64 / total as f64;
        let _ = write!(
            svg,
            r#"<rect class="part {}" x="{at:.1}" y="4" width="{w:.1}" height="36"><title>{}: {}</title></rect>"#,
            html_escape(part.class),
            html_escape(part.name),
            part.count,
        );
        // Wide enough for its count: written on it, so the bar reads without the legend.
        if w >= 28.0 {
            let _ = write!(
                svg,
                r#"<text class="on-part" x="{:.1}" y="27" text-anchor="middle">{}</text>"#,
                at + w / 2.0,
                part.count
            );
        }
        at += w;
    }
    // The legend under the bar, every part named with its count (none left out for
    // being zero), a swatch of its colour before it.
    let step = WIDTH / parts.len().max(1) as f64;
    for (i, part) in parts.iter().enumerate() {
        let lx = step * i as f64;
        let _ = write!(
            svg,
            r#"<rect class="part {}" x="{lx:.1}" y="52" width="12" height="12"/><text x="{:.1}" y="63">{}: {}</text>"#,
            html_escape(part.class),
            lx + 16.0,
            html_escape(part.name),
            part.count,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// `count` of `total` in whole percent, rounded half up.
pub fn share(count: i64, total: i64) -> i64 {
    if total <= 0 {
        return 0;
    }
    (count.max(0) * 200 + total) / (2 * total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap_or_default()
    }

    #[test]
    fn lines_are_named_at_their_ends_with_their_last_values() {
        let svg = line_chart(
            "p",
            "Progress over time",
            "Signed off 40%",
            Unit::Percent,
            &[
                Line {
                    name: "Signed off",
                    class: "s-signed",
                    marker: Marker::Circle,
                    points: vec![(day(1), 10.0), (day(31), 40.0)],
                },
                Line {
                    name: "Time",
                    class: "s-time",
                    marker: Marker::Square,
                    points: vec![(day(1), 20.0), (day(31), 41.0)],
                },
            ],
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains(r#"aria-labelledby="p-title p-desc""#));
        assert!(svg.contains(">Signed off 40%</text>"), "{svg}");
        assert!(svg.contains(">Time 41%</text>"), "{svg}");
        // The first day at the left edge of the plot, the last at its right: 640 − 150.
        assert!(svg.contains(r#"<polyline points="48.0,"#), "{svg}");
        assert!(svg.contains(" 490.0,"), "{svg}");
        assert!(svg.contains(">01/03/2026</text>") && svg.contains(">31/03/2026</text>"));
        // 100% at the top (y = 12), 0% at the bottom (240 − 28 = 212); 40% is
        // 12 + 200 × 0.6 = 132.
        assert!(svg.contains("490.0,132.0"), "{svg}");
    }

    #[test]
    fn labels_of_lines_ending_at_zero_stay_inside_the_chart() {
        let at_zero = |name, class| Line {
            name,
            class,
            marker: Marker::Circle,
            points: vec![(day(1), 0.0), (day(2), 0.0)],
        };
        let svg = line_chart(
            "z",
            "Progress",
            "Nothing yet",
            Unit::Percent,
            &[
                at_zero("Signed off", "s-signed"),
                at_zero("Mapped", "s-mapped"),
                at_zero("Time", "s-time"),
            ],
        );
        // 0% is y = 212 (the axis): the labels' centres are 212, 198 and 184 (14 apart,
        // the lowest on the axis), their baselines 4 lower: 216, 202 and 188.
        let baselines: Vec<f64> = svg
            .split(r#"<text class="label" x=""#)
            .skip(1)
            .map(|t| {
                let y = t.split(r#"y=""#).nth(1).unwrap_or("").split('"').next();
                y.and_then(|y| y.parse().ok()).unwrap_or(f64::NAN)
            })
            .collect();
        let mut sorted = baselines.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(sorted, vec![188.0, 202.0, 216.0], "{svg}");
    }

    #[test]
    fn names_are_escaped() {
        let svg = line_chart(
            "a<b",
            "<script>",
            "x & y",
            Unit::Hours,
            &[Line {
                name: "Planned",
                class: "s-time",
                marker: Marker::Triangle,
                points: vec![(day(2), 5.0)],
            }],
        );
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(
            svg.contains("&lt;script&gt;") && svg.contains("x &amp; y"),
            "{svg}"
        );
    }

    #[test]
    fn the_hours_axis_tops_out_at_a_round_number() {
        let line = |v| Line {
            name: "Actual",
            class: "s-signed",
            marker: Marker::Circle,
            points: vec![(day(1), v)],
        };
        assert_eq!(axis_top(Unit::Hours, &[line(4.0)]), 10.0);
        assert_eq!(axis_top(Unit::Hours, &[line(187.0)]), 200.0);
        assert_eq!(axis_top(Unit::Hours, &[line(260.0)]), 300.0);
        assert_eq!(axis_top(Unit::Hours, &[line(300.0)]), 300.0);
        assert_eq!(axis_top(Unit::Hours, &[line(20.5)]), 30.0);
        assert_eq!(axis_top(Unit::Percent, &[line(120.0)]), 200.0);
    }

    #[test]
    fn a_split_names_every_part_with_count_and_share() {
        let svg = split_bar(
            "c",
            "Caseload by track",
            &[
                Part {
                    name: "Off track",
                    class: "s-off",
                    count: 1,
                },
                Part {
                    name: "On track",
                    class: "s-on",
                    count: 2,
                },
                Part {
                    name: "Ahead",
                    class: "s-ahead",
                    count: 0,
                },
            ],
        );
        // 1 of 3 = 33.3 → 33%; 2 of 3 = 66.7 → 67%.
        assert!(
            svg.contains("Off track: 1 (33%); On track: 2 (67%); Ahead: 0 (0%)"),
            "{svg}"
        );
        // A third of 640 wide, then two thirds.
        assert!(svg.contains(r#"x="0.0" y="4" width="213.3""#), "{svg}");
        assert!(svg.contains(r#"x="213.3" y="4" width="426.7""#), "{svg}");
        assert!(
            !svg.contains("Ahead: 0</title>"),
            "no empty part drawn: {svg}"
        );
        assert!(
            svg.contains(">Ahead: 0</text>"),
            "but named in the legend: {svg}"
        );
        assert_eq!(split_bar("c", "Nobody", &[]), "");
    }

    #[test]
    fn shares_round_half_up() {
        assert_eq!(share(1, 8), 13); // 12.5 → 13
        assert_eq!(share(1, 3), 33);
        assert_eq!(share(0, 0), 0);
    }
}
