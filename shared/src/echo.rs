//! Echoing input back in error messages: only a short prefix, so a huge bad value cannot flood a log.

/// The most characters of an input value an error message repeats.
pub const ECHO_CHARS_MAX: usize = 60;

/// `text` as an error message may quote it: whole when short, else its first
/// `ECHO_CHARS_MAX` characters (cut on a character boundary) followed by "…".
pub fn echo_prefix(text: &str) -> String {
    echo_prefix_max(text, ECHO_CHARS_MAX)
}

/// `echo_prefix` with another limit, for messages that are longer by nature (a parser's).
pub fn echo_prefix_max(text: &str, chars_max: usize) -> String {
    match text.char_indices().nth(chars_max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_whole_and_long_text_is_cut_on_a_char_boundary() {
        assert_eq!(echo_prefix("1x7"), "1x7");
        let long = "数".repeat(100);
        let echoed = echo_prefix(&long);
        assert_eq!(echoed.chars().count(), ECHO_CHARS_MAX + 1);
        assert!(echoed.ends_with('…'));
    }
}
