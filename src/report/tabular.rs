//! `intervals.csv`, `groups.csv`, `agents.csv`: one row per interval, group or agent;
//! for every figure a column with its mean over replications (`<metric>_mean`) and one
//! with the half-width of its 95 % confidence interval (`<metric>_ci95`), the naming of
//! every CSV chatsim writes (`staffing.csv` and `sweep.csv` too). A desk with several
//! queues adds `queues.csv` and `queue_intervals.csv`.

use crate::metrics::spool::RowPart;
use crate::metrics::summary::IntervalSummary;
use crate::metrics::{MetricSet, RunSummary};
use crate::report::csv_number;
use std::io;

fn writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(Vec::new())
}

fn finish(w: csv::Writer<Vec<u8>>) -> Vec<u8> {
    w.into_inner().expect("writing to memory cannot fail")
}

fn metric_header(head: &[&str], metrics: Option<&MetricSet>) -> Vec<String> {
    let mut cols: Vec<String> = head.iter().map(|s| s.to_string()).collect();
    for name in metrics.into_iter().flat_map(|m| m.names()) {
        cols.push(mean_column(name));
        cols.push(ci95_column(name));
    }
    cols
}

fn metric_cells(row: &mut Vec<String>, metrics: &MetricSet) {
    for (_, s) in metrics.iter() {
        row.push(csv_number(s.mean));
        row.push(csv_number(s.ci95_half_width));
    }
}

/// The column of a figure's mean over replications.
pub fn mean_column(metric: &str) -> String {
    format!("{metric}_mean")
}

/// The column of the half-width of a figure's 95 % confidence interval.
pub fn ci95_column(metric: &str) -> String {
    format!("{metric}_ci95")
}

/// An interval as people read it in a table: `08:00–08:15` on the scenario's clock,
/// prefixed by its date (or `day N` without a start date) when the run spans days.
pub fn interval_label(summary: &RunSummary, i: &IntervalSummary) -> String {
    crate::report::interval_label(&summary.clock, i.start_s, i.end_s, summary.spans_days())
}

/// One row per reporting interval: `interval`; `day` and `date` when the run spans days
/// (as in `staffing.csv`); `start`/`end` as the scenario's clock times of day;
/// `start_s`/`end_s` in seconds from the epoch; then each interval figure's `_mean` and
/// `_ci95`.
pub fn intervals_csv(summary: &RunSummary) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_intervals_csv(summary, &mut bytes).expect("writing to memory cannot fail");
    bytes
}

/// [`intervals_csv`] written to `out` row by row: from the spooled replications, every
/// interval, when the summary's own are merged ([`RunSummary::interval_rows`]), so a
/// long run's file never sits whole in memory.
pub fn write_intervals_csv(summary: &RunSummary, out: &mut dyn io::Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let header = metric_header(
        &interval_head(summary, &[]),
        summary.intervals.first().map(|i| &i.metrics),
    );
    w.write_record(&header)?;
    let mut put = |i: &IntervalSummary| {
        let mut row = interval_cells(summary, i);
        metric_cells(&mut row, &i.metrics);
        w.write_record(&row).map_err(io::Error::from)
    };
    match &summary.interval_rows {
        Some(rows) => rows.for_each(RowPart::Desk, |i| put(&i))?,
        None => summary.intervals.iter().try_for_each(put)?,
    }
    w.flush()
}

/// The leading columns of an interval row, after `first`: `interval`, `day` and `date`
/// when the run spans days, `start`, `end`, `start_s`, `end_s`.
fn interval_head<'a>(summary: &RunSummary, first: &[&'a str]) -> Vec<&'a str> {
    let mut head = first.to_vec();
    head.push("interval");
    if summary.spans_days() {
        head.extend(["day", "date"]);
    }
    head.extend(["start", "end", "start_s", "end_s"]);
    head
}

/// The cells of [`interval_head`] (after `first`'s) for interval `i`.
fn interval_cells(summary: &RunSummary, i: &IntervalSummary) -> Vec<String> {
    let clock = &summary.clock;
    let mut row = vec![i.index.to_string()];
    if summary.spans_days() {
        row.push(clock.day(i.start()).to_string());
        row.push(clock.date(i.start()).unwrap_or_default());
    }
    row.extend([
        clock.time_of_day(i.start()),
        clock.time_of_day(i.end()),
        csv_number(i.start_s),
        csv_number(i.end_s),
    ]);
    row
}

