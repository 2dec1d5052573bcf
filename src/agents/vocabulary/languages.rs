//! The vocabulary kept as data: one file per language in `data/vocabulary/` (`en.txt`, `fr.txt`,
//! ...), embedded at build time: adding a language is adding its file and its line in `FILES`
//! (a test fails when a file in the folder is not listed). Each file says, in that language, which column names mean which canonical attribute,
//! which texts name asset types and environments, and which unit words headers carry; `en.txt`
//! describes the format. Everything is compared folded (case, accents, punctuation: see
//! [`fold`]), so files are written as people write, accents included.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::agents::types::{ASSET_TYPES, CANONICAL_ATTRIBUTES};
use crate::agents::vocabulary::text::{fold, fold_compact};

/// (language code, file text) for every `data/vocabulary/*.txt`.
const FILES: &[(&str, &str)] = &[
    ("en", include_str!("../../../data/vocabulary/en.txt")),
    ("de", include_str!("../../../data/vocabulary/de.txt")),
    ("es", include_str!("../../../data/vocabulary/es.txt")),
    ("fr", include_str!("../../../data/vocabulary/fr.txt")),
    ("it", include_str!("../../../data/vocabulary/it.txt")),
    ("nl", include_str!("../../../data/vocabulary/nl.txt")),
    ("pt", include_str!("../../../data/vocabulary/pt.txt")),
];

/// The environments standardisation produces (anything else is an unknown value kept lower-case).
pub const ENVIRONMENTS: &[&str] = &["production", "staging", "test", "qa", "development", "dr"];

/// How surely a column name means its attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    Weak,
    Medium,
    Strong,
}

/// A column name that means a canonical attribute, in one language.
#[derive(Debug, Clone, Copy)]
pub struct HeaderSynonym {
    pub attribute: &'static str,
    /// As the file writes it.
    pub text: &'static str,
    pub strength: Strength,
    /// The language's name (`French`).
    pub language: &'static str,
}

/// All languages' vocabulary, merged.
#[derive(Debug, Default)]
pub struct Vocabulary {
    /// Language names, in file order.
    pub languages: Vec<&'static str>,
    pub headers: Vec<HeaderSynonym>,
    /// Column names that hold no canonical attribute.
    pub extras: Vec<&'static str>,
    /// Column names that could mean several attributes, with what they could mean.
    pub ambiguous: Vec<(&'static str, &'static str)>,
    /// A whole folded text → the asset type it names.
    type_texts: HashMap<String, &'static str>,
    /// A folded word → the asset type it names wherever it appears.
    type_words: Vec<(String, &'static str)>,
    /// A compact folded spelling → the standard environment.
    environments: HashMap<String, &'static str>,
    /// Words that only say "environment" (`Umgebung`, `omgeving`), also inside compounds
    /// (`Testumgebung`).
    environment_fillers: Vec<String>,
    /// A folded unit word → the unit (`go` → `GB`).
    units: HashMap<String, &'static str>,
}

/// The vocabulary, read from the embedded files on first use.
pub fn vocabulary() -> &'static Vocabulary {
    static VOCABULARY: OnceLock<Vocabulary> = OnceLock::new();
    VOCABULARY.get_or_init(|| match Vocabulary::parse(FILES) {
        Ok(v) => v,
        // The files are compiled in and a test parses them: this is a build defect, not input.
        Err(e) => panic!("data/vocabulary: {e}"),
    })
}

/// Asset types in the order a text naming several is read: a database server is a server.
const TYPE_PRECEDENCE: &[&str] = &["server", "database", "storage", "network_device", "application"];

