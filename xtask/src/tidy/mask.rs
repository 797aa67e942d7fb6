//! Masking for the tidy rules: comments and the text of literals blanked, so rules see only code.

/// `source` with comments and the text of string and char literals blanked to spaces.
///
/// Line breaks stay, so line numbers hold; the quotes of string literals stay, so
/// `reason = "` is still visible.
pub(super) fn mask(source: &str) -> String {
    Masker::run(source).text
}

/// The scanner behind [`mask`], which also notes the lines that begin inside a string literal or
/// a block comment (so a `///` there is not a doc comment).
pub(super) struct Masker {
    /// The masked text.
    pub(super) text: String,
    line: usize,
    /// The 0-based lines that begin inside a string literal or a block comment, ascending.
    pub(super) continued: Vec<usize>,
}

impl Masker {
    /// Scans `source` once.
    pub(super) fn run(source: &str) -> Self {
        let chars: Vec<char> = source.chars().collect();
        let at = |index: usize| chars.get(index).copied();
        let mut out = Self {
            text: String::with_capacity(source.len()),
            line: 0,
            continued: Vec::new(),
        };
        let mut index = 0;
        while let Some(c) = at(index) {
            let next = at(index + 1);
            if c == '/' && next == Some('/') {
                while let Some(c) = at(index).filter(|&c| c != '\n') {
                    out.blank(c);
                    index += 1;
                }
            } else if c == '/' && next == Some('*') {
                let mut depth = 0_usize;
                while let Some(c) = at(index) {
                    if c == '/' && at(index + 1) == Some('*') {
                        depth += 1;
                        out.text.push_str("  ");
                        index += 2;
                    } else if c == '*' && at(index + 1) == Some('/') {
                        depth -= 1;
                        out.text.push_str("  ");
                        index += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        out.blank(c);
                        index += 1;
                    }
                }
            } else if c == '"' {
                out.text.push('"');
                index += 1;
                while let Some(c) = at(index) {
                    index += 1;
                    if c == '"' {
                        out.text.push('"');
                        break;
                    }
                    out.blank(c);
                    if c == '\\'
                        && let Some(escaped) = at(index)
                    {
                        out.blank(escaped);
                        index += 1;
                    }
                }
            } else if let Some(hashes) = raw_string_hashes(&chars, index) {
                // `r`, the hashes and the opening quote.
                out.text.push('r');
                out.text.extend(std::iter::repeat_n('#', hashes));
                out.text.push('"');
                index += hashes + 2;
                while let Some(c) = at(index) {
                    let closes =
                        c == '"' && (1..=hashes).all(|offset| at(index + offset) == Some('#'));
                    if closes {
                        out.text.push('"');
                        out.text.extend(std::iter::repeat_n('#', hashes));
                        index += hashes + 1;
                        break;
                    }
                    out.blank(c);
                    index += 1;
                }
            } else if c == '\'' && next == Some('\\') {
                // An escaped char literal: `'\n'`, `'\''`, `'\u{1F600}'`.
                out.text.push_str("'  ");
                index += 3;
                while let Some(c) = at(index) {
                    index += 1;
                    if c == '\'' {
                        out.text.push('\'');
                        break;
                    }
                    out.blank(c);
                }
            } else if c == '\'' && at(index + 2) == Some('\'') {
                out.text.push_str("' '");
                index += 3;
            } else {
                // Code, or the quote of a lifetime.
                out.code(c);
                index += 1;
            }
        }
        out
    }

    /// Keeps a character of code.
    fn code(&mut self, c: char) {
        self.text.push(c);
        if c == '\n' {
            self.line += 1;
        }
    }

    /// Blanks a character of a comment or literal; a line break inside one starts a continued
    /// line.
    fn blank(&mut self, c: char) {
        if c == '\n' {
            self.text.push('\n');
            self.line += 1;
            self.continued.push(self.line);
        } else {
            self.text.push(' ');
        }
    }
}

/// If a raw string literal (`r"…"`, `r#"…"#`, `br"…"`) starts at `index`, its number of hashes.
fn raw_string_hashes(chars: &[char], index: usize) -> Option<usize> {
    if chars.get(index) != Some(&'r') {
        return None;
    }
    let starts_word = match index.checked_sub(1).map(|before| chars[before]) {
        None => true,
        Some('b') => index < 2 || !is_ident_char(chars[index - 2]),
        Some(before) => !is_ident_char(before),
    };
    if !starts_word {
        return None;
    }
    let hashes = chars[index + 1..].iter().take_while(|&&c| c == '#').count();
    (chars.get(index + 1 + hashes) == Some(&'"')).then_some(hashes)
}

/// Whether `c` can be part of an identifier.
pub(super) fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn masking_blanks_comments_and_literals_but_keeps_lines_and_quotes() {
        let source = r##"let a = "x // y"; // note
let b = r#"raw "quoted""#; /* block
still block */ let c = '"';
let d = '\''; fn f<'a>(x: &'a str) {}"##;
        let masked = mask(source);
        assert_eq!(masked.lines().count(), source.lines().count());
        let masked: Vec<&str> = masked.lines().map(str::trim_end).collect();
        assert_eq!(masked[0], r#"let a = "      ";"#);
        assert_eq!(masked[1], r##"let b = r#"            "#;"##);
        assert_eq!(masked[2], "               let c = ' ';");
        assert_eq!(masked[3], "let d = '  '; fn f<'a>(x: &'a str) {}");
    }
}
