//! The desk's clock: how every output shows a simulated time. Simulated time counts from
//! the epoch (the start of warm-up); planners read clock times (`08:00`) and, when a run
//! spans days, dates. One [`Clock`] per scenario (`run.clock_origin`, `run.start_date`)
//! formats every file, table and plot axis, so the same column means the same thing
//! everywhere.

use crate::time::SimTime;
use jiff::civil::Date;

const DAY_MS: u64 = 86_400_000;

/// The clock reading at the epoch and, when known, the calendar date of that reading's day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    /// The clock reading at the epoch, ms after midnight of the first day (may pass 24 h,
    /// which puts the epoch on a later day).
    origin_ms: u64,
    /// The date of the first day (the day whose midnight `origin_ms` counts from).
    start_date: Option<Date>,
}

impl Clock {
    /// A clock reading `origin_ms` (ms after the first day's midnight) at the epoch.
    pub fn new(origin_ms: u64, start_date: Option<Date>) -> Clock {
        Clock {
            origin_ms,
            start_date,
        }
    }

    /// The clock reading at the epoch, in seconds after the first day's midnight.
    pub fn origin_s(&self) -> f64 {
        self.origin_ms as f64 / 1000.0
    }

    /// The clock reading at the epoch, in ms after the first day's midnight.
    pub fn origin_ms(&self) -> u64 {
        self.origin_ms
    }

    /// The date of the first day, when the scenario gives one.
    pub fn start_date(&self) -> Option<Date> {
        self.start_date
    }

    /// Milliseconds from the first day's midnight to `t`.
    fn absolute_ms(&self, t: SimTime) -> u64 {
        self.origin_ms.saturating_add(t.as_millis())
    }

    /// The time of day at `t`: `HH:MM`, `HH:MM:SS` when not on a whole minute, with
    /// `.fff` when not on a whole second. Hours run 00–23; [`Clock::day`] says which day.
    pub fn time_of_day(&self, t: SimTime) -> String {
        let ms = self.absolute_ms(t) % DAY_MS;
        let (secs, frac) = (ms / 1000, ms % 1000);
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        match (s, frac) {
            (0, 0) => format!("{h:02}:{m:02}"),
            (_, 0) => format!("{h:02}:{m:02}:{s:02}"),
            _ => format!("{h:02}:{m:02}:{s:02}.{frac:03}"),
        }
    }

    /// The day of `t`, counting the first day as 1.
    pub fn day(&self, t: SimTime) -> u64 {
        self.absolute_ms(t) / DAY_MS + 1
    }

    /// The calendar date of `t` (`YYYY-MM-DD`), when the scenario gives a start date.
    pub fn date(&self, t: SimTime) -> Option<String> {
        let start = self.start_date?;
        let days = i64::try_from(self.day(t) - 1).ok()?;
        start
            .checked_add(jiff::Span::new().try_days(days).ok()?)
            .ok()
            .map(|d| d.to_string())
    }

    /// Whether times in `[from, to)` fall on more than one day: then every table shows a
    /// day (and a date when known) beside the time of day.
    pub fn spans_days(&self, from: SimTime, to: SimTime) -> bool {
        to > from && self.day(from) != self.day(SimTime::from_millis(to.as_millis() - 1))
    }

    /// Hours from the first day's midnight to `t`: the x coordinate of clock-time plots,
    /// labelled by [`Clock::hour_label`].
    pub fn hours(&self, t: SimTime) -> f64 {
        self.absolute_ms(t) as f64 / 3_600_000.0
    }

    /// The label of an x coordinate of [`Clock::hours`]: `HH:MM`, with `+Nd` past the
    /// first day.
    pub fn hour_label(hours: f64) -> String {
        let minutes = (hours * 60.0).round().max(0.0) as u64;
        let (day, h, m) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
        if day == 0 {
            format!("{h:02}:{m:02}")
        } else {
            format!("{h:02}:{m:02} +{day}d")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: f64) -> SimTime {
        SimTime::from_millis((s * 1000.0) as u64)
    }

    #[test]
    fn readings_from_the_origin() {
        // Origin 07:30: the epoch is 07:30, 30 min later 08:00, 15.5 s later 08:00:15.500.
        let c = Clock::new(27_000_000, None);
        assert_eq!(c.time_of_day(at(0.0)), "07:30");
        assert_eq!(c.time_of_day(at(1800.0)), "08:00");
        assert_eq!(c.time_of_day(at(1815.0)), "08:00:15");
        assert_eq!(c.time_of_day(at(1815.5)), "08:00:15.500");
        assert_eq!(c.origin_s(), 27_000.0);
        // 16.5 h after 07:30 is 00:00 of day 2.
        assert_eq!(c.time_of_day(at(59_400.0)), "00:00");
        assert_eq!(c.day(at(59_399.0)), 1);
        assert_eq!(c.day(at(59_400.0)), 2);
        assert_eq!(c.date(at(59_400.0)), None);
    }

    #[test]
    fn days_and_dates() {
        // 22:00 on 2026-12-31: 2 h later is 00:00 on 2027-01-01.
        let c = Clock::new(79_200_000, Some(jiff::civil::date(2026, 12, 31)));
        assert_eq!(c.date(at(0.0)).as_deref(), Some("2026-12-31"));
        assert_eq!(c.date(at(7200.0)).as_deref(), Some("2027-01-01"));
        // [22:00, 24:00) is one day; [22:00, 24:00 + 1 ms) is two.
        assert!(!c.spans_days(at(0.0), at(7200.0)));
        assert!(c.spans_days(at(0.0), SimTime::from_millis(7_200_001)));
        assert!(!c.spans_days(at(0.0), at(0.0)));
    }

    #[test]
    fn axis_labels() {
        assert_eq!(Clock::hour_label(8.0), "08:00");
        assert_eq!(Clock::hour_label(13.5), "13:30");
        assert_eq!(Clock::hour_label(24.25), "00:15 +1d");
        assert_eq!(Clock::new(27_000_000, None).hours(at(1800.0)), 8.0);
    }
}
