//! Environment names: the standard set, the spellings sources use for them (data:
//! `data/vocabulary/`), and production.

use crate::agents::vocabulary::languages::vocabulary;

pub use crate::agents::vocabulary::languages::ENVIRONMENTS;

/// The standard name of an environment in any language the vocabulary knows (`Pre-Prod`,
/// `Préproduction`, `Abnahme` → staging), or `None` when the text is not a known spelling.
pub fn standardize_environment(text: &str) -> Option<&'static str> {
    vocabulary().environment(text)
}

/// Production (or a spelling of it). DR copies of production count as production for exposure.
pub fn is_production(environment: Option<&str>) -> bool {
    match environment {
        None => false,
        // Cleansing has already standardised it, nearly always.
        Some("production") => true,
        Some(other) => standardize_environment(other) == Some("production"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_are_standardised() {
        for (raw, expected) in [
            ("Prod", "production"),
            ("PRD", "production"),
            (" Live ", "production"),
            ("P", "production"),
            ("DEV", "development"),
            ("D", "development"),
            ("Development", "development"),
            ("TST", "test"),
            ("UAT", "test"),
            ("Quality", "qa"),
            ("Pre-prod", "staging"),
            ("STG", "staging"),
            ("Disaster Recovery", "dr"),
        ] {
            assert_eq!(standardize_environment(raw), Some(expected), "{raw}");
        }
        assert_eq!(standardize_environment("Sandbox"), None);
    }
}