/// One row per queue of a desk with several (in `[[queues]]` order): `queue`, then each
/// per-queue figure's `_mean` and `_ci95`. A chat counts in the queue it was offered to.
pub fn queues_csv(summary: &RunSummary) -> Vec<u8> {
    let mut w = writer();
    w.write_record(metric_header(
        &["queue"],
        summary.queues.first().map(|q| &q.metrics),
    ))
    .expect("in memory");
    for q in &summary.queues {
        let mut row = vec![q.name.clone()];
        metric_cells(&mut row, &q.metrics);
        w.write_record(&row).expect("in memory");
    }
    finish(w)
}

/// One row per queue and interval, queue by queue: `queue`, the interval's columns as in
/// `intervals.csv`, then each queue-interval figure's `_mean` and `_ci95`.
pub fn queue_intervals_csv(summary: &RunSummary) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_queue_intervals_csv(summary, &mut bytes).expect("writing to memory cannot fail");
    bytes
}

/// [`queue_intervals_csv`] written to `out` row by row (from the spool, as
/// [`write_intervals_csv`]).
pub fn write_queue_intervals_csv(summary: &RunSummary, out: &mut dyn io::Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let first = summary.queues.first().and_then(|q| q.intervals.first());
    let header = metric_header(
        &interval_head(summary, &["queue"]),
        first.map(|i| &i.metrics),
    );
    w.write_record(&header)?;
    for (k, q) in summary.queues.iter().enumerate() {
        let mut put = |i: &IntervalSummary| {
            let mut row = vec![q.name.clone()];
            row.extend(interval_cells(summary, i));
            metric_cells(&mut row, &i.metrics);
            w.write_record(&row).map_err(io::Error::from)
        };
        match &summary.interval_rows {
            Some(rows) => rows.for_each(RowPart::Queue(k), |i| put(&i))?,
            None => q.intervals.iter().try_for_each(put)?,
        }
    }
    w.flush()
}

/// One row per agent group: `group`, `agents` (roster size), then each group figure's
/// `_mean` and `_ci95`.
pub fn groups_csv(summary: &RunSummary) -> Vec<u8> {
    let mut w = writer();
    w.write_record(metric_header(
        &["group", "agents"],
        summary.groups.first().map(|g| &g.metrics),
    ))
    .expect("in memory");
    for g in &summary.groups {
        let mut row = vec![g.name.clone(), g.agents.to_string()];
        metric_cells(&mut row, &g.metrics);
        w.write_record(&row).expect("in memory");
    }
    finish(w)
}

