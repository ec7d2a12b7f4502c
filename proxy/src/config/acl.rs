//! ACL tests (`acl <name> <criterion> [flags] <patterns>`, manual 7.1) and rule conditions
//! (`if|unless <terms>`, manual 7.2).
//!
//! Supported criteria: `path`, `path_beg`, `path_end`, `path_sub`, `hdr(<name>)`,
//! `hdr_beg(<name>)`, `hdr_end(<name>)`, `hdr_sub(<name>)`, `method`, `src`. Flags: `-i`,
//! `-m str|beg|end|sub|found|ip`, `--`. Regular expressions, pattern files and integer operators
//! are rejected: the firmware has no regex engine and no filesystem.

use super::error::{ErrorKind, Fail};
use super::lexer::Word;
use super::model::{
    Acl, AclRef, AclTerm, AclTest, BuiltinAcl, Condition, Fetch, Matcher, StrMatch,
};
use super::value;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Criteria bareproxy supports, for error messages.
pub(crate) const SUPPORTED_CRITERIA: &str = "path, path_beg, path_end, path_sub, hdr(<name>), hdr_beg(<name>), hdr_end(<name>), hdr_sub(<name>), method, src";

/// Parses `<criterion> [flags] <patterns...>` (the words after `acl <name>`, or inside `{ }`).
/// `at` is the column to blame when `words` is empty.
pub(crate) fn parse_test(words: &[Word], at: u32) -> Result<AclTest, Fail> {
    let Some((criterion, rest)) = words.split_first() else {
        return Err(Fail::new(
            ErrorKind::MissingArgument,
            Some(at),
            format!("missing ACL criterion (supported: {SUPPORTED_CRITERIA})"),
        ));
    };
    let (fetch, implied) = parse_criterion(criterion)?;

    let mut ignore_case = false;
    let mut method: Option<(&str, u32)> = None;
    let mut index = 0;
    while let Some(word) = rest.get(index) {
        if !word.text.starts_with('-') {
            break;
        }
        index += 1;
        match word.text.as_str() {
            "--" => break,
            "-i" => ignore_case = true,
            "-m" => {
                let Some(m) = rest.get(index) else {
                    return Err(Fail::new(
                        ErrorKind::MissingArgument,
                        Some(word.column),
                        "'-m' needs a matching method (str, beg, end, sub, found, ip)",
                    ));
                };
                index += 1;
                method = Some((m.text.as_str(), m.column));
            }
            "-f" => {
                return Err(unsupported(
                    word,
                    "pattern files ('-f') are not supported (the box has no filesystem); list the patterns on the line",
                ));
            }
            other => {
                return Err(Fail::new(
                    ErrorKind::Unsupported,
                    Some(word.column),
                    format!(
                        "ACL flag '{other}' is not supported by bareproxy (supported: -i, -m, --)"
                    ),
                ));
            }
        }
    }
    let patterns = &rest[index..];

    let kind = match (method, implied) {
        (Some(_), Some(_)) => {
            return Err(Fail::new(
                ErrorKind::InvalidValue,
                Some(criterion.column),
                format!(
                    "'-m' cannot be used with '{}', which already implies a matching method; use the plain fetch with '-m'",
                    criterion.text
                ),
            ));
        }
        (Some((m, column)), None) => MatchKind::from_flag(m, column)?,
        (None, Some(kind)) => MatchKind::Str(kind),
        (None, None) if fetch == Fetch::Src => MatchKind::Ip,
        (None, None) => MatchKind::Str(StrMatch::Exact),
    };

    let matcher = match kind {
        MatchKind::Found => {
            if let Some(extra) = patterns.first() {
                return Err(Fail::new(
                    ErrorKind::InvalidValue,
                    Some(extra.column),
                    "'-m found' takes no patterns",
                ));
            }
            Matcher::Found
        }
        MatchKind::Ip => {
            if fetch != Fetch::Src {
                return Err(Fail::new(
                    ErrorKind::InvalidValue,
                    Some(criterion.column),
                    "'-m ip' only applies to 'src'",
                ));
            }
            if ignore_case {
                return Err(Fail::new(
                    ErrorKind::InvalidValue,
                    Some(criterion.column),
                    "'-i' does not apply to 'src'",
                ));
            }
            let nets = patterns
                .iter()
                .map(|p| {
                    value::ip_net(&p.text)
                        .map_err(|m| Fail::new(ErrorKind::InvalidValue, Some(p.column), m))
                })
                .collect::<Result<Vec<_>, _>>()?;
            if nets.is_empty() {
                return Err(missing_patterns(criterion));
            }
            Matcher::Ip(nets)
        }
        MatchKind::Str(kind) => {
            if fetch == Fetch::Src {
                return Err(Fail::new(
                    ErrorKind::InvalidValue,
                    Some(criterion.column),
                    "'src' matches addresses and networks only (no string matching methods)",
                ));
            }
            if patterns.is_empty() {
                return Err(missing_patterns(criterion));
            }
            let mut out = Vec::with_capacity(patterns.len());
            for p in patterns {
                if p.text.chars().any(char::is_control) {
                    return Err(Fail::new(
                        ErrorKind::InvalidValue,
                        Some(p.column),
                        "control characters are not allowed in ACL patterns",
                    ));
                }
                if fetch == Fetch::Method {
                    value::method(&p.text)
                        .map_err(|m| Fail::new(ErrorKind::InvalidValue, Some(p.column), m))?;
                }
                out.push(p.text.clone());
            }
            Matcher::Str {
                kind,
                ignore_case,
                patterns: out,
            }
        }
    };
    Ok(AclTest { fetch, matcher })
}

