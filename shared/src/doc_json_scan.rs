//! A borrowing scanner for the common shape of a documents JSONL line: objects of known keys
//! whose values are plain strings (no escapes) and one array of line objects.
//!
//! It allocates nothing but the lines vector and gives up (`None`) on anything else — escapes,
//! `null`, numbers, unknown or repeated keys, a missing required key, trailing characters — so
//! the caller falls back to serde, which accepts or refuses those lines with its own messages.
//! On every line it accepts, it yields exactly the strings serde would.

/// One document line's fields as written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawLine<'a> {
    pub(crate) product: &'a str,
    pub(crate) qty: &'a str,
    pub(crate) price: &'a str,
    pub(crate) discount: Option<&'a str>,
    pub(crate) tax_rate: Option<&'a str>,
}

/// A document's fields as written in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawDocument<'a> {
    pub(crate) number: &'a str,
    pub(crate) doc_type: &'a str,
    pub(crate) date: &'a str,
    pub(crate) partner: Option<&'a str>,
    pub(crate) warehouse: &'a str,
    pub(crate) to_warehouse: Option<&'a str>,
    pub(crate) red_of: Option<&'a str>,
    pub(crate) lines: Vec<RawLine<'a>>,
}

/// Scans one JSONL line of the common shape; `None` when serde must decide.
pub(crate) fn scan_document(text: &str) -> Option<RawDocument<'_>> {
    let mut scanner = Scanner { text, pos: 0 };
    let (mut number, mut doc_type, mut date, mut partner, mut warehouse, mut red_of) =
        (None, None, None, None, None, None);
    let mut to_warehouse = None;
    let mut lines = None;
    scanner.object(|scanner, key| {
        let slot = match key {
            "number" => &mut number,
            "type" => &mut doc_type,
            "date" => &mut date,
            "partner" => &mut partner,
            "warehouse" => &mut warehouse,
            "to_warehouse" => &mut to_warehouse,
            "red_of" => &mut red_of,
            "lines" => return set_once(&mut lines, scanner.lines()?),
            _ => return None,
        };
        set_once(slot, scanner.string()?)
    })?;
    scanner.skip_whitespace();
    if scanner.pos != text.len() {
        return None;
    }
    Some(RawDocument {
        number: number?,
        doc_type: doc_type?,
        date: date?,
        partner,
        warehouse: warehouse?,
        to_warehouse,
        red_of,
        lines: lines?,
    })
}

/// Fills an empty slot; a repeated key gives up.
fn set_once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    /// Skips JSON whitespace (space, tab, line feed, carriage return).
    fn skip_whitespace(&mut self) {
        let bytes = self.text.as_bytes();
        while self.pos < bytes.len() && matches!(bytes[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.text.as_bytes().get(self.pos).copied()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        if self.peek()? != byte {
            return None;
        }
        self.pos += 1;
        Some(())
    }

    /// A string without escapes or control characters, borrowed from the text.
    fn string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.pos;
        let bytes = self.text.as_bytes();
        loop {
            match *bytes.get(self.pos)? {
                b'"' => break,
                b'\\' | 0x00..=0x1f => return None,
                _ => self.pos += 1,
            }
        }
        // Both ends sit next to an ASCII quote, so they are character boundaries.
        let value = &self.text[start..self.pos];
        self.pos += 1;
        Some(value)
    }

    /// An object; `field(scanner, key)` consumes each key's value.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.expect(b'{')?;
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            let key = self.string()?;
            self.expect(b':')?;
            field(self, key)?;
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// The `lines` array of line objects.
    fn lines(&mut self) -> Option<Vec<RawLine<'a>>> {
        self.expect(b'[')?;
        let mut lines = Vec::new();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(lines);
        }
        loop {
            lines.push(self.line()?);
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(lines);
                }
                _ => return None,
            }
        }
    }

    fn line(&mut self) -> Option<RawLine<'a>> {
        let (mut product, mut qty, mut price, mut discount, mut tax_rate) = (None, None, None, None, None);
        self.object(|scanner, key| {
            let slot = match key {
                "product" => &mut product,
                "qty" => &mut qty,
                "price" => &mut price,
                "discount" => &mut discount,
                "tax_rate" => &mut tax_rate,
                _ => return None,
            };
            set_once(slot, scanner.string()?)
        })?;
        Some(RawLine {
            product: product?,
            qty: qty?,
            price: price?,
            discount,
            tax_rate,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"number":"SZ-1","type":"sales-out","date":"2026-01-05","partner":"C001","warehouse":"SZ-W","lines":[{"product":"P001","qty":"17","price":"21.50","discount":"0.04","tax_rate":"0.13"}]}"#;

    #[test]
    fn scans_the_common_shape_with_whitespace() {
        let spaced = LINE.replace(',', " ,\t").replace(':', " : ").replace('{', " { ");
        for text in [LINE, spaced.as_str()] {
            let raw = scan_document(text).expect("common shape");
            assert_eq!(raw.number, "SZ-1");
            assert_eq!(raw.partner, Some("C001"));
            assert_eq!(raw.red_of, None);
            assert_eq!(raw.lines[0].price, "21.50");
            assert_eq!(raw.lines[0].tax_rate, Some("0.13"));
        }
    }

    #[test]
    fn gives_up_on_what_serde_must_judge() {
        for (from, to) in [
            (r#""SZ-1""#, r#""SZ\u002d1""#),
            (r#""partner":"C001""#, r#""partner":null"#),
            (r#""qty":"17""#, r#""qty":17"#),
            (r#""qty":"17""#, r#""qty":"17","qty":"18""#),
            (r#""warehouse":"SZ-W","#, ""),
            (r#""number""#, r#""numbre""#),
            (r#""discount""#, r#""discounts""#),
            (r#"0.13"}]}"#, r#"0.13"}]}x"#),
            (r#"0.13"}]}"#, r#"0.13"},]}"#),
        ] {
            let text = LINE.replace(from, to);
            assert_ne!(text, LINE);
            assert_eq!(scan_document(&text), None, "{text}");
        }
    }
}