/// One row per agent, in roster order: `agent` (roster id), `group`, `max_sessions`,
/// then each agent figure's `_mean` and `_ci95`.
pub fn agents_csv(summary: &RunSummary) -> Vec<u8> {
    let mut w = writer();
    let header = metric_header(
        &["agent", "group", "max_sessions"],
        summary.agents.first().map(|a| &a.metrics),
    );
    w.write_record(&header).expect("in memory");
    for a in &summary.agents {
        let mut row = vec![a.name.clone(), a.group.clone(), a.max_sessions.to_string()];
        metric_cells(&mut row, &a.metrics);
        w.write_record(&row).expect("in memory");
    }
    finish(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metric;
    use crate::report::tests::sample_summary;

    fn read(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
        let mut r = csv::Reader::from_reader(bytes);
        let header = r.headers().unwrap().iter().map(String::from).collect();
        let rows = r
            .records()
            .map(|x| x.unwrap().iter().map(String::from).collect())
            .collect();
        (header, rows)
    }

    #[test]
    fn intervals_csv_shape() {
        let s = sample_summary();
        let (header, rows) = read(&intervals_csv(&s));
        assert_eq!(
            &header[..7],
            [
                "interval",
                "start",
                "end",
                "start_s",
                "end_s",
                &format!("{}_mean", Metric::Offered),
                &format!("{}_ci95", Metric::Offered)
            ]
        );
        assert!(header.contains(&format!("{}_ci95", Metric::ServiceLevel)));
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r.len() == header.len()));
        // The sample scenario's clock reads 00:00 at the epoch: times of day from it.
        assert_eq!(&rows[0][..5], ["0", "00:00:10", "00:00:30", "10", "30"]);
        // Offered in interval 0: 1, 2, 2 over the three replications.
        let col = header
            .iter()
            .position(|h| *h == format!("{}_mean", Metric::Offered))
            .unwrap();
        assert_eq!(rows[0][col].parse::<f64>().unwrap(), 5.0 / 3.0);
    }

    #[test]
    fn groups_and_agents_csv_shape() {
        let s = sample_summary();
        let (header, rows) = read(&groups_csv(&s));
        assert_eq!(
            &header[..4],
            [
                "group",
                "agents",
                &format!("{}_mean", Metric::Connected),
                &format!("{}_ci95", Metric::Connected)
            ]
        );
        assert!(header.contains(&format!("{}_mean", Metric::Occupancy)));
        assert_eq!(
            rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(),
            ["north", "south"]
        );
        let (header, rows) = read(&agents_csv(&s));
        assert_eq!(
            &header[..5],
            [
                "agent",
                "group",
                "max_sessions",
                &format!("{}_mean", Metric::Sessions),
                &format!("{}_ci95", Metric::Sessions)
            ]
        );
        assert_eq!(rows[1][..3], ["A001", "south", "1"]);
        assert!(rows.iter().all(|r| r.len() == header.len()));
    }

    #[test]
    fn undefined_cells_are_empty() {
        let s = sample_summary();
        let (header, rows) = read(&intervals_csv(&s));
        // Interval 2 of the sample has no connected customer in the first replication only;
        // ASA is defined in the others, so its mean is a number.
        let col = header
            .iter()
            .position(|h| *h == format!("{}_mean", Metric::AsaS))
            .unwrap();
        assert!(rows
            .iter()
            .all(|r| r[col].is_empty() || r[col].parse::<f64>().is_ok()));
    }

    #[test]
    fn intervals_show_the_clock_and_days_past_midnight() {
        // The sample's intervals are [10 s, 30 s), [30 s, 50 s), [50 s, 70 s) from the
        // epoch. With the clock at 23:59:30 on 2026-12-31 at the epoch, they read
        // 23:59:40–00:00:00 (day 1), 00:00–00:00:20 and 00:00:20–00:00:40 (day 2,
        // 2027-01-01): the run spans two days, so `day` and `date` appear.
        let mut s = sample_summary();
        s.clock = crate::clock::Clock::new(
            (23 * 3600 + 59 * 60 + 30) * 1000,
            Some(jiff::civil::date(2026, 12, 31)),
        );
        let (header, rows) = read(&intervals_csv(&s));
        assert_eq!(
            &header[..7],
            ["interval", "day", "date", "start", "end", "start_s", "end_s"]
        );
        assert_eq!(
            &rows[0][..7],
            ["0", "1", "2026-12-31", "23:59:40", "00:00", "10", "30"]
        );
        assert_eq!(
            &rows[1][..7],
            ["1", "2", "2027-01-01", "00:00", "00:00:20", "30", "50"]
        );
        assert!(rows.iter().all(|r| r.len() == header.len()));
        assert_eq!(
            interval_label(&s, &s.intervals[0]),
            "2026-12-31 23:59:40–00:00"
        );
        // Without a start date, the day still shows and the date cell is empty.
        s.clock = crate::clock::Clock::new((23 * 3600 + 59 * 60 + 30) * 1000, None);
        let (_, rows) = read(&intervals_csv(&s));
        assert_eq!(&rows[2][..5], ["2", "2", "", "00:00:20", "00:00:40"]);
        assert_eq!(
            interval_label(&s, &s.intervals[2]),
            "day 2 00:00:20–00:00:40"
        );
        // At 08:00 the same intervals are one day: no day or date column.
        s.clock = crate::clock::Clock::new(8 * 3_600_000, None);
        let (header, rows) = read(&intervals_csv(&s));
        assert_eq!(header[1], "start");
        assert_eq!(&rows[0][..3], ["0", "08:00:10", "08:00:30"]);
        assert_eq!(interval_label(&s, &s.intervals[0]), "08:00:10–08:00:30");
    }
}
