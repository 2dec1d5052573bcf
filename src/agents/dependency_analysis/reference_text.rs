//! How a dependency reference that does not name an asset whole is cut, finer at each step: list
//! parts (`a + b`, `a / b`), then the words of a phrase (`hébergée sur srv0036`, `läuft auf
//! web01`), then the pieces of a word (`serveur:web0048`). Every cut is a slice of the text it
//! came from, so an unresolved part can be reported as written.
//!
//! No phrase vocabulary is needed: the words that name an asset resolve, the others
//! (`hosted on`, `runs on`, `depende de`) resolve to nothing and are dropped.

use crate::agents::vocabulary::addresses::{prefix_aware_parts, referenced_ip};

/// The most words a multi-word name in a phrase is looked up with (`runs on HR Portal`).
pub(super) const MAX_NAME_WORDS: usize = 4;

/// The parts of a list joined by `+` or `/` (a `/` before an address's prefix length is not a
/// separator): trimmed, non-empty slices of `text`.
pub(super) fn list_parts(text: &str) -> impl Iterator<Item = &str> {
    text.split('+').flat_map(prefix_aware_parts)
}

/// The words of a phrase, stripped of surrounding punctuation (quotes, brackets, `:`, commas);
/// an address's brackets and colons stay.
pub(super) fn words(part: &str) -> impl Iterator<Item = &str> {
    part.split_whitespace()
        .map(|w| {
            if referenced_ip(w).is_some() {
                w
            } else {
                w.trim_matches(|c: char| !c.is_alphanumeric())
            }
        })
        .filter(|w| !w.is_empty())
}

/// The pieces of a word joined by punctuation that is not part of a host name (`srv:web01`,
/// `web01->db01`, `(web01)`): slices of `word` made of letters, digits, `.`, `-` and `_`.
pub(super) fn pieces(word: &str) -> impl Iterator<Item = &str> {
    word.split(|c: char| !(c.is_alphanumeric() || matches!(c, '.' | '-' | '_')))
        .map(|p| p.trim_matches(['.', '-']))
        .filter(|p| !p.is_empty())
}

/// Whether a word left over in a phrase is more likely a name nobody recorded than a word of
/// the language: an address, a dotted name, or letters mixed with digits (`srv0099`).
pub(super) fn looks_like_a_name(word: &str) -> bool {
    let dotted = word.trim_matches('.').contains('.') && word.chars().any(char::is_alphanumeric);
    let mixed = word.chars().any(|c| c.is_ascii_digit()) && word.chars().any(char::is_alphabetic);
    referenced_ip(word).is_some() || dotted || mixed
}

/// Where `part` (a slice of `text`) starts in `text`.
pub(super) fn offset_in(text: &str, part: &str) -> usize {
    let offset = (part.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
    debug_assert!(offset + part.len() <= text.len(), "`{part}` is not a slice of `{text}`");
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_on_plus_and_slash_but_not_on_a_prefix_length() {
        let parts = |t| list_parts(t).collect::<Vec<_>>();
        assert_eq!(parts("a + b.corp + 10.0.0.1"), ["a", "b.corp", "10.0.0.1"]);
        assert_eq!(parts("a/b / c"), ["a", "b", "c"]);
        assert_eq!(parts("a+b/c"), ["a", "b", "c"]);
        assert_eq!(parts("10.0.0.1/24 + web01"), ["10.0.0.1/24", "web01"]);
        assert_eq!(parts("läuft auf 10.0.0.1/24"), ["läuft auf 10.0.0.1/24"]);
        assert_eq!(parts("10.0.0.1/10.0.0.2"), ["10.0.0.1", "10.0.0.2"]);
        assert_eq!(parts(" + / "), Vec::<&str>::new());
    }

    #[test]
    fn words_lose_their_punctuation_but_addresses_keep_theirs() {
        let words = |t| words(t).collect::<Vec<_>>();
        assert_eq!(words("serveur : srv0036"), ["serveur", "srv0036"]);
        assert_eq!(words("hébergée sur « web01 »."), ["hébergée", "sur", "web01"]);
        assert_eq!(words("(läuft auf) 'db01',"), ["läuft", "auf", "db01"]);
        assert_eq!(words("on [2001:db8::1]"), ["on", "[2001:db8::1]"]);
        assert_eq!(words("on 10.0.0.1:8080"), ["on", "10.0.0.1:8080"]);
        assert_eq!(words("serveur:web0048"), ["serveur:web0048"]);
    }

    #[test]
    fn pieces_cut_at_punctuation_that_no_host_name_holds() {
        let pieces = |t| pieces(t).collect::<Vec<_>>();
        assert_eq!(pieces("serveur:web0048"), ["serveur", "web0048"]);
        assert_eq!(pieces("web01->db01"), ["web01", "db01"]);
        assert_eq!(pieces("web01.corp.example.com"), ["web01.corp.example.com"]);
        assert_eq!(pieces("app_01-b"), ["app_01-b"]);
        assert_eq!(pieces("=>"), Vec::<&str>::new());
    }

    #[test]
    fn names_are_told_from_words() {
        for name in ["srv0099", "10.1.2.3", "db.example.com", "2001:db8::7", "WEB-01a"] {
            assert!(looks_like_a_name(name), "{name}");
        }
        for word in ["hébergée", "sur", "runs", "on", "läuft", "24", "e-mail", "..."] {
            assert!(!looks_like_a_name(word), "{word}");
        }
    }

    #[test]
    fn offsets_are_found_from_the_slice() {
        let text = "a + hébergée sur web01";
        let part = list_parts(text).nth(1).unwrap();
        let word = words(part).nth(2).unwrap();
        assert_eq!(offset_in(text, word), text.find("web01").unwrap());
        assert_eq!(offset_in(text, part), 4);
    }
}