impl Vocabulary {
    pub fn parse(files: &[(&'static str, &'static str)]) -> Result<Vocabulary, String> {
        let mut v = Vocabulary::default();
        for (code, text) in files {
            let mut language = *code;
            for (n, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let at = |what: &str| format!("{code}.txt line {}: {what}", n + 1);
                let (head, items) = line.split_once(':').ok_or_else(|| at("no `:`"))?;
                let head: Vec<&'static str> = head.split_whitespace().collect();
                let items = || items.split(',').map(str::trim).filter(|i| !i.is_empty());
                match head.as_slice() {
                    ["language"] => {
                        language = items().next().ok_or_else(|| at("no language name"))?;
                        v.languages.push(language);
                    }
                    ["header", attribute, rest @ ..] => {
                        let attribute =
                            known(CANONICAL_ATTRIBUTES, attribute).ok_or_else(|| at("unknown attribute"))?;
                        let strength = match rest {
                            [] | ["strong"] => Strength::Strong,
                            ["medium"] => Strength::Medium,
                            ["weak"] => Strength::Weak,
                            _ => return Err(at("strength is strong, medium or weak")),
                        };
                        v.headers.extend(items().map(|text| HeaderSynonym {
                            attribute,
                            text,
                            strength,
                            language,
                        }));
                    }
                    ["extra"] => v.extras.extend(items()),
                    ["ambiguous", name] => {
                        let (_, why) = line.split_once(':').unwrap_or_default();
                        v.ambiguous.push((name, why.trim()));
                    }
                    ["type", asset_type, rest @ ..] => {
                        let asset_type = known(ASSET_TYPES, asset_type).ok_or_else(|| at("unknown asset type"))?;
                        match rest {
                            [] => {
                                for item in items() {
                                    v.type_texts.insert(fold(item), asset_type);
                                }
                            }
                            ["word"] => v.type_words.extend(items().map(|w| (fold_compact(w), asset_type))),
                            _ => return Err(at("`type <asset type>` or `type <asset type> word`")),
                        }
                    }
                    ["environment", "filler"] => v.environment_fillers.extend(items().map(fold_compact)),
                    ["environment", environment] => {
                        let environment = known(ENVIRONMENTS, environment).ok_or_else(|| at("unknown environment"))?;
                        for item in items() {
                            let previous = v.environments.insert(fold_compact(item), environment);
                            if previous.is_some_and(|p| p != environment) {
                                return Err(at(&format!("`{item}` already names the {}", previous.unwrap())));
                            }
                        }
                    }
                    ["unit", unit] => {
                        for item in items() {
                            v.units.insert(fold(item), unit);
                        }
                    }
                    _ => return Err(at("unknown kind of line")),
                }
            }
        }
        // A type word is tried longest first, so `datenbankserver` ends in `server`, not `bank`.
        v.type_words.sort_by_key(|(w, _)| std::cmp::Reverse(w.len()));
        Ok(v)
    }

    /// The asset type a source's type text names (`Serveur physique`, `Datenbankserver`,
    /// `cmdb_ci_linux_server`), or `None`.
    pub fn asset_type(&self, text: &str) -> Option<&'static str> {
        let folded = fold(text);
        if folded.is_empty() {
            return None;
        }
        if let Some(t) = self.type_texts.get(&folded) {
            return Some(t);
        }
        // A plural of a whole text (`Servers`, `Bases de données` is listed).
        if let Some(t) = folded.strip_suffix('s').and_then(|f| self.type_texts.get(f)) {
            return Some(t);
        }
        // Otherwise the words that name a type, wherever they stand: `Linux Server`, `Serveur
        // de base de données`. A long compound ends in its head word (`Datenbankserver`).
        let mut found: Vec<&'static str> = Vec::new();
        for word in folded.split(' ') {
            let hit = self.type_words.iter().find(|(w, _)| {
                word == w || (w.chars().count() >= 5 && word.len() > w.len() && word.ends_with(w.as_str()))
            });
            if let Some((_, t)) = hit {
                found.push(t);
            }
        }
        TYPE_PRECEDENCE.iter().copied().find(|t| found.contains(t))
    }

    /// The standard environment a text names, in any language (`Préproduction` → staging), or
    /// `None`. A text of several words is read whole first, then word by word (`PRD-01`).
    pub fn environment(&self, text: &str) -> Option<&'static str> {
        let folded = fold(text);
        self.environment_of_words(&folded).or_else(|| {
            // `Testumgebung`, `Entorno de pruebas`, `DR site`: without the words for "environment".
            let stripped: Vec<&str> = folded.split(' ').filter_map(|w| self.without_filler(w)).collect();
            let stripped = stripped.join(" ");
            (!stripped.is_empty() && stripped != folded)
                .then(|| self.environment_of_words(&stripped))
                .flatten()
        })
    }

    fn environment_of_words(&self, folded: &str) -> Option<&'static str> {
        if let Some(e) = self.environments.get(&folded.replace(' ', "")) {
            return Some(e);
        }
        let mut named = folded
            .split(' ')
            .filter(|w| w.chars().any(char::is_alphabetic))
            .filter_map(|w| self.environments.get(w).copied());
        let first = named.next()?;
        // Two different environments in one text (`dev/test`) is no answer.
        named.all(|e| e == first).then_some(first)
    }

    /// A word without a filler it ends or starts with; `None` when it is only a filler.
    fn without_filler<'w>(&self, word: &'w str) -> Option<&'w str> {
        for filler in &self.environment_fillers {
            if word == filler {
                return None;
            }
            if word.len() > filler.len() + 1 {
                if let Some(rest) = word.strip_suffix(filler.as_str()) {
                    return Some(rest);
                }
                if let Some(rest) = word.strip_prefix(filler.as_str()) {
                    return Some(rest);
                }
            }
        }
        Some(word)
    }

    /// The unit a header word names (`Go` → `GB`), from the languages' unit lines.
    pub fn unit(&self, word: &str) -> Option<&'static str> {
        self.units.get(&fold(word)).copied()
    }
}

