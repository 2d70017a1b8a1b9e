//! Text from the inputs (agent and group names, session ids, file paths, values quoted
//! in a message) made safe for each kind of output, in one place.
//!
//! Three rules, one per kind of reader:
//!
//! - **People** (the terminal, SVG labels, HTML): [`display`] shows every control
//!   character and every bidirectional-formatting character as a visible Rust-style
//!   escape (`\u{1b}`, `\u{202e}`), so a name cannot colour or clear the terminal, ring its
//!   bell, reorder the text around it, or make an SVG invalid XML (XML 1.0 forbids most
//!   control characters even as character references). Markup characters are then
//!   escaped by the SVG or HTML writer.
//! - **Programs** (CSV, JSON): the exact text, so a name round-trips: the CSV writer quotes
//!   fields, JSON escapes control characters; [`json_ascii_controls`] also writes C1 and
//!   bidirectional characters as `\uXXXX`, so a JSON file shown in a terminal is inert too.
//! - **The last guard**: [`terminal`] is applied to everything chatsim prints (stdout and
//!   error messages): the same escapes as [`display`], line breaks and tabs kept.

use std::borrow::Cow;

/// Whether `c` must not reach a reader raw: C0 and C1 control characters and DEL, and the
/// bidirectional formatting characters (LRM, RLM, ALM, the embeddings, overrides and
/// isolates) and the line and paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// Whether `s` may hold an unsafe character, by its bytes: an ASCII control that
/// `kept_control` does not keep, DEL, or the lead byte of a C1 control (0xC2), of U+061C
/// (0xD8) or of a bidirectional or separator character (0xE2). Every unsafe character's
/// UTF-8 form has one of these bytes, so `false` means there is none; `true` sends the
/// text to the exact check, character by character. A summary.json of a few megabytes is
/// screened at a few instructions a byte instead of decoding every character.
#[inline]
fn may_hold_unsafe(s: &str, kept_control: impl Fn(u8) -> bool) -> bool {
    let suspect =
        |b: u8| (b < 0x20 && !kept_control(b)) || b == 0x7f || b == 0xc2 || b == 0xd8 || b == 0xe2;
    // Whole chunks without an early exit, so the compiler can check many bytes at once.
    s.as_bytes()
        .chunks(64)
        .any(|chunk| chunk.iter().fold(false, |any, &b| any | suspect(b)))
}

fn escape_where(
    s: &str,
    kept_control: impl Fn(u8) -> bool,
    unsafe_char: impl Fn(char) -> bool,
) -> Cow<'_, str> {
    if !may_hold_unsafe(s, kept_control) || !s.chars().any(&unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A name or value for people: every unsafe character (see [`is_unsafe`]), line breaks
/// and tabs included, as a visible `\u{…}` escape. Plain text is returned as is.
pub fn display(s: &str) -> Cow<'_, str> {
    escape_where(s, |_| false, is_unsafe)
}

/// Text for the terminal (everything chatsim prints): like [`display`] but line breaks
/// and tabs are kept, since the text is laid out in lines.
pub fn terminal(s: &str) -> Cow<'_, str> {
    escape_where(
        s,
        |b| b == b'\n' || b == b'\t',
        |c| c != '\n' && c != '\t' && is_unsafe(c),
    )
}

/// `s` with `&`, `<`, `>`, `"` and `'` as entities and every unsafe character shown as an
/// escape ([`display`]): safe in XML and HTML text and attribute values.
pub fn markup(s: &str) -> String {
    let shown = display(s);
    let mut out = String::with_capacity(shown.len());
    for c in shown.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole SVG or HTML document with any unsafe character left in it shown as an escape,
/// line breaks and tabs kept: the guard [`crate::report::output`] applies to every `.svg`
/// and `.html` file it writes, whichever writer made it. Markup is untouched (`<`, `&` are
/// the document's own); the writers escape names with [`markup`] already, so this
/// changes nothing in their output.
pub fn markup_document(doc: &str) -> Cow<'_, str> {
    escape_where(
        doc,
        |b| matches!(b, b'\n' | b'\t' | b'\r'),
        |c| c != '\n' && c != '\t' && c != '\r' && is_unsafe(c),
    )
}

