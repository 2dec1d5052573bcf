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

/// Text as vocabulary compares it: lower case, Latin accents and ligatures folded (`Hôte` →
/// `hote`, `Größe` → `grosse`, `Cœurs` → `coeurs`), every run of other characters one space.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            match fold_char(c) {
                Some(folded) => out.push_str(folded),
                None => out.push(c),
            }
        } else {
            space = true;
        }
    }
    out
}

/// `fold` without the spaces: `Pré-Prod` and `preprod` are one spelling.
pub fn fold_compact(text: &str) -> String {
    fold(text).replace(' ', "")
}

/// The unaccented spelling of a lower-case Latin letter, where it has one.
fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' | 'ă' => "a",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => "e",
        'ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ı' => "i",
        'ł' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'ř' => "r",
        'ś' | 'š' | 'ş' | 'ș' => "s",
        'ť' | 'ţ' | 'ț' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'þ' => "th",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_ignores_case_accents_and_punctuation() {
        assert_eq!(fold("Nom d'hôte"), "nom d hote");
        assert_eq!(fold("  Größe (GB) "), "grosse gb");
        assert_eq!(fold("Cœurs CPU"), "coeurs cpu");
        assert_eq!(fold("Intégration"), "integration");
        assert_eq!(fold("PRÉ-PRODUCTION"), "pre production");
        assert_eq!(fold_compact("Pré-Prod"), "preprod");
        assert_eq!(fold("名前 / Ünïcode"), "名前 unicode");
        assert_eq!(fold(" -- "), "");
    }
}
