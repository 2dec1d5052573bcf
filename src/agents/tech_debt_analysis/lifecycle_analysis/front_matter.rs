//! A reader for the one YAML shape endoflife.date product pages use: a front matter between `---`
//! lines whose top-level keys are scalars, and a `releases:` list of flat scalar maps. Nested blocks
//! we do not need (`auto:`, `identifiers:`, ...) are skipped. A YAML crate would read far more than
//! this and still leave the mapping to us.

/// A scalar as the front matter writes it: a date, `true`/`false`, or text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scalar {
    Text(String),
    Bool(bool),
}

impl Scalar {
    pub fn text(&self) -> String {
        match self {
            Scalar::Text(s) => s.clone(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

/// One product page: its top-level scalars and its releases, each a list of (key, value) pairs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductPage {
    pub fields: Vec<(String, Scalar)>,
    pub releases: Vec<Vec<(String, Scalar)>>,
}

impl ProductPage {
    pub fn field(&self, key: &str) -> Option<&Scalar> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// Reads a page's front matter. Errors name the line that could not be read.
pub fn read_page(text: &str) -> Result<ProductPage, String> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, first)) if first.trim_end() == "---" => {}
        _ => return Err("no front matter (the first line is not `---`)".into()),
    }
    let mut page = ProductPage::default();
    let mut in_releases = false;
    for (n, raw) in lines {
        if raw.trim_end() == "---" {
            return Ok(page);
        }
        let line = strip_comment(raw);
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if indent == 0 {
            let (key, value) = key_value(line).ok_or_else(|| format!("line {}: not `key: value`", n + 1))?;
            in_releases = key == "releases";
            if !value.is_empty() {
                page.fields.push((key.to_string(), scalar(value)));
            }
            continue;
        }
        if !in_releases {
            continue;
        }
        let body = line.trim_start();
        if let Some(item) = body.strip_prefix("- ") {
            page.releases.push(Vec::new());
            push_pair(&mut page, item, n)?;
        } else if page.releases.is_empty() {
            return Err(format!("line {}: a release field before the first `- `", n + 1));
        } else {
            push_pair(&mut page, body, n)?;
        }
    }
    Err("the front matter has no closing `---`".into())
}

fn push_pair(page: &mut ProductPage, text: &str, n: usize) -> Result<(), String> {
    let (key, value) = key_value(text).ok_or_else(|| format!("line {}: not `key: value`", n + 1))?;
    if let Some(release) = page.releases.last_mut() {
        release.push((key.to_string(), scalar(value)));
    }
    Ok(())
}

fn key_value(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.trim().split_once(':')?;
    let key = key.trim();
    (!key.is_empty() && !key.contains(' ')).then_some((key, value.trim()))
}

/// The line without a trailing `# comment` (a `#` inside quotes is text).
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if i == 0 || line[..i].ends_with(char::is_whitespace) => return &line[..i],
            _ => {}
        }
    }
    line
}

fn scalar(value: &str) -> Scalar {
    let v = value.trim();
    let unquoted = v
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')));
    match unquoted {
        Some(s) => Scalar::Text(s.to_string()),
        None if v == "true" => Scalar::Bool(true),
        None if v == "false" => Scalar::Bool(false),
        None => Scalar::Text(v.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_releases_and_skips_nested_blocks() {
        let page = read_page(
            "---\ntitle: Oracle Solaris # the OS\neoesColumn: Extended Support\nauto:\n  methods:\n    - \
             release_table: x\n      fields:\n        releaseCycle:\n          column: \"Version\"\n\nreleases:\n  \
             - releaseCycle: \"11.4\"\n    releaseLabel: \"11 '#4'\"\n    eol: 2031-11-01 # premier\n    eoes: \
             false\n\n  - releaseCycle: \"11\"\n    eol: true\n---\n\n> prose: ignored\n",
        )
        .unwrap();
        assert_eq!(page.field("title"), Some(&Scalar::Text("Oracle Solaris".into())));
        assert_eq!(page.releases.len(), 2);
        assert_eq!(
            page.releases[0],
            vec![
                ("releaseCycle".to_string(), Scalar::Text("11.4".into())),
                ("releaseLabel".to_string(), Scalar::Text("11 '#4'".into())),
                ("eol".to_string(), Scalar::Text("2031-11-01".into())),
                ("eoes".to_string(), Scalar::Bool(false)),
            ]
        );
        assert_eq!(page.releases[1][1], ("eol".to_string(), Scalar::Bool(true)));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert!(read_page("title: x\n").is_err());
        assert!(read_page("---\ntitle: x\n").is_err());
        assert!(read_page("---\nreleases:\n    eol: true\n---\n").is_err());
        assert!(read_page("---\nnot a pair\n---\n").is_err());
    }
}