enum MatchKind {
    Str(StrMatch),
    Found,
    Ip,
}

impl MatchKind {
    fn from_flag(text: &str, column: u32) -> Result<MatchKind, Fail> {
        Ok(match text {
            "str" => MatchKind::Str(StrMatch::Exact),
            "beg" => MatchKind::Str(StrMatch::Prefix),
            "end" => MatchKind::Str(StrMatch::Suffix),
            "sub" => MatchKind::Str(StrMatch::Substring),
            "found" => MatchKind::Found,
            "ip" => MatchKind::Ip,
            "reg" => {
                return Err(Fail::new(
                    ErrorKind::Unsupported,
                    Some(column),
                    "regular expressions ('-m reg') are not supported by bareproxy; use beg, end, sub or str",
                ));
            }
            other => {
                return Err(Fail::new(
                    ErrorKind::Unsupported,
                    Some(column),
                    format!(
                        "matching method '{other}' is not supported by bareproxy (supported: str, beg, end, sub, found, ip)"
                    ),
                ));
            }
        })
    }
}

fn unsupported(word: &Word, message: &str) -> Fail {
    Fail::new(ErrorKind::Unsupported, Some(word.column), message)
}

fn missing_patterns(criterion: &Word) -> Fail {
    Fail::new(
        ErrorKind::MissingArgument,
        Some(criterion.column),
        format!(
            "ACL criterion '{}' needs at least one pattern",
            criterion.text
        ),
    )
}

