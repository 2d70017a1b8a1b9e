//! The intraday profile CSV, read as planners hold it: a forecast exported from a
//! spreadsheet or a workforce-management tool, per interval the volume (or a rate), the
//! average handle time (AHT) and, over several days, the date.
//!
//! What a spreadsheet writes is read as is: a byte-order mark, CRLF line ends, header
//! names in any case with spaces or units (`Interval Start`, `AHT (s)`), `;` or tab as the
//! separator with decimal commas (`12,5`), 12-hour times (`8:00 AM`), dates as
//! `2026-12-07`, `2026/12/07` or `07.12.2026`. What cannot be read without guessing is
//! refused with the fix: a `07/12/2026` date (day or month first?), thousands separators,
//! a column chatsim does not know. The times and numbers are checked by the loader, which
//! names the line and column of a bad one.

use super::csv_files::{line_err, read_text};
use super::raw::TimeValue;
use super::ScenarioError;
use jiff::civil::Date;
use std::path::Path;

/// One row of a forecast, as written: the loader turns it into an interval.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct ForecastRow {
    /// The row's date (every row has one when the file has a `date` column, or gives a
    /// date with its start time).
    pub date: Option<Date>,
    /// The interval's start: a time of day on `date`, or a clock reading without dates.
    pub start: TimeValue,
    /// The interval's end, with its own date when the cell gave one; `None` when the file
    /// gives no end (the interval then ends at the next row's start, or one step later).
    pub end: Option<(Option<Date>, TimeValue)>,
    pub rate_per_hour: Option<f64>,
    pub volume: Option<f64>,
    /// The interval's average handle time in seconds, when the forecast gives one.
    pub aht_s: Option<f64>,
}

/// What a column of a forecast holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    Date,
    Start,
    End,
    Rate,
    Volume,
    /// AHT in seconds, a plain number.
    AhtSeconds,
    /// AHT in minutes, a plain number.
    AhtMinutes,
    /// AHT as seconds, `mm:ss`, `h:mm:ss` or a length with units (`5m30s`).
    Aht,
}

/// The header names chatsim reads (after [`normalize`]), and what each holds.
const NAMES: &[(&str, Col)] = &[
    ("date", Col::Date),
    ("start", Col::Start),
    ("interval", Col::Start),
    ("interval_start", Col::Start),
    ("start_time", Col::Start),
    ("time", Col::Start),
    ("end", Col::End),
    ("interval_end", Col::End),
    ("end_time", Col::End),
    ("rate_per_hour", Col::Rate),
    ("volume", Col::Volume),
    ("offered", Col::Volume), // not a metric: a forecast's column of chats offered
    ("contacts", Col::Volume),
    ("chats", Col::Volume),
    ("aht_s", Col::AhtSeconds),
    ("aht_sec", Col::AhtSeconds),
    ("aht_secs", Col::AhtSeconds),
    ("aht_seconds", Col::AhtSeconds),
    ("aht_min", Col::AhtMinutes),
    ("aht_mins", Col::AhtMinutes),
    ("aht_minutes", Col::AhtMinutes),
    ("aht", Col::Aht),
];

/// The columns, for messages.
pub(super) const COLUMNS_HELP: &str = "start,end,rate_per_hour or start,end,volume (end \
     optional; start also as interval, volume as contacts, chats or offered), optionally \
     aht_s (or aht) and date";

/// A header name as chatsim compares it: lower case, every run of other characters than
/// letters and digits one `_`, none at either end (`AHT (s)` → `aht_s`).
fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// The separator of a file: `;` or tab when the header line holds one (what spreadsheets
/// write where the comma is the decimal mark), else the comma.
fn separator(header_line: &str) -> char {
    if header_line.contains(';') {
        ';'
    } else if header_line.contains('\t') {
        '\t'
    } else {
        ','
    }
}

