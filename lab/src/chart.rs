//! The SVG chart: throughput against threads for each workload, and the mixed workload's I/O wait
//! and CPU throughput per strategy. Every strategy keeps one colour and one marker in every panel;
//! each point is the median of the rounds, its bar the range from the lowest to the highest.

use std::error::Error;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::report::{per_second, seconds, Run, Spread, Unit};
use crate::workloads::{Strategy, Workload};
use crate::{name, Cell};

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Res = Result<(), Box<dyn Error>>;

/// The shape that marks a strategy's points.
#[derive(Clone, Copy)]
enum Marker {
    Circle,
    Square,
    Diamond,
    Up,
    Down,
    Cross,
}

/// Each strategy's colour, marker and a few words on what it is, the same in every panel.
fn style(s: Strategy) -> (RGBColor, Marker, &'static str) {
    use Marker as M;
    match s {
        Strategy::Unsync => (RGBColor(127, 127, 127), M::Cross, "no lock, one thread"),
        Strategy::StdMutex => (RGBColor(140, 86, 75), M::Square, "one std Mutex for all"),
        Strategy::ParkingLot => (
            RGBColor(148, 103, 189),
            M::Diamond,
            "bare parking_lot per field",
        ),
        Strategy::ParkingLotPadded => (
            RGBColor(197, 176, 213),
            M::Diamond,
            "parking_lot per field, padded",
        ),
        Strategy::PerField => (RGBColor(44, 160, 44), M::Up, "#[per_field_lock]"),
        Strategy::PerFieldPadded => (RGBColor(152, 223, 138), M::Up, "#[per_field_lock(padded)]"),
        Strategy::Gil => (
            RGBColor(255, 127, 14),
            M::Circle,
            "#[global_lock], GIL held",
        ),
        Strategy::Cpython => (RGBColor(0, 0, 0), M::Circle, "CPython, pure Python"),
        Strategy::GilReleased => (RGBColor(214, 39, 40), M::Down, "GIL released for the work"),
        Strategy::CpythonReleased => (RGBColor(0, 0, 0), M::Down, "CPython, sha256 or sleep"),
        Strategy::GilPriority => (RGBColor(227, 119, 194), M::Diamond, "GIL, priority policy"),
        Strategy::GilDomains => (RGBColor(255, 187, 120), M::Up, "a GIL domain per thread"),
        Strategy::AtomicRc => (RGBColor(23, 190, 207), M::Square, "#[atomic_rc]"),
        Strategy::Biased => (RGBColor(188, 189, 34), M::Up, "#[atomic_rc(biased)]"),
        Strategy::BiasedLocal => (
            RGBColor(219, 219, 141),
            M::Diamond,
            "LocalRc (biased), owner",
        ),
        Strategy::HybridLocal => (
            RGBColor(197, 176, 213),
            M::Diamond,
            "LocalRc (hybrid), owner",
        ),
        Strategy::Arc => (RGBColor(31, 119, 180), M::Cross, "std Arc"),
        Strategy::Rc => (RGBColor(140, 109, 49), M::Down, "std Rc, one thread"),
        Strategy::Immortal => (RGBColor(99, 99, 99), M::Diamond, "#[atomic_rc(immortal)]"),
        Strategy::Dumpster => (RGBColor(0, 128, 128), M::Circle, "dumpster::sync::Gc"),
        Strategy::Epoch => (RGBColor(128, 0, 128), M::Cross, "crossbeam-epoch pin+load"),
        Strategy::Processes => (RGBColor(0, 90, 50), M::Square, "worker processes"),
        Strategy::Async => (RGBColor(70, 70, 200), M::Up, "tokio tasks, one thread"),
        Strategy::AsyncConvoy => (RGBColor(200, 70, 70), M::Up, "tokio, CPU task hogs"),
    }
}

