//! Loading forecasts as planners hold them: spreadsheet exports, dates over several
//! days, AHTs; every interval worked out by hand. And each bad forecast's message.

use super::*;
use crate::time::{Millis, SimTime};
use std::fs;

/// A one-hour holding desk from 08:00 reading `f.csv`; `edits` replace text in the TOML.
fn load_with(edits: &[(&str, &str)], csv: &str) -> Result<Scenario, ScenarioError> {
    let mut toml = r#"
[run]
clock_origin = "08:00"
horizon_s = 3600

[arrivals]
kind = "profile"
file = "f.csv"

[sessions]
model = "holding"
holding_time = { dist = "constant", value_s = 100 }

[agents]
count = 2
"#
    .to_owned();
    for (from, to) in edits {
        assert!(toml.contains(from), "{from:?} not in the TOML");
        toml = toml.replacen(from, to, 1);
    }
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("s.toml"), toml).unwrap();
    fs::write(dir.path().join("f.csv"), csv).unwrap();
    load(&dir.path().join("s.toml"))
}

fn intervals(s: &Scenario) -> Vec<(u64, u64, f64, Option<u64>)> {
    let Arrivals::Profile { intervals } = &s.arrivals else {
        panic!("a profile")
    };
    intervals
        .iter()
        .map(|i| {
            (
                i.start.as_millis() / 1000,
                i.end.as_millis() / 1000,
                i.rate_per_hour,
                i.aht.map(Millis::as_millis),
            )
        })
        .collect()
}