/// Reads a forecast: a header naming its columns ([`NAMES`], any case, in any order),
/// then one interval per row.
pub(super) fn read_forecast(path: &Path) -> Result<Vec<(u64, ForecastRow)>, ScenarioError> {
    let text = read_text(path)?;
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            (
                i as u64 + 1,
                l.trim_matches(|c: char| c == ' ' || c == '\r'),
            )
        })
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((hline, header_text)) = lines.next() else {
        return Err(line_err(
            path,
            1,
            "the profile is empty",
            "write a header start,end,rate_per_hour (or start,volume,aht_s …) and one row per interval",
        ));
    };
    let sep = separator(header_text);
    let split = |line: u64, text: &str| -> Result<Vec<String>, ScenarioError> {
        crate::csv_line::split_with(text, sep)
            .map(|cells| cells.into_iter().map(|c| c.into_owned()).collect())
            .map_err(|p| line_err(path, line, p, "close every quoted cell on its own line"))
    };
    let header = split(hline, header_text)?;
    let columns = header_columns(path, hline, &header)?;
    let at = |c: Col| columns.iter().position(|k| *k == Some(c));
    let aht_col = [Col::AhtSeconds, Col::AhtMinutes, Col::Aht]
        .into_iter()
        .find_map(|c| at(c).map(|i| (i, c)));
    let (date, start, end) = (at(Col::Date), at(Col::Start), at(Col::End));
    let (rate, volume) = (at(Col::Rate), at(Col::Volume));
    let Some(start) = start else {
        return Err(line_err(
            path,
            hline,
            format!(
                "header \"{}\" has no start column",
                header.join(&sep.to_string())
            ),
            format!("name the interval's start time `start` (or `interval`); the columns are {COLUMNS_HELP}"),
        ));
    };
    let value = match (rate, volume) {
        (Some(i), None) => (i, Col::Rate),
        (None, Some(i)) => (i, Col::Volume),
        _ => {
            return Err(line_err(
                path,
                hline,
                format!(
                    "header \"{}\" needs exactly one of rate_per_hour and volume",
                    header.join(&sep.to_string())
                ),
                "give the chats in each interval (`volume`, or `offered`, `contacts`, \
                 `chats`) or the chats per hour (`rate_per_hour`), not both",
            ))
        }
    };
    let mut out = Vec::new();
    for (line, text) in lines {
        let row = split(line, text)?;
        if row.iter().all(String::is_empty) {
            continue; // `;;;`: a blank row of a spreadsheet
        }
        if row.len() != header.len() {
            return Err(line_err(
                path,
                line,
                format!(
                    "{} fields, expected {} ({})",
                    row.len(),
                    header.len(),
                    header.join(&sep.to_string())
                ),
                "give one value per column (leave optional ones empty, keep the separators)",
            ));
        }
        for (i, c) in columns.iter().enumerate() {
            if c.is_none() && !row[i].is_empty() {
                return Err(line_err(
                    path,
                    line,
                    format!("a value, \"{}\", under a column with no name", row[i]),
                    format!("name the column ({COLUMNS_HELP}) or delete it"),
                ));
            }
        }
        let cell = |i: usize| row[i].as_str();
        let bad = |col: &str, problem: String, fix: &str| {
            line_err(path, line, format!("column `{col}`: {problem}"), fix)
        };
        let mut row_date = match date {
            None => None,
            Some(i) if cell(i).is_empty() => {
                return Err(bad(
                    &header[i],
                    "the date is empty".into(),
                    "give every row its date, YYYY-MM-DD",
                ))
            }
            Some(i) => Some(parse_date_cell(cell(i)).map_err(|p| bad(&header[i], p, DATE_FIX))?),
        };
        // The start: a time, a date and a time, or a range `08:00-08:15`.
        let (start_date, start_text, range_end) =
            split_stamp(cell(start)).map_err(|p| bad(&header[start], p, DATE_FIX))?;
        if let Some(d) = start_date {
            match row_date {
                Some(rd) if rd != d => {
                    return Err(bad(
                        &header[start],
                        format!("the date {d} differs from the row's date {rd}"),
                        "give the date once, in the date column",
                    ))
                }
                _ => row_date = Some(d),
            }
        }
        if date.is_none() && !out.is_empty() && start_date.is_some() != dated(&out) {
            return Err(bad(
                &header[start],
                format!(
                    "\"{}\" has {} date, unlike the rows above",
                    cell(start),
                    if start_date.is_some() { "a" } else { "no" }
                ),
                "give every row a date, or none",
            ));
        }
        let end_cell = match (end, range_end) {
            (Some(_), Some(_)) => {
                return Err(bad(
                    &header[start],
                    format!(
                        "\"{}\" is a range, and the file has an end column too",
                        cell(start)
                    ),
                    "give the end in one place",
                ))
            }
            (Some(i), None) => {
                let (d, t, range) =
                    split_stamp(cell(i)).map_err(|p| bad(&header[i], p, DATE_FIX))?;
                if range.is_some() {
                    return Err(bad(
                        &header[i],
                        format!("\"{}\" is a range", cell(i)),
                        "give the end time alone",
                    ));
                }
                Some((d, TimeValue::Text(t)))
            }
            (None, Some(e)) => Some((None, TimeValue::Text(e))),
            (None, None) => None,
        };
        let (vi, vcol) = value;
        let number = parse_number(cell(vi), sep).map_err(|p| {
            bad(
                &header[vi],
                p,
                if vcol == Col::Rate {
                    "give chats per hour ≥ 0"
                } else {
                    "give the chats in the interval, ≥ 0"
                },
            )
        })?;
        let aht_s = match aht_col {
            Some((i, _)) if cell(i).is_empty() => None,
            Some((i, kind)) => {
                Some(parse_aht(cell(i), kind, sep).map_err(|p| bad(&header[i], p, AHT_FIX))?)
            }
            None => None,
        };
        out.push((
            line,
            ForecastRow {
                date: row_date,
                start: TimeValue::Text(start_text),
                end: end_cell,
                rate_per_hour: (vcol == Col::Rate).then_some(number),
                volume: (vcol == Col::Volume).then_some(number),
                aht_s,
            },
        ));
    }
    if out.is_empty() {
        return Err(line_err(
            path,
            hline,
            "the profile has a header but no intervals",
            "add one row per interval",
        ));
    }
    Ok(out)
}