/// Draws `marker` centred on pixel `(x, y)` of `root`, filled or as an outline.
fn draw_marker(root: &Area, (x, y): (i32, i32), s: Strategy, filled: bool) -> Res {
    let (color, marker, _) = style(s);
    let style = if filled {
        color.filled()
    } else {
        color.stroke_width(2)
    };
    let r = 6;
    let polygon = |points: &[(i32, i32)]| -> Res {
        let points: Vec<(i32, i32)> = points.iter().map(|(dx, dy)| (x + dx, y + dy)).collect();
        if filled {
            root.draw(&Polygon::new(points, style))?;
        } else {
            let mut closed = points.clone();
            closed.push(points[0]);
            root.draw(&PathElement::new(closed, style))?;
        }
        Ok(())
    };
    match marker {
        Marker::Circle => root.draw(&Circle::new((x, y), r - 1, style))?,
        Marker::Square => polygon(&[(-5, -5), (5, -5), (5, 5), (-5, 5)])?,
        Marker::Diamond => polygon(&[(0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)])?,
        Marker::Up => polygon(&[(0, -r - 1), (r, r - 1), (-r, r - 1)])?,
        Marker::Down => polygon(&[(0, r + 1), (r, 1 - r), (-r, 1 - r)])?,
        Marker::Cross => {
            let thick = color.stroke_width(if filled { 3 } else { 2 });
            root.draw(&PathElement::new([(x - r, y - r), (x + r, y + r)], thick))?;
            root.draw(&PathElement::new([(x - r, y + r), (x + r, y - r)], thick))?;
        }
    }
    Ok(())
}

/// A bar from pixel `lo` to `hi` (the range of the rounds), with caps across it.
fn draw_bar(root: &Area, lo: (i32, i32), hi: (i32, i32), s: Strategy) -> Res {
    let line = style(s).0.stroke_width(1);
    root.draw(&PathElement::new([lo, hi], line))?;
    let vertical = lo.0 == hi.0;
    for (x, y) in [lo, hi] {
        let cap = if vertical {
            [(x - 4, y), (x + 4, y)]
        } else {
            [(x, y - 4), (x, y + 4)]
        };
        root.draw(&PathElement::new(cap, line))?;
    }
    Ok(())
}

/// Tick values for a log axis from `lo` to `hi`: the coarsest of 1-, 1-2-5- and finer steps per
/// decade that gives at least four ticks.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let steps: [&[f64]; 4] = [
        &[1.0],
        &[1.0, 2.0, 5.0],
        &[1.0, 1.5, 2.0, 3.0, 5.0, 7.0],
        &[
            1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0,
        ],
    ];
    #[allow(
        clippy::cast_possible_truncation,
        reason = "decades of a plotted range: small integers"
    )]
    let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let ticks = |step: &[f64]| -> Vec<f64> {
        (first..=last)
            .flat_map(|k| step.iter().map(move |m| m * 10_f64.powi(k)))
            .filter(|v| (lo..=hi).contains(v))
            .collect()
    };
    steps
        .iter()
        .map(|s| ticks(s))
        .find(|t| t.len() >= 4)
        .unwrap_or_else(|| ticks(steps[3]))
}

/// A tick label: a figure and its unit, without trailing zeros (`2 M`, `1.5 ms`).
fn tick(v: f64, unit: Unit) -> String {
    let (n, u) = unit(v);
    let n = if n.contains('.') {
        n.trim_end_matches('0').trim_end_matches('.')
    } else {
        &n
    };
    format!("{n}{}", u.trim_end())
}

/// The lowest and highest value of the spreads, widened so that no marker sits on the frame.
fn bounds(spreads: impl Iterator<Item = Spread>) -> (f64, f64) {
    let (lo, hi) = spreads.fold((f64::MAX, f64::MIN), |(lo, hi), s| {
        (lo.min(s.min), hi.max(s.max))
    });
    (lo / 1.4, hi * 1.4)
}

const TITLE: u32 = 19;
const LABEL: u32 = 15;

/// The whole chart: caption, six throughput panels, the legend, and the mixed workload's panels.
pub fn draw(cells: &[Cell], run: &Run, path: &Path) -> Res {
    let root = SVGBackend::new(path, (2000, 1330)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, body) = root.split_vertically(100);
    caption(&top, run)?;
    let (rows, mixed_row) = body.split_vertically(820);
    let slots = rows.split_evenly((2, 4));
    let block = tick(run.params.block.as_secs_f64(), seconds);
    let io_title = format!("io: an increment, then a {block} sleep");
    let panels = [
        (Workload::Access, "access: a bare field increment"),
        (Workload::CpuSame, "cpu-same: CPU work into one field"),
        (
            Workload::CpuDisjoint,
            "cpu-disjoint: CPU work, a field per thread",
        ),
        (Workload::Io, &io_title),
        (Workload::Churn, "churn: clone and drop a handle"),
        (Workload::Interp, "interp: minipy's fib.py, fib(20) per op"),
    ];
    for ((workload, title), area) in panels.iter().zip(&slots) {
        threads_panel(&root, area, cells, *workload, title)?;
    }
    let plotted =
        |c: &&Cell| c.workload == Workload::Mixed || panels.iter().any(|(w, _)| *w == c.workload);
    let shown: Vec<&Cell> = cells.iter().filter(plotted).collect();
    legend(&slots[6], &shown, run)?;
    let (wait_area, cpu_area) = mixed_row.split_horizontally(900);
    let mixed: Vec<&Cell> = cells
        .iter()
        .filter(|c| c.workload == Workload::Mixed)
        .collect();
    if !mixed.is_empty() {
        let interval = gilkit::switch_interval().as_secs_f64();
        let waits = |c: &Cell| {
            [0.5, 0.99]
                .into_iter()
                .filter_map(|q| Spread::of(&c.wait(q)?))
                .collect()
        };
        mixed_panel(
            &root,
            &wait_area,
            &mixed,
            "mixed: the I/O thread's wait beside a CPU-bound thread (p50, p99)",
            (
                &format!("I/O wait after each {block} block (log scale)"),
                seconds,
            ),
            waits,
            Some((
                interval,
                &format!("switch interval {}", tick(interval, seconds)),
            )),
        )?;
        mixed_panel(
            &root,
            &cpu_area,
            &mixed,
            "mixed: the CPU-bound thread's throughput",
            ("ops/s (log scale)", per_second),
            |c| Spread::of(&c.throughput()).into_iter().collect(),
            None,
        )?;
    }
    root.present()?;
    Ok(())
}

