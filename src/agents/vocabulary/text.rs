//! Small helpers on text and numbers that many agents use.

/// Rounds to three decimals, as scores and confidences are reported.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A text value that is there and not blank.
pub fn filled(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|v| !v.trim().is_empty())
}

/// The words of a text: its runs of letters and digits, in the text's own case.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}