/// Splits a criterion such as `hdr_beg(host)` into its fetch and implied matching method.
fn parse_criterion(word: &Word) -> Result<(Fetch, Option<StrMatch>), Fail> {
    let text = word.text.as_str();
    let (base, arg) = match text.split_once('(') {
        Some((base, rest)) => match rest.strip_suffix(')') {
            Some(arg) => (base, Some(arg)),
            None => {
                return Err(Fail::new(
                    ErrorKind::InvalidValue,
                    Some(word.column),
                    format!("'{text}' is missing its closing ')'"),
                ));
            }
        },
        None => (text, None),
    };
    let (fetch_name, implied) = match base.rsplit_once('_') {
        Some((f, "beg")) => (f, Some(StrMatch::Prefix)),
        Some((f, "end")) => (f, Some(StrMatch::Suffix)),
        Some((f, "sub")) => (f, Some(StrMatch::Substring)),
        Some((_, "reg" | "regex")) => {
            return Err(Fail::new(
                ErrorKind::Unsupported,
                Some(word.column),
                format!(
                    "'{text}': regular expressions are not supported by bareproxy (no regex engine on the box); use _beg, _end or _sub"
                ),
            ));
        }
        _ => (base, None),
    };
    let fetch = match (fetch_name, arg) {
        ("path", None) => Fetch::Path,
        ("method", None) if implied.is_none() => Fetch::Method,
        ("src", None) if implied.is_none() => Fetch::Src,
        ("hdr", Some(name)) => {
            if name.contains(',') {
                return Err(Fail::new(
                    ErrorKind::Unsupported,
                    Some(word.column),
                    format!("'{text}': header occurrence numbers are not supported by bareproxy"),
                ));
            }
            value::header_name(name)
                .map_err(|m| Fail::new(ErrorKind::InvalidValue, Some(word.column), m))?;
            Fetch::Header(name.to_ascii_lowercase())
        }
        ("hdr", None) => {
            return Err(Fail::new(
                ErrorKind::MissingArgument,
                Some(word.column),
                format!("'{text}' needs a header name, as in '{base}(host)'"),
            ));
        }
        ("path" | "method" | "src", Some(_)) => {
            return Err(Fail::new(
                ErrorKind::InvalidValue,
                Some(word.column),
                format!("'{fetch_name}' takes no argument"),
            ));
        }
        _ => {
            return Err(Fail::new(
                ErrorKind::Unsupported,
                Some(word.column),
                format!(
                    "ACL criterion '{text}' is not supported by bareproxy (supported: {SUPPORTED_CRITERIA})"
                ),
            ));
        }
    };
    Ok((fetch, implied))
}

/// Parses a condition starting at `words[0]`, which is `if` or `unless`. Named ACLs are looked up
/// in `acls` (those declared so far, as HAProxy requires); unknown names may be HAProxy's
/// predefined ACLs. `note_http` is called with the column of every term that needs HTTP.
pub(crate) fn parse_condition(
    words: &[Word],
    acls: &[Acl],
    note_http: &mut dyn FnMut(u32, &str),
) -> Result<Condition, Fail> {
    let (first, rest) = words
        .split_first()
        .ok_or_else(|| Fail::new(ErrorKind::MissingArgument, None, "missing condition"))?;
    let negate = match first.text.as_str() {
        "if" => false,
        "unless" => true,
        other => {
            return Err(Fail::new(
                ErrorKind::InvalidValue,
                Some(first.column),
                format!("expected 'if' or 'unless', found '{other}'"),
            ));
        }
    };
    let mut any_of: Vec<Vec<AclTerm>> = Vec::new();
    let mut group: Vec<AclTerm> = Vec::new();
    let mut negated = false;
    let mut pending_bang: Option<u32> = None;
    let mut index = 0;
    while let Some(word) = rest.get(index) {
        index += 1;
        let text = word.text.as_str();
        if text == "or" || text == "||" {
            if group.is_empty() || pending_bang.is_some() {
                return Err(Fail::new(
                    ErrorKind::InvalidValue,
                    Some(word.column),
                    format!("'{text}' must follow an ACL"),
                ));
            }
            any_of.push(core::mem::take(&mut group));
            continue;
        }
        if text == "!" {
            negated = !negated;
            pending_bang = Some(word.column);
            continue;
        }
        let acl = if text == "{" {
            let Some(close) = rest[index..].iter().position(|w| w.text == "}") else {
                return Err(Fail::new(
                    ErrorKind::Syntax,
                    Some(word.column),
                    "anonymous ACL '{' has no matching '}' (braces must be separate words)",
                ));
            };
            let inner = &rest[index..index + close];
            index += close + 1;
            let test = parse_test(inner, word.column)?;
            if test.fetch.needs_http() {
                note_http(word.column, "anonymous ACL");
            }
            AclRef::Anonymous(test)
        } else {
            let (name, bang) = match text.strip_prefix('!') {
                Some(name) => (name, true),
                None => (text, false),
            };
            if bang {
                negated = !negated;
            }
            if name.starts_with('{') || name.ends_with('}') || name == "}" {
                return Err(Fail::new(
                    ErrorKind::Syntax,
                    Some(word.column),
                    "'{' and '}' of an anonymous ACL must be separate words, as in '{ path_beg /api }'",
                ));
            }
            lookup(name, acls).ok_or_else(|| {
                Fail::new(
                    ErrorKind::UnknownAcl,
                    Some(word.column),
                    format!("unknown ACL '{name}' (an ACL must be declared with 'acl' in this section before it is used)"),
                )
            })?
        };
        if let AclRef::Builtin(b) = acl
            && b.needs_http()
        {
            note_http(word.column, b.name());
        }
        group.push(AclTerm { negated, acl });
        negated = false;
        pending_bang = None;
    }
    if let Some(column) = pending_bang {
        return Err(Fail::new(
            ErrorKind::InvalidValue,
            Some(column),
            "'!' must be followed by an ACL",
        ));
    }
    if group.is_empty() {
        let column = rest.last().map_or(first.column, |w| w.column);
        return Err(Fail::new(
            ErrorKind::MissingArgument,
            Some(column),
            format!(
                "'{}' must be followed by at least one ACL",
                if any_of.is_empty() {
                    first.text.as_str()
                } else {
                    "or"
                }
            ),
        ));
    }
    any_of.push(group);
    Ok(Condition { negate, any_of })
}