fn caption(area: &Area, run: &Run) -> Res {
    let python = run.python.as_deref().unwrap_or("CPython not measured");
    let lines = [
        (
            format!(
                "gil lab: each point the median of {} rounds, its bar the range (min to max); {python}",
                run.rounds
            ),
            22,
        ),
        (format!("machine: {}", run.machine), LABEL),
        (crate::report::settings(run.rounds, run.params), LABEL),
    ];
    let mut y = 12;
    for (text, size) in lines {
        area.draw_text(
            &text,
            &("sans-serif", size).into_font().color(&BLACK),
            (16, y),
        )?;
        y += i32::try_from(size).unwrap_or(16) + 10;
    }
    Ok(())
}

/// Throughput (log) against thread count, ticks only at the measured counts.
fn threads_panel(root: &Area, area: &Area, cells: &[Cell], w: Workload, title: &str) -> Res {
    let mine: Vec<&Cell> = cells.iter().filter(|c| c.workload == w).collect();
    if mine.is_empty() {
        return Ok(());
    }
    let mut counts: Vec<usize> = mine.iter().map(|c| c.threads).collect();
    counts.sort_unstable();
    counts.dedup();
    #[allow(clippy::cast_precision_loss, reason = "thread counts are small")]
    let xs: Vec<f64> = counts.iter().map(|&t| t as f64).collect();
    let spreads: Vec<Spread> = mine
        .iter()
        .filter_map(|c| Spread::of(&c.throughput()))
        .collect();
    let (lo, hi) = bounds(spreads.iter().copied());
    let x_range = (xs[0] / 1.5)..(xs[xs.len() - 1] * 1.5);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", TITLE))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(
            x_range.log_scale().with_key_points(xs.clone()),
            (lo..hi).log_scale().with_key_points(log_ticks(lo, hi)),
        )?;
    chart
        .configure_mesh()
        .x_desc("threads")
        .y_desc("ops/s (log scale)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| tick(*y, per_second))
        .label_style(("sans-serif", LABEL))
        .axis_desc_style(("sans-serif", LABEL))
        .light_line_style(WHITE)
        .bold_line_style(BLACK.mix(0.12))
        .draw()?;
    let mut strategies: Vec<Strategy> = mine.iter().map(|c| c.strategy).collect();
    strategies.dedup();
    #[allow(clippy::cast_precision_loss, reason = "a handful of strategies")]
    let middle = (strategies.len() as f64 - 1.0) / 2.0;
    for (k, s) in strategies.into_iter().enumerate() {
        // Each strategy a little to the side of the measured count, so equal figures stay apart.
        #[allow(clippy::cast_precision_loss, reason = "a handful of strategies")]
        let dodge = 1.025_f64.powf(k as f64 - middle);
        #[allow(clippy::cast_precision_loss, reason = "thread counts are small")]
        let points: Vec<(f64, Spread)> = mine
            .iter()
            .filter(|c| c.strategy == s)
            .filter_map(|c| Some((c.threads as f64 * dodge, Spread::of(&c.throughput())?)))
            .collect();
        let color = style(s).0;
        chart.draw_series(LineSeries::new(
            points.iter().map(|(x, sp)| (*x, sp.median)),
            color.stroke_width(2),
        ))?;
        for (x, sp) in points {
            draw_bar(
                root,
                chart.backend_coord(&(x, sp.min)),
                chart.backend_coord(&(x, sp.max)),
                s,
            )?;
            draw_marker(root, chart.backend_coord(&(x, sp.median)), s, true)?;
        }
    }
    Ok(())
}