fn dated(rows: &[(u64, ForecastRow)]) -> bool {
    rows.first().is_some_and(|(_, r)| r.date.is_some())
}

const DATE_FIX: &str = "write dates as YYYY-MM-DD (2026-12-07; 2026/12/07 and 07.12.2026 are \
     read too), times as HH:MM (format the spreadsheet's columns so before saving)";

const AHT_FIX: &str = "give the average handle time in seconds (300), as mm:ss (05:00) or with a \
     unit (5m, 300s); a column named aht_s holds seconds, aht_min minutes";

/// What each header cell names; `None` for an empty name (a spreadsheet's trailing
/// separator), whose cells must then be empty.
fn header_columns(
    path: &Path,
    line: u64,
    header: &[String],
) -> Result<Vec<Option<Col>>, ScenarioError> {
    let mut out: Vec<Option<Col>> = Vec::with_capacity(header.len());
    for name in header {
        let norm = normalize(name);
        if norm.is_empty() {
            out.push(None);
            continue;
        }
        let Some(&(_, col)) = NAMES.iter().find(|(n, _)| *n == norm) else {
            let names: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
            let hint = crate::suggest::closest(&norm, &names)
                .map(|n| format!("did you mean `{n}`? "))
                .unwrap_or_default();
            return Err(line_err(
                path,
                line,
                format!("unknown column \"{name}\" in the header"),
                format!("{hint}the columns are {COLUMNS_HELP}; delete any other column"),
            ));
        };
        let same = |c: Col| c == col || (is_aht(c) && is_aht(col));
        if let Some(j) = out.iter().position(|c| c.is_some_and(same)) {
            return Err(line_err(
                path,
                line,
                format!(
                    "columns \"{}\" and \"{name}\" give the same thing",
                    header[j]
                ),
                "keep one",
            ));
        }
        out.push(Some(col));
    }
    Ok(out)
}

fn is_aht(c: Col) -> bool {
    matches!(c, Col::AhtSeconds | Col::AhtMinutes | Col::Aht)
}

/// A date cell: a date, optionally with a midnight time (`2026-12-07 00:00:00`, as a
/// spreadsheet exports a date cell).
fn parse_date_cell(s: &str) -> Result<Date, String> {
    match s.split_once([' ', 'T']) {
        Some((d, t)) if matches!(t.trim(), "00:00" | "00:00:00" | "0:00" | "0:00:00") => {
            parse_date(d)
        }
        Some(_) => Err(format!(
            "\"{s}\" is not a date (a time other than midnight follows it)"
        )),
        None => parse_date(s),
    }
}

