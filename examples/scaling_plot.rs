//! Turns the criterion results of `benches/routing.rs` and `benches/simulate.rs` into
//! `docs/scaling.svg` (routing decisions/s against roster size, one line per rule) and
//! prints the medians as the Markdown tables of BENCHMARKS.md. When
//! `benches/customer_scaling.sh` has left its CSV, it also draws
//! `docs/scaling_customers.svg` (wall time against simulated customers).
//!
//! ```text
//! cargo bench --bench routing -- --warm-up-time 1 --measurement-time 3
//! cargo bench --bench simulate
//! benches/customer_scaling.sh                      # optional: target/customer_scaling.csv
//! cargo run --release --example scaling_plot [-- CRITERION_DIR [SVG_OUT]]
//! ```
//!
//! Defaults: `target/criterion` (or `$CARGO_TARGET_DIR/criterion`) and `docs/scaling.svg`.
//! A figure is criterion's median time per iteration turned into elements per second.

use chatsim::engine::RoutingRule;
use plotters::prelude::*;
use std::error::Error;
use std::path::{Path, PathBuf};

const AGENTS: [u32; 5] = [10, 100, 1_000, 10_000, 100_000];
const FONT: &str = "sans-serif";

/// Elements per second of one criterion benchmark (by its id path), from the median.
fn rate(dir: &Path, id: &str) -> Option<f64> {
    let read = |file: &str| -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(dir.join(id).join("new").join(file)).ok()?;
        serde_json::from_str(&text).ok()
    };
    let median_ns = read("estimates.json")?["median"]["point_estimate"].as_f64()?;
    let elements = read("benchmark.json")?["throughput"]["Elements"].as_f64()?;
    Some(elements / (median_ns * 1e-9))
}

fn millions(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| format!("{:.2} M", v / 1e6))
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().map(PathBuf::from).unwrap_or_else(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into());
        PathBuf::from(target).join("criterion")
    });
    let svg = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| "docs/scaling.svg".into());

    let table: Vec<(RoutingRule, Vec<Option<f64>>)> = RoutingRule::ALL
        .into_iter()
        .map(|rule| {
            let rates = AGENTS
                .iter()
                .map(|a| rate(&dir, &format!("routing/{}/{a}", rule.name())))
                .collect();
            (rule, rates)
        })
        .collect();

    println!("Routing decisions/s (median; one decision = a close plus a routed request):\n");
    print!("| rule |");
    for a in AGENTS {
        print!(" {a} |");
    }
    println!(" cost(100 000)/cost(100) |");
    println!("|---|{}---:|", "---:|".repeat(AGENTS.len()));
    for (rule, rates) in &table {
        print!("| {} |", rule.name());
        for r in rates {
            print!(" {} |", millions(*r));
        }
        // Cost per decision is 1/rate, so the cost ratio is rate(100) / rate(100 000).
        let ratio = match (rates[1], rates[4]) {
            (Some(small), Some(large)) => format!("{:.2}", small / large),
            _ => "–".into(),
        };
        println!(" {ratio} |");
    }

    println!(
        "\nEngine events/s with timers and turn traffic (benches/routing.rs engine_events):\n"
    );
    println!("| agents | engine events/s |\n|---:|---:|");
    for a in [100, 10_000] {
        println!(
            "| {a} | {} |",
            millions(rate(&dir, &format!("engine_events/{a}")))
        );
    }

    println!("\nWhole replications, c = 100 (benches/simulate.rs):\n");
    println!("| model | unit | bare | with metrics |\n|---|---|---:|---:|");
    for (group, unit) in [("holding_mmc", "customers/s"), ("turns", "events/s")] {
        println!(
            "| {group} | {unit} | {} | {} |",
            millions(rate(&dir, &format!("{group}/bare/100"))),
            millions(rate(&dir, &format!("{group}/metrics/100")))
        );
    }

    draw(&svg, &table)?;
    eprintln!("wrote {}", svg.display());

    let csv = dir.with_file_name("customer_scaling.csv");
    if let Ok(text) = std::fs::read_to_string(&csv) {
        let out = svg.with_file_name("scaling_customers.svg");
        draw_customers(&out, &customer_rows(&text)?)?;
        eprintln!("wrote {} from {}", out.display(), csv.display());
    }
    Ok(())
}