/// One fixed legend for every panel: the strategies the panels plot, and how to read the marks.
fn legend(area: &Area, cells: &[&Cell], run: &Run) -> Res {
    let area = area.margin(24, 4, 40, 10);
    let font = ("sans-serif", LABEL).into_font().color(&BLACK);
    let mut strategies: Vec<Strategy> = cells.iter().map(|c| c.strategy).collect();
    strategies.sort_by_key(|s| run.strategies.iter().position(|r| r == s));
    strategies.dedup();
    let mut y = 0;
    for s in strategies {
        let (color, _, words) = style(s);
        area.draw(&PathElement::new(
            [(0, y + 8), (36, y + 8)],
            color.stroke_width(2),
        ))?;
        draw_marker(&area, (18, y + 8), s, true)?;
        area.draw_text(&format!("{}: {words}", name(&s)), &font, (48, y))?;
        y += 20;
    }
    y += 4;
    for note in [
        "points sit a little apart at each thread count",
        "mixed I/O wait: filled = p50, outline = p99",
        "CPython in black, with the marker of the strategy",
        "    it stands beside; its ops are its own (README)",
    ] {
        area.draw_text(note, &font, (0, y))?;
        y += 20;
    }
    Ok(())
}

/// A chart of one figure per strategy of the mixed workload: one row per strategy, the figure
/// (log) across. `figures` gives each cell's spreads, drawn filled and then as outlines.
fn mixed_panel(
    root: &Area,
    area: &Area,
    cells: &[&Cell],
    title: &str,
    (desc, unit): (&str, Unit),
    figures: impl Fn(&Cell) -> Vec<Spread>,
    mark: Option<(f64, &str)>,
) -> Res {
    let names: Vec<String> = cells.iter().map(|c| name(&c.strategy)).collect();
    let spreads: Vec<Vec<Spread>> = cells.iter().map(|c| figures(c)).collect();
    let (lo, hi) = bounds(
        spreads
            .iter()
            .flatten()
            .copied()
            .chain(mark.map(|(v, _)| Spread {
                median: v,
                min: v,
                max: v,
            })),
    );
    let lo = lo.max(1e-9);
    // Integer coordinates, four to a row, so that two figures of a row sit one unit apart; the
    // first strategy at the top.
    let n = i32::try_from(cells.len())?;
    let row = |i: usize| 4 * (n - 1 - i32::try_from(i).unwrap_or(0));
    let row_name = |y: &i32| {
        usize::try_from(n - 1 - y / 4)
            .ok()
            .and_then(|i| names.get(i).cloned())
            .unwrap_or_default()
    };
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", TITLE))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(110)
        .build_cartesian_2d(
            (lo..hi).log_scale().with_key_points(log_ticks(lo, hi)),
            (-2..4 * n - 2).with_key_points((0..n).map(|i| 4 * i).collect()),
        )?;
    chart
        .configure_mesh()
        .x_desc(desc)
        .x_label_formatter(&|x| tick(*x, unit))
        .y_label_formatter(&row_name)
        .label_style(("sans-serif", LABEL))
        .axis_desc_style(("sans-serif", LABEL))
        .light_line_style(WHITE)
        .bold_line_style(BLACK.mix(0.12))
        .draw()?;
    if let Some((v, text)) = mark {
        chart.draw_series(DashedLineSeries::new(
            [(v, -2), (v, 4 * n - 2)],
            6,
            4,
            BLACK.stroke_width(1),
        ))?;
        let (x, y) = chart.backend_coord(&(v, 4 * n - 2));
        root.draw_text(
            text,
            &("sans-serif", LABEL).into_font().color(&BLACK),
            (x + 4, y + 2),
        )?;
    }
    for (i, (c, spreads)) in cells.iter().zip(&spreads).enumerate() {
        for (k, sp) in spreads.iter().enumerate() {
            // One figure on the row; two a unit above and below it.
            let y = match (spreads.len(), k) {
                (1, _) => row(i),
                (_, 0) => row(i) + 1,
                _ => row(i) - 1,
            };
            draw_bar(
                root,
                chart.backend_coord(&(sp.min.max(lo), y)),
                chart.backend_coord(&(sp.max, y)),
                c.strategy,
            )?;
            draw_marker(
                root,
                chart.backend_coord(&(sp.median.max(lo), y)),
                c.strategy,
                k == 0,
            )?;
        }
    }
    Ok(())
}
