//! `intervals.csv`, `groups.csv`, `agents.csv`: one row per interval, group or agent;
//! for every figure a column with its mean over replications and one with the half-width
//! of its 95 % confidence interval (`<metric>_ci95`).

use crate::metrics::{MetricSet, RunSummary};
use crate::report::csv_number;
use crate::time::SimTime;

fn writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(Vec::new())
}

fn finish(w: csv::Writer<Vec<u8>>) -> Vec<u8> {
    w.into_inner().expect("writing to memory cannot fail")
}

fn metric_header(head: &[&str], metrics: Option<&MetricSet>) -> Vec<String> {
    let mut cols: Vec<String> = head.iter().map(|s| s.to_string()).collect();
    for name in metrics.into_iter().flat_map(|m| m.names()) {
        cols.push(name.to_string());
        cols.push(format!("{name}_ci95"));
    }
    cols
}

fn metric_cells(row: &mut Vec<String>, metrics: &MetricSet) {
    for (_, s) in metrics.iter() {
        row.push(csv_number(s.mean));
        row.push(csv_number(s.ci95_half_width));
    }
}

fn clock(secs: f64) -> String {
    let t = SimTime::from_millis((secs * 1000.0).round() as u64);
    let s = t.as_millis() / 1000;
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// One row per reporting interval: `interval`, `start`/`end` as hh:mm:ss from the epoch,
/// `start_s`/`end_s`, then each interval figure and its `_ci95`.
pub fn intervals_csv(summary: &RunSummary) -> Vec<u8> {
    let mut w = writer();
    let header = metric_header(
        &["interval", "start", "end", "start_s", "end_s"],
        summary.intervals.first().map(|i| &i.metrics),
    );
    w.write_record(&header).expect("in memory");
    for i in &summary.intervals {
        let mut row = vec![
            i.index.to_string(),
            clock(i.start_s),
            clock(i.end_s),
            csv_number(i.start_s),
            csv_number(i.end_s),
        ];
        metric_cells(&mut row, &i.metrics);
        w.write_record(&row).expect("in memory");
    }
    finish(w)
}

/// One row per agent group: `group`, `agents` (roster size), then each group figure
/// and its `_ci95`.
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
/// then each agent figure and its `_ci95`.
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
                Metric::Offered.name(),
                &format!("{}_ci95", Metric::Offered)
            ]
        );
        assert!(header.contains(&format!("{}_ci95", Metric::ServiceLevel)));
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r.len() == header.len()));
        assert_eq!(&rows[0][..5], ["0", "00:00:10", "00:00:30", "10", "30"]);
        // Offered in interval 0: 1, 2, 2 over the three replications.
        let col = header
            .iter()
            .position(|h| h == Metric::Offered.name())
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
                Metric::Connected.name(),
                &format!("{}_ci95", Metric::Connected)
            ]
        );
        assert!(header.contains(&Metric::Occupancy.to_string()));
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
                Metric::Sessions.name(),
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
            .position(|h| h == Metric::AsaS.name())
            .unwrap();
        assert!(rows
            .iter()
            .all(|r| r[col].is_empty() || r[col].parse::<f64>().is_ok()));
    }
}