/// A date: `YYYY-MM-DD`, `YYYY/MM/DD` or `DD.MM.YYYY`. `DD/MM/YYYY` and `MM/DD/YYYY`
/// cannot be told apart and are refused.
pub(super) fn parse_date(s: &str) -> Result<Date, String> {
    let s = s.trim();
    let parts: Vec<&str> = s.split(['-', '/', '.']).collect();
    let num = |p: &str| {
        if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
            p.parse::<i64>().ok()
        } else {
            None
        }
    };
    let ymd = match (parts.as_slice(), s.contains('/'), s.contains('.')) {
        ([y, m, d], _, false) if y.len() == 4 => (num(y), num(m), num(d)),
        ([d, m, y], false, true) if y.len() == 4 => (num(y), num(m), num(d)),
        ([_, _, y], true, false) if y.len() == 4 => {
            return Err(format!(
                "\"{s}\" could be day/month or month/day: chatsim does not guess"
            ))
        }
        _ => (None, None, None),
    };
    let not_a_date = || format!("\"{s}\" is not a date");
    match ymd {
        (Some(y), Some(m), Some(d)) => {
            let (y, m, d) = (
                i16::try_from(y).map_err(|_| not_a_date())?,
                i8::try_from(m).map_err(|_| not_a_date())?,
                i8::try_from(d).map_err(|_| not_a_date())?,
            );
            Date::new(y, m, d).map_err(|_| format!("\"{s}\" is not a day of the calendar"))
        }
        _ => Err(not_a_date()),
    }
}

/// Splits a start or end cell into its date (when it starts with one), its time, and the
/// end of a range (`08:00-08:15`, `8:00 AM – 8:15 AM`).
fn split_stamp(s: &str) -> Result<(Option<Date>, String, Option<String>), String> {
    let s = s.trim();
    let starts_with_date = s.len() >= 8
        && s.as_bytes()[..2].iter().all(u8::is_ascii_digit)
        && s.split([' ', 'T'])
            .next()
            .is_some_and(|d| d.matches(['-', '/', '.']).count() == 2 && !d.contains(':'));
    let (date, time) = if starts_with_date {
        match s.split_once([' ', 'T']) {
            Some((d, t)) => (Some(parse_date(d)?), t.trim()),
            None => return Err(format!("\"{s}\" is a date without a time")),
        }
    } else {
        (None, s)
    };
    match time.split_once(['-', '–']) {
        Some((a, b)) if date.is_none() => {
            Ok((None, a.trim().to_owned(), Some(b.trim().to_owned())))
        }
        Some(_) => Err(format!(
            "\"{s}\" is a range with a date: give the start and the end in two columns"
        )),
        None => Ok((date, time.to_owned(), None)),
    }
    .and_then(|(d, t, e)| {
        for cell in std::iter::once(&t).chain(&e) {
            if cell.parse::<f64>().is_ok_and(|x| x > 0.0 && x < 1.0) {
                return Err(format!(
                    "\"{cell}\" is a time of day saved as a fraction of a day"
                ));
            }
        }
        Ok((d, t, e))
    })
}

/// A number as a spreadsheet writes it: a decimal point, or with `;` or tab as the
/// separator a decimal comma. A thousands separator is refused (is `1.234` a thousand or
/// one?).
pub(super) fn parse_number(s: &str, sep: char) -> Result<f64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("the value is empty".into());
    }
    let decimal_comma = sep != ',';
    let text = if decimal_comma && t.contains(',') {
        if t.contains('.') || t.matches(',').count() > 1 {
            let plain = match t.rsplit_once(',') {
                Some((whole, frac)) if t.contains('.') => {
                    format!("{},{frac}", whole.replace('.', ""))
                }
                _ => t.replace(',', ""),
            };
            return Err(format!("\"{t}\" has a thousands separator (write {plain})"));
        }
        t.replace(',', ".")
    } else {
        t.to_owned()
    };
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("\"{t}\" is not a number")),
    }
}