fn error(edits: &[(&str, &str)], csv: &str) -> String {
    match load_with(edits, csv) {
        Ok(_) => panic!("expected an error for {csv:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_spreadsheet_export_over_two_days_loads_as_is() {
    // What a German-locale spreadsheet saves: a byte-order mark, CRLF, `;` between cells,
    // decimal commas, DD.MM.YYYY, a header with a unit in it. Two days, 08:00–09:00 in
    // half hours, no rows at night. The run: 08:00 on the 7th (the epoch) to 09:00 on the
    // 8th, 25 h = 90 000 s.
    let csv = "\u{feff}Date;Interval;Volume;AHT (s)\r\n\
               07.12.2026;08:00;30;240\r\n\
               07.12.2026;08:30;45,5;300,5\r\n\
               \r\n\
               08.12.2026;08:00;15;\r\n\
               08.12.2026;08:30;0;360\r\n";
    let s = load_with(&[("horizon_s = 3600", "horizon_s = 90000")], csv).unwrap();
    // No end column: a row lasts to the next start on its day (08:30), the day's last row
    // one step, the shortest gap between two starts of a day (30 min). A volume over
    // 30 min is twice the rate per hour: 30 → 60/h, 45.5 → 91/h, 15 → 30/h.
    // - [0, 1800)          08:00–08:30 on the 7th, AHT 240 s
    // - [1800, 3600)       08:30–09:00, AHT 300.5 s
    // - [3600, 86 400)     09:00 on the 7th to 08:00 on the 8th: no rows, closed
    // - [86 400, 88 200)   08:00–08:30 on the 8th (day 2 = +86 400 s), no AHT (empty cell)
    // - [88 200, 90 000)   08:30–09:00, rate 0, AHT 360 s
    assert_eq!(
        intervals(&s),
        [
            (0, 1800, 60.0, Some(240_000)),
            (1800, 3600, 91.0, Some(300_500)),
            (3600, 86_400, 0.0, None),
            (86_400, 88_200, 30.0, None),
            (88_200, 90_000, 0.0, Some(360_000)),
        ]
    );
    // The first date is the clock's first day.
    assert_eq!(
        s.run.clock.start_date(),
        Some(jiff::civil::date(2026, 12, 7))
    );
    assert_eq!(
        s.run.clock.date(SimTime::from_secs(86_400)).as_deref(),
        Some("2026-12-08")
    );
    // The same forecast as ISO dates with commas, or with run.start_date the same day,
    // is the same scenario.
    let iso = "date,start,volume,aht_s\n\
               2026-12-07,08:00,30,240\n2026-12-07,08:30,45.5,300.5\n\
               2026-12-08,08:00,15,\n2026-12-08,08:30,0,360\n";
    let edits = [(
        "horizon_s = 3600",
        "horizon_s = 90000\nstart_date = \"2026-12-07\"",
    )];
    assert_eq!(load_with(&edits, iso).unwrap(), s);
}

#[test]
fn a_dated_row_ending_at_midnight_ends_the_next_day() {
    // A 24/7 desk with an end column, from 23:00 on the 7th: the row 23:30–00:00 ends at
    // the next midnight, and the 8th's 00:00 row follows it without a gap.
    let csv = "Date,Start,End,Rate per hour,AHT\n\
               2026-12-07,23:00,23:30,60,05:00\n\
               2026-12-07,23:30,00:00,120,0:06:00\n\
               2026-12-08,00:00,00:30,30,5m30s\n";
    let s = load_with(
        &[
            ("clock_origin = \"08:00\"", "clock_origin = \"23:00\""),
            ("horizon_s = 3600", "horizon_s = 5400"),
        ],
        csv,
    )
    .unwrap();
    // AHT 05:00 = 300 s, 0:06:00 = 360 s, 5m30s = 330 s.
    assert_eq!(
        intervals(&s),
        [
            (0, 1800, 60.0, Some(300_000)),
            (1800, 3600, 120.0, Some(360_000)),
            (3600, 5400, 30.0, Some(330_000)),
        ]
    );
}

#[test]
fn twelve_hour_times_ranges_and_column_aliases() {
    // `Interval` as a range in 12-hour times, `Offered` for the volume, AHT in minutes.
    let csv = "Interval,Offered,AHT (min)\n\
               8:00 AM - 8:30 AM,10,4\n\
               8:30 AM - 9:00 AM,20,5.5\n";
    let s = load_with(&[], csv).unwrap();
    assert_eq!(
        intervals(&s),
        [
            (0, 1800, 20.0, Some(240_000)),
            (1800, 3600, 40.0, Some(330_000)),
        ]
    );
    assert_eq!(s.run.clock.start_date(), None);
}

#[test]
fn bad_forecasts_name_the_line_column_value_and_fix() {
    let two_days = ("horizon_s = 3600", "horizon_s = 90000");
    // (what, TOML edits, the forecast, what the message must say)
    type BadCase<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str, &'a [&'a str]);
    let cases: &[BadCase] = &[
        (
            "ambiguous date",
            &[],
            "date,start,end,volume\n07/12/2026,08:00,09:00,10\n",
            &["f.csv line 2", "column `date`", "\"07/12/2026\"", "does not guess", "YYYY-MM-DD"],
        ),
        (
            "AHT with the turn model",
            &[
                ("model = \"holding\"\nholding_time = { dist = \"constant\", value_s = 100 }", "model = \"turns\""),
                ("count = 2", "count = 2\n[customers]\nmessages = { dist = \"constant\", value = 2 }\nthink_time = { dist = \"constant\", value_s = 5 }\n[agents.behaviour]\nreply_time = { dist = \"constant\", value_s = 5 }"),
            ],
            "start,end,volume,aht_s\n08:00,09:00,10,300\n",
            &["f.csv line 2", "column `aht`", "300 s", "turn model", "chatsim fit"],
        ),
        (
            "AHT as a fraction of a day",
            &[],
            "start,end,volume,aht\n08:00,09:00,10,0.0035\n",
            &["f.csv line 2", "column `aht`", "0.0035", "at least 1 s", "fraction of a day"],
        ),
        (
            "AHT in milliseconds",
            &[],
            "start,end,volume,aht_s\n08:00,09:00,10,300000000\n",
            &["f.csv line 2", "column `aht`", "300000000", "limit", "not milliseconds"],
        ),
        (
            "bad AHT text",
            &[],
            "start,end,volume,AHT\n08:00,09:00,10,5 min\n",
            &["f.csv line 2", "column `AHT`", "\"5 min\"", "mm:ss"],
        ),
        (
            "unknown column",
            &[],
            "start,end,volumen\n08:00,09:00,10\n",
            &["f.csv line 1", "unknown column \"volumen\"", "did you mean `volume`?"],
        ),
        (
            "two volume columns",
            &[],
            "start,end,volume,Offered\n08:00,09:00,10,10\n",
            &["f.csv line 1", "\"volume\" and \"Offered\"", "keep one"],
        ),
        (
            "thousands separator",
            &[],
            "start;end;volume\n08:00;09:00;1.234,5\n",
            &["f.csv line 2", "column `volume`", "\"1.234,5\"", "thousands separator"],
        ),
        (
            "forecast date against run.start_date",
            &[("horizon_s = 3600", "horizon_s = 3600\nstart_date = \"2026-12-06\"")],
            "date,start,end,volume\n2026-12-07,08:00,09:00,10\n",
            &["f.csv line 2", "column `date`", "2026-12-07", "2026-12-06", "leave run.start_date out"],
        ),
        (
            "dates out of order",
            &[two_days],
            "date,start,volume\n2026-12-08,08:00,10\n2026-12-07,08:00,10\n",
            &["f.csv line 3", "column `date`", "2026-12-07 is before", "sort the rows"],
        ),
        (
            "no end and no step",
            &[two_days],
            "date,start,volume\n2026-12-07,08:00,10\n2026-12-08,08:00,10\n",
            &["f.csv line 2", "column `end`", "no end", "add an end column"],
        ),
        (
            "a time past the day on a dated row",
            &[],
            "date,start,volume\n2026-12-07,08:00,10\n2026-12-07,25:00,10\n",
            &["f.csv line 3", "column `start`", "not a time of day", "00:00 to 23:59"],
        ),
        (
            "rows repeated without an end",
            &[],
            "start,volume\n08:00,10\n08:00,10\n09:00,5\n",
            &["f.csv line 3", "column `start`", "not after the previous row's start", "one row per interval"],
        ),
        (
            "a gap within one day",
            &[],
            "date,start,end,volume\n2026-12-07,08:00,08:30,10\n2026-12-07,08:40,09:00,10\n",
            &["f.csv line 3", "gap from 08:30:00 to 08:40:00", "use rate 0 for closed hours"],
        ),
        (
            "a holding time of mean 0 to scale",
            &[("value_s = 100", "value_s = 0")],
            "start,end,volume,aht_s\n08:00,09:00,10,300\n",
            &["field `sessions.holding_time`", "mean of 0", "mean > 0"],
        ),
        (
            "a 12-hour time past 12",
            &[],
            "start,end,volume\n8:00 AM,13:00 PM,10\n",
            &["f.csv line 2", "column `end`", "\"13:00 PM\"", "12-hour"],
        ),
    ];
    for (what, edits, csv, wants) in cases {
        let e = error(edits, csv);
        for want in *wants {
            assert!(e.contains(want), "{what}: {want:?} not in:\n{e}");
        }
    }
}