fn known(list: &'static [&'static str], name: &str) -> Option<&'static str> {
    list.iter().copied().find(|a| *a == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_parses() {
        let v = Vocabulary::parse(FILES).unwrap();
        assert!(v.languages.len() >= 7, "{:?}", v.languages);
        for language in [
            "English",
            "French",
            "German",
            "Spanish",
            "Italian",
            "Portuguese",
            "Dutch",
        ] {
            assert!(v.languages.contains(&language), "{language}");
            for attribute in [
                "name",
                "ip_address",
                "operating_system",
                "environment",
                "memory_gb",
                "depends_on",
            ] {
                assert!(
                    v.headers
                        .iter()
                        .any(|h| h.language == language && h.attribute == attribute),
                    "{language} has no header for {attribute}"
                );
            }
        }
    }

    #[test]
    fn every_file_in_the_folder_is_listed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/vocabulary");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let code = path.file_stem().unwrap().to_string_lossy().to_string();
            assert!(
                FILES.iter().any(|(c, _)| *c == code),
                "data/vocabulary/{code}.txt is not in FILES"
            );
        }
    }

    #[test]
    fn bad_lines_are_named() {
        let err = Vocabulary::parse(&[("xx", "header nonsense: foo")]).unwrap_err();
        assert!(
            err.contains("xx.txt line 1") && err.contains("unknown attribute"),
            "{err}"
        );
        assert!(Vocabulary::parse(&[("xx", "environment production: a\nenvironment test: a")]).is_err());
        assert!(Vocabulary::parse(&[("xx", "no colon here")]).is_err());
    }

    #[test]
    fn types_in_many_languages() {
        let v = vocabulary();
        for (text, want) in [
            ("Serveur physique", "server"),
            ("Base de données", "database"),
            ("Instance SGBD", "database"),
            ("Application métier", "application"),
            ("Virtuelle Maschine", "server"),
            ("Datenbankserver", "server"),
            ("Fachanwendung", "application"),
            ("Servidor físico", "server"),
            ("Banco de dados", "database"),
            ("Macchina virtuale", "server"),
            ("Databank", "database"),
            ("Toepassing", "application"),
            ("Linux Server", "server"),
            ("SQL Server", "database"),
            ("Serveur de base de données", "server"),
        ] {
            assert_eq!(v.asset_type(text), Some(want), "{text}");
        }
        assert_eq!(v.asset_type("Widget"), None);
    }

    #[test]
    fn environments_in_many_languages() {
        let v = vocabulary();
        for (text, want) in [
            ("Produktion", "production"),
            ("QS", "qa"),
            ("Abnahme", "staging"),
            ("Préproduction", "staging"),
            ("Recette", "staging"),
            ("Intégration", "test"),
            ("Développement", "development"),
            ("Producción", "production"),
            ("Desarrollo", "development"),
            ("Collaudo", "staging"),
            ("Homologação", "staging"),
            ("Ontwikkeling", "development"),
            ("PRD-01", "production"),
            ("Pre-Prod", "staging"),
            ("Testumgebung", "test"),
            ("NOTFALLUMGEBUNG", "dr"),
            ("Uitwijkomgeving", "dr"),
            ("Entorno de pruebas", "test"),
            ("DR Site", "dr"),
        ] {
            assert_eq!(v.environment(text), Some(want), "{text}");
        }
        assert_eq!(v.environment("dev/prod"), None);
        assert_eq!(v.environment("Sandbox"), None);
        assert_eq!(v.unit("Go"), Some("GB"));
    }
}