/// One row of `benches/customer_scaling.sh`'s CSV: model, customers, wall seconds.
type CustomerRow = (String, f64, f64);

/// The rows of `benches/customer_scaling.sh`'s CSV.
fn customer_rows(text: &str) -> Result<Vec<CustomerRow>, Box<dyn Error>> {
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            match f.as_slice() {
                [model, customers, wall, ..] => {
                    Ok((model.to_string(), customers.parse()?, wall.parse()?))
                }
                _ => Err(format!("bad customer_scaling.csv line: {line}").into()),
            }
        })
        .collect()
}

/// The frame both plots share: caption, margin and label areas.
fn builder<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    caption: &str,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut b = ChartBuilder::on(root);
    b.caption(caption, (FONT, 18))
        .margin(14)
        .x_label_area_size(42)
        .y_label_area_size(64);
    b
}

/// Wall seconds against simulated customers (log-log), one line per model.
fn draw_customers(path: &Path, rows: &[CustomerRow]) -> Result<(), Box<dyn Error>> {
    let root = SVGBackend::new(path, (820, 460)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = builder(
        &root,
        "chatsim: wall time vs simulated customers (one replication, one thread)",
    )
    .build_cartesian_2d((5e4f64..2e8f64).log_scale(), (0.01f64..100f64).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("simulated customers (log scale)")
        .y_desc("wall seconds (log scale)")
        .x_label_formatter(&|x| format!("{x:.0e}"))
        .y_label_formatter(&|y| format!("{y}"))
        .label_style((FONT, 13))
        .light_line_style(RGBColor(242, 242, 242))
        .draw()?;
    let models: Vec<&str> = rows.iter().fold(Vec::new(), |mut v, (m, _, _)| {
        if !v.contains(&m.as_str()) {
            v.push(m.as_str());
        }
        v
    });
    let series = models
        .into_iter()
        .map(|model| {
            let points = rows
                .iter()
                .filter(|(m, _, _)| m == model)
                .map(|(_, c, w)| (*c, w.max(0.01)))
                .collect();
            (model.to_string(), points)
        })
        .collect();
    draw_lines(&mut chart, series, SeriesLabelPosition::UpperLeft)?;
    root.present()?;
    Ok(())
}

/// Decisions/s against agents (log scale), one line per rule.
fn draw(path: &Path, table: &[(RoutingRule, Vec<Option<f64>>)]) -> Result<(), Box<dyn Error>> {
    let top = table
        .iter()
        .flat_map(|(_, r)| r.iter().flatten())
        .fold(0.0f64, |m, &v| m.max(v / 1e6));
    if top == 0.0 {
        return Err("no routing results found; run `cargo bench --bench routing` first".into());
    }
    let root = SVGBackend::new(path, (820, 460)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = builder(
        &root,
        "chatsim engine: routing decisions/s vs agents (criterion median)",
    )
    .build_cartesian_2d((8f64..130_000f64).log_scale(), 0.0..top * 1.4)?;
    chart
        .configure_mesh()
        .x_desc("agents (log scale)")
        .y_desc("million routing decisions / s (one core)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .label_style((FONT, 13))
        .light_line_style(RGBColor(242, 242, 242))
        .draw()?;
    let series = table
        .iter()
        .map(|(rule, rates)| {
            let points = AGENTS
                .iter()
                .zip(rates)
                .filter_map(|(&a, r)| r.map(|r| (a as f64, r / 1e6)))
                .collect();
            (rule.name().to_string(), points)
        })
        .collect();
    // The headroom above the highest point keeps the legend off the lines.
    draw_lines(&mut chart, series, SeriesLabelPosition::UpperRight)?;
    root.present()?;
    Ok(())
}

/// Line colours, one per series in order.
const PALETTE: [RGBColor; 5] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
];

/// Draws each named series as a line with dots, and the legend at `legend`.
fn draw_lines<'a, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<LogCoord<f64>, Y>>,
    series: Vec<(String, Vec<(f64, f64)>)>,
    legend: SeriesLabelPosition,
) -> Result<(), Box<dyn Error>> {
    for ((name, points), color) in series.into_iter().zip(PALETTE.into_iter().cycle()) {
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
        chart.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 3, color.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .position(legend)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FONT, 13))
        .draw()?;
    Ok(())
}