fn lookup(name: &str, acls: &[Acl]) -> Option<AclRef> {
    if let Some(index) = acls.iter().position(|a| a.name == name) {
        return Some(AclRef::Named(index));
    }
    BuiltinAcl::ALL
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(b, _)| AclRef::Builtin(*b))
}

/// Renders a test as configuration words (criterion, flags, patterns), used by `Display`.
pub(crate) fn render_test(test: &AclTest) -> Vec<String> {
    let mut out = Vec::new();
    let (base, arg) = match &test.fetch {
        Fetch::Path => ("path", None),
        Fetch::Header(name) => ("hdr", Some(name.as_str())),
        Fetch::Method => ("method", None),
        Fetch::Src => ("src", None),
    };
    let with_arg = |suffix: &str| match arg {
        Some(a) => format!("{base}{suffix}({a})"),
        None => format!("{base}{suffix}"),
    };
    match &test.matcher {
        Matcher::Str {
            kind,
            ignore_case,
            patterns,
        } => {
            let suffix = match kind {
                StrMatch::Exact => "",
                StrMatch::Prefix => "_beg",
                StrMatch::Suffix => "_end",
                StrMatch::Substring => "_sub",
            };
            if test.fetch == Fetch::Method && !suffix.is_empty() {
                out.push(with_arg(""));
                out.push(String::from("-m"));
                out.push(String::from(&suffix[1..]));
            } else {
                out.push(with_arg(suffix));
            }
            if *ignore_case {
                out.push(String::from("-i"));
            }
            if patterns.iter().any(|p| p.starts_with('-')) {
                out.push(String::from("--"));
            }
            out.extend(patterns.iter().cloned());
        }
        Matcher::Found => {
            out.push(with_arg(""));
            out.push(String::from("-m"));
            out.push(String::from("found"));
        }
        Matcher::Ip(nets) => {
            out.push(with_arg(""));
            out.extend(nets.iter().map(|n| format!("{}/{}", n.addr, n.prefix_len)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::lexer::split_line;

    fn test(line: &str) -> Result<AclTest, Fail> {
        parse_test(&split_line(line).unwrap(), 1)
    }

    #[test]
    fn criteria_and_flags() {
        let t = test("path_beg -i /api /static").unwrap();
        assert_eq!(t.fetch, Fetch::Path);
        assert_eq!(
            t.matcher,
            Matcher::Str {
                kind: StrMatch::Prefix,
                ignore_case: true,
                patterns: ["/api".into(), "/static".into()].into()
            }
        );
        let t = test("hdr(Host) -m end .example.com").unwrap();
        assert_eq!(t.fetch, Fetch::Header("host".into()));
        assert!(matches!(
            t.matcher,
            Matcher::Str {
                kind: StrMatch::Suffix,
                ..
            }
        ));
        assert_eq!(
            test("hdr(x-debug) -m found").unwrap().matcher,
            Matcher::Found
        );
        assert!(
            matches!(test("src 10.0.0.0/8 2001:db8::/32").unwrap().matcher, Matcher::Ip(n) if n.len() == 2)
        );
        assert!(
            matches!(test("path -- -weird").unwrap().matcher, Matcher::Str { ref patterns, .. } if patterns[0] == "-weird")
        );
    }

    #[test]
    fn rejections() {
        for (line, kind) in [
            ("path_reg ^/a", ErrorKind::Unsupported),
            ("path -m reg ^/a", ErrorKind::Unsupported),
            ("path -f /etc/list", ErrorKind::Unsupported),
            ("url_param(x) y", ErrorKind::Unsupported),
            ("hdr /x", ErrorKind::MissingArgument),
            ("hdr(host,1) x", ErrorKind::Unsupported),
            ("path_beg -m end /x", ErrorKind::InvalidValue),
            ("path", ErrorKind::MissingArgument),
            ("src -i 10.0.0.1", ErrorKind::InvalidValue),
            ("src host.lan", ErrorKind::InvalidValue),
            ("src_beg 10.", ErrorKind::Unsupported),
            ("hdr(a b) x", ErrorKind::InvalidValue),
            ("hdr(x) -m found y", ErrorKind::InvalidValue),
        ] {
            assert_eq!(test(line).map_err(|f| f.kind), Err(kind), "{line}");
        }
    }

    #[test]
    fn conditions() {
        let acls = [
            Acl {
                name: "is_api".into(),
                tests: Vec::new(),
            },
            Acl {
                name: "is_admin".into(),
                tests: Vec::new(),
            },
        ];
        let mut http = Vec::new();
        let mut cond = |line: &str| {
            parse_condition(&split_line(line).unwrap(), &acls, &mut |c, _| http.push(c))
        };
        let c = cond("if is_api !is_admin or ! is_admin || METH_POST").unwrap();
        assert!(!c.negate);
        assert_eq!(c.any_of.len(), 3);
        assert_eq!(
            c.any_of[0],
            [
                AclTerm {
                    negated: false,
                    acl: AclRef::Named(0)
                },
                AclTerm {
                    negated: true,
                    acl: AclRef::Named(1)
                },
            ]
        );
        assert_eq!(
            c.any_of[1],
            [AclTerm {
                negated: true,
                acl: AclRef::Named(1)
            }]
        );
        assert_eq!(
            c.any_of[2],
            [AclTerm {
                negated: false,
                acl: AclRef::Builtin(BuiltinAcl::MethPost)
            }]
        );
        let c = cond("unless { src 127.0.0.1 } TRUE").unwrap();
        assert!(c.negate);
        assert!(matches!(
            c.any_of[0][0].acl,
            AclRef::Anonymous(AclTest {
                fetch: Fetch::Src,
                ..
            })
        ));
        assert_eq!(c.any_of[0][1].acl, AclRef::Builtin(BuiltinAcl::True));
        for bad in [
            "if",
            "if or is_api",
            "if is_api or",
            "if !",
            "if nope",
            "if { path_beg /x",
            "if {path_beg /x}",
            "when is_api",
        ] {
            assert!(cond(bad).is_err(), "{bad}");
        }
        assert_eq!(cond("if nope").unwrap_err().kind, ErrorKind::UnknownAcl);
        assert_eq!(http, [38]);
    }
}
