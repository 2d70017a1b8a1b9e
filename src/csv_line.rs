//! Splitting one CSV line into trimmed cells, for every CSV chatsim reads (roster,
//! profile, trace, samples, chat logs).
//!
//! The files are read line by line rather than by the csv crate because its reported line
//! numbers skip blank and comment lines, and every error must point at the line the user
//! sees. Cells may be double-quoted (`"a,b"`, with `""` for a quote) but may not span lines.

use std::borrow::Cow;

/// The comma-separated fields of one line, each trimmed. A field may be quoted (`"a,b"`,
/// with `""` for a quote inside); a quoted field cannot span lines.
pub fn split(line: &str) -> Result<Vec<Cow<'_, str>>, &'static str> {
    split_with(line, ',')
}

/// The fields of one line separated by `sep` (`;` and tab are what spreadsheets export
/// besides the comma), each trimmed, quoted as in [`split`].
pub fn split_with(line: &str, sep: char) -> Result<Vec<Cow<'_, str>>, &'static str> {
    // Whitespace around a field is dropped, but never the separator itself (a tab).
    let space = |c: char| c.is_whitespace() && c != sep;
    let mut fields = Vec::with_capacity(4);
    let mut rest = line;
    loop {
        let field = rest.trim_start_matches(space);
        if let Some(quoted) = field.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let after = loop {
                match chars.next() {
                    None => return Err("a quote that is never closed"),
                    Some((i, '"')) => {
                        if quoted[i + 1..].starts_with('"') {
                            value.push('"');
                            chars.next();
                        } else {
                            break &quoted[i + 1..];
                        }
                    }
                    Some((_, c)) => value.push(c),
                }
            };
            let after = after.trim_start_matches(space);
            fields.push(Cow::Owned(value.trim().to_string()));
            match after.strip_prefix(sep) {
                Some(next) => rest = next,
                None if after.is_empty() => return Ok(fields),
                None => return Err("text after a closing quote"),
            }
        } else {
            match field.split_once(sep) {
                Some((value, next)) => {
                    fields.push(Cow::Borrowed(value.trim()));
                    rest = next;
                }
                None => {
                    fields.push(Cow::Borrowed(field.trim()));
                    return Ok(fields);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn plain_and_quoted_cells_are_trimmed() {
        assert_eq!(split("a, b ,,c").unwrap(), ["a", "b", "", "c"]);
        assert_eq!(
            split(r#"A1, "x, ""y""" ,3"#).unwrap(),
            ["A1", r#"x, "y""#, "3"]
        );
    }

    #[test]
    fn other_separators() {
        use super::split_with;
        assert_eq!(
            split_with("a; 1,5 ;\"x;y\"", ';').unwrap(),
            ["a", "1,5", "x;y"]
        );
        assert_eq!(split_with("a\t b\t", '\t').unwrap(), ["a", "b", ""]);
        assert_eq!(
            split_with("a\t\t\"b\" \tc", '\t').unwrap(),
            ["a", "", "b", "c"]
        );
    }

    #[test]
    fn unclosed_quote_and_trailing_text_are_errors() {
        assert!(split(r#"a,"b"#).is_err());
        assert!(split(r#""a"b,c"#).is_err());
    }
}
