//! Bar charts laid out for SVG. The template only draws what is computed here, so the geometry is
//! tested without a browser. Coordinates are in the chart's own `viewBox` units; the page scales
//! the drawing to the width it has.

/// The drawing's size in `viewBox` units.
pub const WIDTH: f64 = 480.0;
pub const HEIGHT: f64 = 220.0;
/// Room for the value axis on the left, totals above the bars and two lines of labels below.
const LEFT: f64 = 34.0;
const RIGHT: f64 = 6.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 36.0;
/// The share of its slot a bar fills; the rest is the gap between bars.
const BAR_SHARE: f64 = 0.7;
/// Series colours (`c0`…`c5` in app.css); a seventh series reuses the first.
pub const PALETTE: usize = 6;

/// One bar's worth of data: a value per series.
pub struct Column {
    /// Under the bar, and a second line under that (may be empty).
    pub label: String,
    pub sublabel: String,
    /// What the bar stands for, in full, for its segments' tooltips.
    pub title: String,
    pub values: Vec<u64>,
}

pub struct Chart {
    pub width: f64,
    pub height: f64,
    /// Where the plot area starts and ends across, and the line the bars stand on.
    pub left: f64,
    pub right: f64,
    pub baseline: f64,
    /// Where the axis values end across, and where the two lines of bar labels sit.
    pub tick_x: f64,
    pub label_y: f64,
    pub sublabel_y: f64,
    pub ticks: Vec<Tick>,
    pub bars: Vec<Bar>,
    pub legend: Vec<Key>,
}

/// A line across the chart at a round value.
pub struct Tick {
    pub y: f64,
    pub value: u64,
    /// The value's baseline, so that it reads level with the line.
    pub text_y: f64,
}

pub struct Bar {
    pub label: String,
    pub sublabel: String,
    /// The middle of the bar across, where its labels go.
    pub centre: f64,
    pub total: u64,
    /// Where the total sits, just above the stack.
    pub total_y: f64,
    /// Bottom to top; series with nothing in this bar have no segment.
    pub segments: Vec<Segment>,
}

pub struct Segment {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub colour: usize,
    pub title: String,
}

/// A series' name and its colour.
pub struct Key {
    pub name: String,
    pub colour: usize,
}