/// JSON text with every C1 control, DEL and bidirectional character written as a `\uXXXX`
/// escape (serde_json escapes only C0 controls). Such characters occur only inside
/// strings, where the escape means the same character: the value round-trips.
pub fn json_ascii_controls(json: &str) -> Cow<'_, str> {
    if !may_hold_unsafe(json, |_| true) || !json.chars().any(json_unsafe) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if json_unsafe(c) {
            // All of them are in the Basic Multilingual Plane: one \uXXXX each.
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether [`json_ascii_controls`] writes `c` as `\uXXXX`: the unsafe characters that
/// JSON itself leaves raw (it escapes the ASCII controls but DEL).
pub fn json_unsafe(c: char) -> bool {
    is_unsafe(c) && !c.is_ascii_control() || c == '\u{7f}'
}

/// `s` cut to at most `max` characters (not bytes: a name is never cut inside a
/// character), the last one an ellipsis when cut, so a long name keeps a table's columns.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_what_fits_and_cuts_by_characters_with_an_ellipsis() {
        assert_eq!(clip("agent", 5), "agent");
        assert_eq!(clip("agents", 5), "agen…");
        assert_eq!(clip("Łukasz北京", 4), "Łuk…");
        assert_eq!(clip("北京上海", 4), "北京上海");
    }

    const HOSTILE: &str = "\u{1b}[31mred\u{7}<b>&\"x'\u{202e}evil\u{8}\u{9b}\u{7f}\tz";

    #[test]
    fn display_leaves_plain_text_alone_and_escapes_the_rest() {
        assert!(matches!(display("Ana Łukasz ± ≤ 北"), Cow::Borrowed(_)));
        let shown = display(HOSTILE);
        assert!(!shown.chars().any(is_unsafe), "{shown}");
        assert!(shown.starts_with("\\u{1b}[31mred\\u{7}<b>"), "{shown}");
        assert!(shown.contains("\\u{202e}evil") && shown.ends_with("\\u{9}z"));
        assert_eq!(display("a\nb"), "a\\u{a}b");
    }

    #[test]
    fn terminal_keeps_lines_and_tabs() {
        assert_eq!(terminal("a\n\tb\u{1b}c\r"), "a\n\tb\\u{1b}c\\u{d}");
    }

    #[test]
    fn markup_is_xml_safe() {
        let m = markup(HOSTILE);
        assert!(!m.chars().any(is_unsafe));
        assert!(!m.contains('<') && !m.contains('"') && !m.contains('\''));
        assert!(m.contains("&lt;b&gt;&amp;&quot;x&#39;"), "{m}");
        assert!(markup_document("<a>\u{1b}</a>\n") == "<a>\\u{1b}</a>\n");
    }

    /// The byte screen never lets an unsafe character through: every one, alone and
    /// between plain text, is suspected under each rule that escapes it.
    #[test]
    fn the_byte_screen_suspects_every_unsafe_character() {
        for c in (0..=0x10ffffu32)
            .filter_map(char::from_u32)
            .filter(|&c| is_unsafe(c))
        {
            let text = format!("plain {c} text");
            if !matches!(c, '\n' | '\t') {
                assert!(
                    may_hold_unsafe(&text, |b| b == b'\n' || b == b'\t'),
                    "{c:?}"
                );
            }
            if !c.is_ascii_control() {
                assert!(may_hold_unsafe(&text, |_| true), "{c:?}");
            }
            assert!(may_hold_unsafe(&text, |_| false), "{c:?}");
        }
        // Text without those lead bytes passes at once (Latin-1 signs such as ± and
        // arrows such as ≤ share 0xC2 and 0xE2 with unsafe ones: they take the exact check).
        let plain = "Ana Łukasz 北京 Олег\n\t{\"x\": 1}";
        assert!(!may_hold_unsafe(plain, |b| b == b'\n' || b == b'\t'));
        assert!(matches!(terminal(plain), Cow::Borrowed(_)));
        assert!(matches!(terminal("± ≤"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_escapes_round_trip() {
        let raw = serde_json::to_string(&HOSTILE).unwrap();
        let safe = json_ascii_controls(&raw);
        assert!(!safe.chars().any(is_unsafe), "{safe}");
        let back: String = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, HOSTILE);
    }
}
