//! The progress bar `run` (replications) and `sweep` (grid points) draw on stderr. It is
//! drawn only when stderr is a terminal (indicatif's default), so piped or captured
//! output never holds it.

/// A bar of `len` units named `what` (`replications`, `grid points`): elapsed time, the
/// bar, and `done/len what`.
pub fn progress_bar(len: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{elapsed_precise}} [{{bar:30}}] {{pos}}/{{len}} {what}"
        ))
        .expect("a template of literal text and known keys")
        .progress_chars("=> "),
    );
    bar
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_template_names_the_unit() {
        let bar = super::progress_bar(7, "grid points");
        bar.inc(3);
        assert_eq!((bar.position(), bar.length()), (3, Some(7)));
        bar.finish_and_clear();
    }
}
