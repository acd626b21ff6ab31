//! The console's two languages: Chinese (zh-CN) by default, English on request (`?lang=en`,
//! remembered in the `bl_lang` cookie).

/// A page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

/// The cookie that remembers the language switch.
pub const LANG_COOKIE: &str = "bl_lang";

impl Lang {
    /// "zh" or "en"; anything else is `None`.
    pub fn parse(text: &str) -> Option<Lang> {
        match text {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The page's `lang` attribute.
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The other language, which the switch offers.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The text in this language.
    pub fn t(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// A word of the README's vocabulary (`words`) in this language.
    pub fn w(self, word: (&'static str, &'static str)) -> &'static str {
        self.t(word.0, word.1)
    }
}
