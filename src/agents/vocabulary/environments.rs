//! Environment names: the standard set, the synonyms sources use for them, and production.

/// The environments standardisation produces (anything else is an unknown value kept lower-case).
pub const ENVIRONMENTS: &[&str] = &["production", "staging", "test", "qa", "development", "dr"];

/// The standard name of an environment, or `None` when the text is not a known synonym.
pub fn standardize_environment(text: &str) -> Option<&'static str> {
    // Case, spaces and punctuation carry no meaning here: `Pre-Prod` = `preprod`.
    let folded: String = text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    Some(match folded.as_str() {
        "production" | "prod" | "prd" | "live" | "p" | "prdn" | "prodn" => "production",
        "development" | "dev" | "d" | "develop" | "devl" => "development",
        // User-acceptance and system-integration testing are test environments.
        "test" | "tst" | "testing" | "t" | "uat" | "sit" | "useracceptance" | "useracceptancetest" => "test",
        "qa" | "quality" | "qualityassurance" | "q" => "qa",
        "staging" | "stage" | "stg" | "preprod" | "preproduction" | "prestage" => "staging",
        "dr" | "disasterrecovery" | "recovery" => "dr",
        _ => return None,
    })
}

/// Production (or a spelling of it). DR copies of production count as production for exposure.
pub fn is_production(environment: Option<&str>) -> bool {
    matches!(
        environment.map(|e| e.trim().to_lowercase()).as_deref(),
        Some("production" | "prod" | "prd" | "live")
    )
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
