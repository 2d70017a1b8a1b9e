//! Text forms of times and durations in scenario files: clock readings
//! (`"08:30"`, `"08:30:15.5"`, `"30600"`), lengths with a unit (`"30m"`, `"1h30m"`,
//! `"900s"`), and break lists (`"12:00+30m;15:00+15m"`). Errors are plain sentences;
//! the loader adds the file and the field or line.

/// A clock reading in seconds: `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff` (hours may exceed
/// 23), or plain seconds (`"30600"`, `"30600.5"`). A 12-hour time with `AM` or `PM`
/// (`"8:00 AM"`, `"12:30pm"`), as spreadsheets export it, is read too.
pub(super) fn parse_clock(text: &str) -> Result<f64, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("the time is empty".into());
    }
    if let Some((time, pm)) = twelve_hour(s) {
        let secs = parse_clock(time)?;
        let hour = (secs / 3600.0).floor();
        if !(1.0..=12.0).contains(&hour) || !time.contains(':') {
            return Err(format!(
                "\"{s}\" is not a 12-hour time (hours 1..12 before AM or PM)"
            ));
        }
        // 12:xx AM is just after midnight, 12:xx PM just after noon.
        let base = secs - if hour == 12.0 { 12.0 * 3600.0 } else { 0.0 };
        return Ok(base + if pm { 12.0 * 3600.0 } else { 0.0 });
    }
    if !s.contains(':') {
        return parse_non_negative(s).map_err(|_| format!("\"{s}\" is not a time"));
    }
    let bad = || format!("\"{s}\" is not a clock time");
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return Err(bad());
    }
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(parts[0]) || parts[1].len() != 2 || !digits(parts[1]) {
        return Err(bad());
    }
    let hours: f64 = parts[0].parse().map_err(|_| bad())?;
    let minutes: f64 = parts[1].parse().map_err(|_| bad())?;
    if minutes >= 60.0 {
        return Err(format!("\"{s}\" has {minutes} minutes; minutes run 00..59"));
    }
    let mut seconds = 0.0;
    if let Some(sec) = parts.get(2) {
        let (whole, frac) = match sec.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (*sec, None),
        };
        if whole.len() != 2 || !digits(whole) || frac.is_some_and(|f| !digits(f)) {
            return Err(bad());
        }
        seconds = sec.parse().map_err(|_| bad())?;
        if seconds >= 60.0 {
            return Err(format!("\"{s}\" has {seconds} seconds; seconds run 00..59"));
        }
    }
    Ok(hours * 3600.0 + minutes * 60.0 + seconds)
}

/// The time before an `AM`/`PM` suffix (any case, space optional) and whether it is PM.
fn twelve_hour(s: &str) -> Option<(&str, bool)> {
    let n = s.len();
    if n < 3 || !s.is_char_boundary(n - 2) {
        return None;
    }
    let (time, suffix) = s.split_at(n - 2);
    let pm = match suffix.to_ascii_lowercase().as_str() {
        "am" => false,
        "pm" => true,
        _ => return None,
    };
    Some((time.trim_end(), pm))
}

fn parse_non_negative(s: &str) -> Result<f64, ()> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(()),
    }
}

/// A length with units: one or more `<number><unit>` with unit `h`, `m` or `s`
/// (`"30m"`, `"1h30m"`, `"900s"`, `"0.25h"`).
pub(super) fn parse_length(text: &str) -> Result<f64, String> {
    let s = text.trim();
    let bad = || format!("\"{s}\" is not a length with a unit");
    if s.is_empty() {
        return Err(bad());
    }
    let mut total = 0.0;
    let mut rest = s;
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if end == 0 {
            return Err(bad());
        }
        let number = parse_non_negative(&rest[..end]).map_err(|_| bad())?;
        let unit = rest[end..].chars().next().ok_or_else(bad)?;
        let factor = match unit {
            'h' => 3600.0,
            'm' => 60.0,
            's' => 1.0,
            _ => return Err(bad()),
        };
        total += number * factor;
        rest = &rest[end + 1..];
    }
    Ok(total)
}

/// A break list: `START+LENGTH` items separated by `;`, e.g. `"12:00+30m;15:00+15m"`.
/// Returns (start reading, length) pairs in seconds, in the order written.
pub(super) fn parse_breaks(text: &str) -> Result<Vec<(f64, f64)>, String> {
    let mut out = Vec::new();
    for item in text.split(';').map(str::trim).filter(|i| !i.is_empty()) {
        let (start, length) = item
            .split_once('+')
            .ok_or_else(|| format!("break \"{item}\" has no `+` between start and length"))?;
        let start = parse_clock(start).map_err(|e| format!("break \"{item}\": {e}"))?;
        let length = parse_length(length).map_err(|e| format!("break \"{item}\": {e}"))?;
        out.push((start, length));
    }
    Ok(out)
}

/// A clock reading in seconds as `HH:MM:SS` (with `.fff` when not whole seconds), for
/// messages.
pub(super) fn fmt_clock(reading_s: f64) -> String {
    if !reading_s.is_finite() {
        return format!("{reading_s}");
    }
    let sign = if reading_s < 0.0 { "-" } else { "" };
    let ms = (reading_s.abs() * 1000.0).round() as u64;
    let s = ms / 1000;
    let frac = ms % 1000;
    let base = format!("{sign}{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
    if frac == 0 {
        base
    } else {
        format!("{base}.{frac:03}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_readings() {
        assert_eq!(parse_clock("08:30"), Ok(30600.0));
        assert_eq!(parse_clock(" 08:30:15 "), Ok(30615.0));
        assert_eq!(parse_clock("100:00"), Ok(360000.0));
        assert_eq!(parse_clock("00:00:01.5"), Ok(1.5));
        assert_eq!(parse_clock("1800"), Ok(1800.0));
        assert_eq!(parse_clock("1800.25"), Ok(1800.25));
        // 12-hour times as spreadsheets export them.
        assert_eq!(parse_clock("8:00 AM"), Ok(28800.0));
        assert_eq!(parse_clock("08:15:30 pm"), Ok(72930.0));
        assert_eq!(parse_clock("12:30 AM"), Ok(1800.0));
        assert_eq!(parse_clock("12:30PM"), Ok(45000.0));
        for bad in ["13:00 PM", "0:30 AM", "8 AM", "AM"] {
            assert!(parse_clock(bad).is_err(), "{bad}");
        }
        for bad in [
            "",
            "8:3",
            "08:60",
            "08:30:61",
            "-5",
            "ab:cd",
            "08:30:15:00",
            "1e999",
            "nan",
        ] {
            assert!(parse_clock(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lengths() {
        assert_eq!(parse_length("30m"), Ok(1800.0));
        assert_eq!(parse_length("1h30m"), Ok(5400.0));
        assert_eq!(parse_length("900.5s"), Ok(900.5));
        assert_eq!(parse_length("0.25h"), Ok(900.0));
        for bad in ["", "30", "m", "30x", "1h30", "-5m"] {
            assert!(parse_length(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn break_lists() {
        assert_eq!(
            parse_breaks("12:00+30m; 15:00+15m;"),
            Ok(vec![(43200.0, 1800.0), (54000.0, 900.0)])
        );
        assert_eq!(parse_breaks(""), Ok(vec![]));
        assert!(parse_breaks("12:00-30m").is_err());
        assert_eq!(fmt_clock(30615.5), "08:30:15.500");
    }
}