/// An AHT in seconds, by its column's kind.
fn parse_aht(s: &str, kind: Col, sep: char) -> Result<f64, String> {
    let t = s.trim();
    match kind {
        Col::AhtMinutes => parse_number(t, sep).map(|m| m * 60.0),
        Col::AhtSeconds => parse_number(t, sep),
        _ if t.contains(':') => {
            // mm:ss or h:mm:ss: a duration, not a time of day.
            let parts: Vec<&str> = t.split(':').collect();
            let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
            let bad = || format!("\"{t}\" is not mm:ss or h:mm:ss");
            let (h, m, sec) = match parts.as_slice() {
                [m, s] => ("0", *m, *s),
                [h, m, s] => (*h, *m, *s),
                _ => return Err(bad()),
            };
            let (whole, frac) = sec.split_once(['.', ',']).unwrap_or((sec, "0"));
            if !(digits(h) && digits(m) && whole.len() == 2 && digits(whole) && digits(frac))
                || (parts.len() == 3 && m.len() != 2)
            {
                return Err(bad());
            }
            let (h, m): (f64, f64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
            let sec: f64 = format!("{whole}.{frac}").parse().map_err(|_| bad())?;
            if sec >= 60.0 || (parts.len() == 3 && m >= 60.0) {
                return Err(bad());
            }
            Ok(h * 3600.0 + m * 60.0 + sec)
        }
        _ if t.ends_with(['h', 'm', 's']) => super::clock::parse_length(t),
        _ => parse_number(t, sep),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_as_spreadsheets_write_them() {
        assert_eq!(normalize(" AHT (s) "), "aht_s");
        assert_eq!(normalize("Interval Start"), "interval_start");
        assert_eq!(normalize("Rate-per-Hour"), "rate_per_hour");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn dates() {
        let d = jiff::civil::date(2026, 12, 7);
        assert_eq!(parse_date("2026-12-07"), Ok(d));
        assert_eq!(parse_date("2026/12/07"), Ok(d));
        assert_eq!(parse_date("07.12.2026"), Ok(d));
        assert_eq!(parse_date_cell("2026-12-07 00:00:00"), Ok(d));
        assert!(parse_date("07/12/2026")
            .unwrap_err()
            .contains("does not guess"));
        for bad in [
            "2026-02-30",
            "45999",
            "2026-12",
            "7.12.26",
            "2026-12-07 08:00",
            "",
        ] {
            assert!(parse_date_cell(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stamps_and_ranges() {
        let d = jiff::civil::date(2026, 12, 7);
        assert_eq!(split_stamp("08:00"), Ok((None, "08:00".into(), None)));
        assert_eq!(
            split_stamp("2026-12-07 08:15:00"),
            Ok((Some(d), "08:15:00".into(), None))
        );
        assert_eq!(
            split_stamp("2026-12-07T08:15"),
            Ok((Some(d), "08:15".into(), None))
        );
        assert_eq!(
            split_stamp("8:00 AM - 8:15 AM"),
            Ok((None, "8:00 AM".into(), Some("8:15 AM".into())))
        );
        assert!(split_stamp("2026-12-07").is_err());
        // A spreadsheet time left as a fraction of a day (08:00 = 0.333…) is refused;
        // whole seconds are a time.
        assert!(split_stamp("0.3333333")
            .unwrap_err()
            .contains("fraction of a day"));
        assert_eq!(split_stamp("28800"), Ok((None, "28800".into(), None)));
    }

    #[test]
    fn numbers_with_decimal_commas() {
        assert_eq!(parse_number("12,5", ';'), Ok(12.5));
        assert_eq!(parse_number("12.5", ';'), Ok(12.5));
        assert_eq!(parse_number("12.5", ','), Ok(12.5));
        assert!(parse_number("1.234,5", ';')
            .unwrap_err()
            .contains("(write 1234,5)"));
        assert!(parse_number("1 234", ';').is_err());
        assert!(parse_number("inf", ',').is_err());
    }

    #[test]
    fn aht_forms() {
        assert_eq!(parse_aht("300", Col::Aht, ','), Ok(300.0));
        assert_eq!(parse_aht("05:30", Col::Aht, ','), Ok(330.0));
        assert_eq!(parse_aht("0:05:30", Col::Aht, ','), Ok(330.0));
        assert_eq!(parse_aht("5m30s", Col::Aht, ','), Ok(330.0));
        assert_eq!(parse_aht("5,5", Col::AhtMinutes, ';'), Ok(330.0));
        assert_eq!(parse_aht("330,5", Col::AhtSeconds, ';'), Ok(330.5));
        for bad in ["5:3", "05:60", "1:5:00", "x", "5x"] {
            assert!(parse_aht(bad, Col::Aht, ',').is_err(), "{bad}");
        }
    }
}
