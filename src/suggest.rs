//! "Did you mean …?": the closest of a list of valid names to a misspelt one, for the
//! errors that name an unknown metric (`--expect`, `--target`, `--metric`) or an unknown
//! scenario field (a TOML key, a `--set` path).
//!
//! A name is suggested only when it is close: its normalized Damerau–Levenshtein
//! similarity to what was written is at least [`MIN_EDIT_SIMILARITY`] (a transposition,
//! a dropped or an extra letter in a name of any length), or its Jaro–Winkler similarity
//! at least [`MIN_JARO_WINKLER`] (a name cut short or with its unit suffix missing, such
//! as `horizon` for `horizon_s`). Otherwise the caller lists every valid name, as before.

/// Normalized Damerau–Levenshtein similarity (1 − distance / longer length) from which a
/// name is suggested.
pub const MIN_EDIT_SIMILARITY: f64 = 0.7;
/// Jaro–Winkler similarity from which a name is suggested.
pub const MIN_JARO_WINKLER: f64 = 0.9;

/// The valid name closest to `written`, if one is close enough (see the module
/// documentation); `None` when `written` is itself valid or nothing is close. Ties go to
/// the first in `valid`'s order.
pub fn closest<'a, S: AsRef<str>>(written: &str, valid: &'a [S]) -> Option<&'a str> {
    let written_lower = written.trim().to_lowercase();
    let mut best: Option<(f64, &'a str)> = None;
    for name in valid {
        let name = name.as_ref();
        if name == written {
            return None;
        }
        let lower = name.to_lowercase();
        let edit = strsim::normalized_damerau_levenshtein(&written_lower, &lower);
        let jw = strsim::jaro_winkler(&written_lower, &lower);
        if edit < MIN_EDIT_SIMILARITY && jw < MIN_JARO_WINKLER {
            continue;
        }
        let score = edit + jw;
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, name));
        }
    }
    best.map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_a_close_name_and_nothing_for_a_distant_one() {
        let valid = [
            "reply_interval_s",
            "message_interval_s",
            "reminder_cap",
            "overlook_prob",
        ];
        assert_eq!(closest("reply_intervl_s", &valid), Some("reply_interval_s"));
        assert_eq!(
            closest("mesage_interval_s", &valid),
            Some("message_interval_s")
        );
        assert_eq!(closest("Reminder_Cap", &valid), Some("reminder_cap"));
        assert_eq!(closest("remidner_cap", &valid), Some("reminder_cap"));
        assert_eq!(
            closest("overlook_probability", &valid),
            Some("overlook_prob")
        );
        assert_eq!(closest("overlook_prob", &valid), None);
        assert_eq!(closest("xyz", &valid), None);
        assert_eq!(closest("", &valid), None);
        let fields = ["horizon_s", "warmup_s", "replications", "seed"];
        assert_eq!(closest("horizon", &fields), Some("horizon_s"));
        assert_eq!(closest("horizn", &fields), Some("horizon_s"));
        assert_eq!(closest("replication", &fields), Some("replications"));
        assert_eq!(closest("colour", &fields), None);
        let none: [&str; 0] = [];
        assert_eq!(closest("seed", &none), None);
    }
}
