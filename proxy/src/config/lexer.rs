//! Splits one configuration line into words, following HAProxy's quoting rules (manual 2.2
//! "Quoting and escaping"):
//!
//! - words are separated by spaces and tabs; an unquoted, unescaped `#` starts a comment;
//! - `\` escapes a space, `#`, `\`, `'`, `"` or `$`; `\r`, `\n`, `\t` and `\xHH` give those
//!   bytes; before any other character the backslash is kept (so `\1` stays `\1`, as in HAProxy);
//! - double quotes ("weak quoting") keep spaces, `#` and `'` literal but still honour escapes;
//! - single quotes ("strong quoting") keep everything literal up to the next `'`;
//! - quoted and unquoted pieces next to each other form one word.
//!
//! Deliberate differences: HAProxy expands environment variables (`$NAME`, `${NAME}`) inside
//! double quotes; bareproxy has no environment and rejects them. A `\` ending a line is not a line
//! continuation in HAProxy either, and is rejected rather than silently kept. Control characters
//! other than tab are rejected so that no CR/LF can sneak into a header value.

use super::limits::MAX_WORDS_PER_LINE;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// One word of a line after unquoting and unescaping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    /// The word's value.
    pub text: String,
    /// 1-based column (in characters) where the word starts.
    pub column: u32,
}

/// A lexical error: the column it was found at and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LexError {
    pub column: u32,
    pub message: String,
    /// The line is well-formed but exceeds a limit.
    pub limit: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Weak,
    Strong,
}

/// Splits `line` (without its line terminator) into words.
pub(crate) fn split_line(line: &str) -> Result<Vec<Word>, LexError> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut word_column = 0;
    let mut quote = Quote::None;
    let mut quote_column = 0;
    let mut chars = line.chars().zip(1u32..).peekable();

    while let Some((c, column)) = chars.next() {
        if c.is_control() && c != '\t' {
            return Err(LexError {
                column,
                message: format!("control character U+{:04X} is not allowed", u32::from(c)),
                limit: false,
            });
        }
        match quote {
            Quote::Strong => {
                if c == '\'' {
                    quote = Quote::None;
                } else {
                    current.push(c);
                }
                continue;
            }
            Quote::Weak => match c {
                '"' => quote = Quote::None,
                '\\' => escape(&mut chars, column, &mut current)?,
                '$' => reject_env_var(chars.peek().map(|&(n, _)| n), column, &mut current)?,
                _ => current.push(c),
            },
            Quote::None => {
                if c == ' ' || c == '\t' {
                    if in_word {
                        push_word(&mut words, &mut current, word_column, column)?;
                        in_word = false;
                    }
                    continue;
                }
                if c == '#' {
                    break;
                }
                if !in_word {
                    in_word = true;
                    word_column = column;
                }
                match c {
                    '"' => {
                        quote = Quote::Weak;
                        quote_column = column;
                    }
                    '\'' => {
                        quote = Quote::Strong;
                        quote_column = column;
                    }
                    '\\' => escape(&mut chars, column, &mut current)?,
                    _ => current.push(c),
                }
            }
        }
    }
    if quote != Quote::None {
        return Err(LexError {
            column: quote_column,
            message: String::from("unterminated quote"),
            limit: false,
        });
    }
    if in_word {
        push_word(&mut words, &mut current, word_column, word_column)?;
    }
    Ok(words)
}

fn push_word(
    words: &mut Vec<Word>,
    current: &mut String,
    column: u32,
    error_column: u32,
) -> Result<(), LexError> {
    if words.len() >= MAX_WORDS_PER_LINE {
        return Err(LexError {
            column: error_column,
            message: format!("too many words on one line (at most {MAX_WORDS_PER_LINE})"),
            limit: true,
        });
    }
    words.push(Word {
        text: core::mem::take(current),
        column,
    });
    Ok(())
}