/// A tenth of a unit is finer than any screen shows, and keeps the markup short.
fn tidy(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The top of the value axis and the step between its lines: round numbers (1, 2 or 5 times a
/// power of ten), at most five steps, the top at or above `max` and never zero.
pub fn scale(max: u64) -> (u64, u64) {
    let step = (0..)
        .flat_map(|power| [1, 2, 5].map(|m| m * 10u64.pow(power)))
        .find(|step| step * 5 >= max)
        .expect("some step covers any count of requests");
    (max.div_ceil(step).max(1) * step, step)
}

/// Bars of stacked segments, one per column, one segment per series with a value.
pub fn stacked(columns: &[Column], series: &[String]) -> Chart {
    let max = columns
        .iter()
        .map(|c| c.values.iter().sum())
        .max()
        .unwrap_or(0);
    let (top, step) = scale(max);
    let plot_height = HEIGHT - TOP - BOTTOM;
    let baseline = HEIGHT - BOTTOM;
    let y_of = |value: u64| baseline - value as f64 / top as f64 * plot_height;
    let slot = (WIDTH - LEFT - RIGHT) / columns.len().max(1) as f64;
    let width = tidy(slot * BAR_SHARE);
    let bars = columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let x = tidy(LEFT + slot * i as f64 + slot * (1.0 - BAR_SHARE) / 2.0);
            let mut below = 0;
            let mut segments = Vec::new();
            for (s, &value) in column.values.iter().enumerate().filter(|(_, v)| **v > 0) {
                let (bottom, top) = (y_of(below), y_of(below + value));
                below += value;
                let name = series.get(s).map(String::as_str).unwrap_or_default();
                segments.push(Segment {
                    x,
                    y: tidy(top),
                    width,
                    height: tidy(bottom - top),
                    colour: s % PALETTE,
                    title: format!("{}, {name}: {value}", column.title),
                });
            }
            Bar {
                label: column.label.clone(),
                sublabel: column.sublabel.clone(),
                centre: tidy(LEFT + slot * (i as f64 + 0.5)),
                total: below,
                total_y: tidy(y_of(below) - 4.0),
                segments,
            }
        })
        .collect();
    Chart {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: WIDTH - RIGHT,
        baseline,
        tick_x: LEFT - 6.0,
        label_y: baseline + 15.0,
        sublabel_y: baseline + 30.0,
        ticks: (0..=top / step)
            .map(|n| Tick {
                y: tidy(y_of(n * step)),
                value: n * step,
                text_y: tidy(y_of(n * step) + 4.0),
            })
            .collect(),
        bars,
        legend: series
            .iter()
            .enumerate()
            .map(|(s, name)| Key {
                name: name.clone(),
                colour: s % PALETTE,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(label: &str, values: &[u64]) -> Column {
        Column {
            label: label.into(),
            sublabel: String::new(),
            title: format!("day {label}"),
            values: values.to_vec(),
        }
    }

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn the_axis_tops_out_at_a_round_number_in_at_most_five_steps() {
        assert_eq!(scale(0), (1, 1));
        assert_eq!(scale(1), (1, 1));
        assert_eq!(scale(3), (3, 1));
        assert_eq!(scale(5), (5, 1));
        assert_eq!(scale(7), (8, 2));
        assert_eq!(scale(10), (10, 2));
        assert_eq!(scale(12), (15, 5));
        assert_eq!(scale(26), (30, 10));
        assert_eq!(scale(100), (100, 20));
        assert_eq!(scale(101), (150, 50));
        assert_eq!(scale(4321), (5000, 1000));
    }

    #[test]
    fn the_tallest_bar_reaches_the_top_of_the_axis_and_segments_stack_without_gaps() {
        let chart = stacked(
            &[
                column("1", &[2, 3]),
                column("2", &[0, 1]),
                column("3", &[0, 0]),
            ],
            &names(&["groceries", "prescription"]),
        );
        let ends = |t: Option<&Tick>| t.map(|t| (t.y, t.value));
        assert_eq!(ends(chart.ticks.first()), Some((chart.baseline, 0)));
        assert_eq!(ends(chart.ticks.last()), Some((TOP, 5)));
        let [first, second, third] = &chart.bars[..] else {
            panic!()
        };
        assert_eq!((first.total, first.total_y), (5, TOP - 4.0));
        let [bottom, upper] = &first.segments[..] else {
            panic!()
        };
        assert_eq!(tidy(bottom.y + bottom.height), chart.baseline);
        assert_eq!(
            tidy(upper.y + upper.height),
            bottom.y,
            "no gap between segments"
        );
        assert_eq!(
            (bottom.height, upper.height),
            (65.6, 98.4),
            "2 and 3 of 5 over 164"
        );
        assert_eq!(upper.title, "day 1, prescription: 3");
        assert_eq!(second.segments.len(), 1, "a zero draws nothing");
        assert_eq!(second.segments[0].colour, 1, "a series keeps its colour");
        assert!(third.segments.is_empty());
        assert_eq!((third.total, third.total_y), (0, chart.baseline - 4.0));
    }

    #[test]
    fn bars_share_the_width_evenly_inside_the_plot() {
        let columns: Vec<Column> = (0..14).map(|d| column(&d.to_string(), &[1])).collect();
        let chart = stacked(&columns, &names(&["one queue"]));
        let first = &chart.bars[0].segments[0];
        let last = &chart.bars[13].segments[0];
        assert!(first.x > chart.left && last.x + last.width < chart.right);
        let gap = chart.bars[1].centre - chart.bars[0].centre;
        assert!(
            (gap - (chart.right - chart.left) / 14.0).abs() < 0.1,
            "{gap}"
        );
        assert_eq!(chart.legend.len(), 1);
    }

    #[test]
    fn no_data_still_draws_an_axis_and_empty_bars() {
        let chart = stacked(&[column("a", &[]), column("b", &[])], &[]);
        assert_eq!(chart.ticks.len(), 2);
        assert!(
            chart
                .bars
                .iter()
                .all(|b| b.segments.is_empty() && b.total == 0)
        );
        assert!(stacked(&[], &[]).bars.is_empty());
    }

    #[test]
    fn more_queues_than_colours_reuse_them_in_order() {
        let series = names(&["a", "b", "c", "d", "e", "f", "g"]);
        let chart = stacked(&[column("x", &[1; 7])], &series);
        let colours: Vec<usize> = chart.bars[0].segments.iter().map(|s| s.colour).collect();
        assert_eq!(colours, [0, 1, 2, 3, 4, 5, 0]);
        assert_eq!(chart.legend[6].colour, 0);
    }
}
