//! The language of the public page: the reader's choice (`?lang=`), else the
//! browser's `Accept-Language` (RFC 9110 section 12.5.4, q-values honoured), else
//! English.

/// A language the public page is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Japanese.
    Ja,
    /// English.
    En,
    /// Korean.
    Ko,
}

impl Lang {
    /// Every language, in the order the page links them.
    pub const ALL: [Lang; 3] = [Lang::Ja, Lang::En, Lang::Ko];

    /// The BCP 47 tag (`ja`, `en`, `ko`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    /// The language's own name, for the links between versions.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::Ja => "日本語",
            Lang::En => "English",
            Lang::Ko => "한국어",
        }
    }

    /// `ja`, `ja-JP`, `EN-gb`… to a language, if it is one of ours.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            "ko" => Some(Lang::Ko),
            _ => None,
        }
    }

    /// The language to answer in: `query` (`?lang=`) when it names one of ours, else
    /// the most preferred of ours in `accept_language`, else English.
    pub fn negotiate(query: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(l) = query.and_then(Lang::from_tag) {
            return l;
        }
        accept_language.and_then(best_accepted).unwrap_or(Lang::En)
    }
}

/// The highest-q language of ours in an `Accept-Language` value; ties go to the
/// earlier entry; `q=0` means "not this one"; a malformed q counts as 1 (lenient, as
/// browsers send well-formed values and a typo should not hide a language).
fn best_accepted(header: &str) -> Option<Lang> {
    let mut best: Option<(f64, Lang)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let Some(lang) = parts.next().and_then(Lang::from_tag) else {
            continue;
        };
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .next()
            .map_or(1.0, |q| q.trim().parse::<f64>().unwrap_or(1.0));
        if q <= 0.0 {
            continue;
        }
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn the_query_wins_then_the_best_accepted_language_then_english() {
        assert_eq!(Lang::negotiate(Some("ko"), Some("ja")), Lang::Ko);
        assert_eq!(
            Lang::negotiate(Some("fr"), Some("ja-JP,ja;q=0.9")),
            Lang::Ja
        );
        assert_eq!(Lang::negotiate(None, Some("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(
            Lang::negotiate(None, Some("fr-FR,ko;q=0.5,ja;q=0.7")),
            Lang::Ja
        );
        assert_eq!(Lang::negotiate(None, Some("ja;q=0, ko;q=0.1")), Lang::Ko);
        assert_eq!(Lang::negotiate(None, Some("de, fr")), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("")), Lang::En);
        assert_eq!(Lang::negotiate(None, None), Lang::En);
        // Equal q: the earlier one.
        assert_eq!(Lang::negotiate(None, Some("ko;q=0.8, ja;q=0.8")), Lang::Ko);
        // Garbage is not a panic.
        assert_eq!(Lang::negotiate(Some(""), Some(";;,q=,;q=abc,-")), Lang::En);
    }
}