/// Handles the character after a backslash at `column`.
fn escape<I>(
    chars: &mut core::iter::Peekable<I>,
    column: u32,
    out: &mut String,
) -> Result<(), LexError>
where
    I: Iterator<Item = (char, u32)>,
{
    let Some((next, _)) = chars.next() else {
        return Err(LexError {
            column,
            message: String::from(
                "a '\\' at the end of a line is not a line continuation in HAProxy syntax; \
                 write the whole directive on one line",
            ),
            limit: false,
        });
    };
    match next {
        ' ' | '#' | '\\' | '\'' | '"' | '$' => out.push(next),
        'r' => out.push('\r'),
        'n' => out.push('\n'),
        't' => out.push('\t'),
        'x' => {
            let hi = chars.next().and_then(|(c, _)| c.to_digit(16));
            let lo = chars.next().and_then(|(c, _)| c.to_digit(16));
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err(LexError {
                    column,
                    message: String::from("'\\x' must be followed by two hexadecimal digits"),
                    limit: false,
                });
            };
            let byte = (hi << 4) | lo;
            if byte >= 0x80 {
                return Err(LexError {
                    column,
                    message: format!("'\\x{byte:02x}' is not an ASCII character"),
                    limit: false,
                });
            }
            // A 7-bit value is always a valid char.
            out.push(char::from(byte as u8));
        }
        other => {
            out.push('\\');
            out.push(other);
        }
    }
    Ok(())
}

/// HAProxy expands `$NAME` and `${NAME}` inside double quotes; bareproxy has no environment.
fn reject_env_var(next: Option<char>, column: u32, out: &mut String) -> Result<(), LexError> {
    match next {
        Some(n) if n == '{' || n == '_' || n.is_ascii_alphabetic() => Err(LexError {
            column,
            message: String::from(
                "environment variables are not supported by bareproxy (the box has no \
                 environment); write the value itself, or '\\$' for a literal '$'",
            ),
            limit: false,
        }),
        _ => {
            out.push('$');
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &str) -> Vec<String> {
        split_line(line)
            .unwrap()
            .into_iter()
            .map(|w| w.text)
            .collect()
    }

    #[test]
    fn splits_on_blanks_and_stops_at_comments() {
        assert_eq!(texts("  bind\t:80  # web"), ["bind", ":80"]);
        assert_eq!(texts("# only a comment"), Vec::<String>::new());
        let words = split_line("  server s1 10.0.0.1:80").unwrap();
        assert_eq!(words[0].column, 3);
        assert_eq!(words[2].column, 13);
    }

    #[test]
    fn follows_haproxy_quoting_examples() {
        // Manual 2.2: these four spell the same word.
        let expected = ["log-format", "%{+Q}o %t %s %{-Q}r"];
        assert_eq!(texts(r"log-format %{+Q}o\ %t\ %s\ %{-Q}r"), expected);
        assert_eq!(texts(r#"log-format "%{+Q}o %t %s %{-Q}r""#), expected);
        assert_eq!(texts("log-format '%{+Q}o %t %s %{-Q}r'"), expected);
        assert_eq!(texts(r#"log-format "%{+Q}o %t"' %s'\ %{-Q}r"#), expected);
    }

    #[test]
    fn escapes() {
        assert_eq!(texts(r"a\#b c\\d \'x\' \1"), ["a#b", r"c\d", "'x'", r"\1"]);
        assert_eq!(texts(r#""a\"b" '\n' "\x41""#), ["a\"b", r"\n", "A"]);
        assert_eq!(texts(r#""" x"#), ["", "x"]);
        assert_eq!(texts(r#""\$HOME""#), ["$HOME"]);
        assert_eq!(texts("'$HOME'"), ["$HOME"]);
    }

    #[test]
    fn rejects_bad_lexemes_with_columns() {
        let err = split_line("bind \"abc").unwrap_err();
        assert_eq!(err.column, 6);
        assert!(err.message.contains("unterminated"));
        let err = split_line("server s1 \\").unwrap_err();
        assert_eq!(err.column, 11);
        assert!(err.message.contains("continuation"));
        let err = split_line("log \"${SYSLOG}\" local0").unwrap_err();
        assert_eq!(err.column, 6);
        assert!(err.message.contains("environment"));
        assert!(split_line("a \\xff").is_err());
        assert!(split_line("a \\x4").is_err());
        assert!(split_line("a\u{0}b").is_err());
    }

    #[test]
    fn limits_words_per_line() {
        let line = "w ".repeat(MAX_WORDS_PER_LINE);
        assert_eq!(split_line(&line).unwrap().len(), MAX_WORDS_PER_LINE);
        let line = "w ".repeat(MAX_WORDS_PER_LINE + 1);
        assert!(split_line(&line).is_err());
    }
}
