//! Small byte-level helpers for HTTP tokens and lists (RFC 9110 §5.6).

/// `tchar` of RFC 9110 §5.6.2: the bytes a token (method, field name, coding) is made of.
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// ASCII case-insensitive equality (field names and most tokens are case-insensitive).
pub fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// `s` without leading and trailing spaces and tabs (OWS).
pub fn trim_ows(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| b != b' ' && b != b'\t');
    let Some(start) = start else {
        return &[];
    };
    let end = s
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .unwrap_or(start);
    &s[start..=end]
}

/// The non-empty, trimmed elements of a comma-separated list value (`#element`).
pub fn list_items(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim_ows)
        .filter(|item| !item.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_splits() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
        let items: alloc::vec::Vec<&[u8]> = list_items(b" close ,, Upgrade,").collect();
        assert_eq!(items, [&b"close"[..], &b"Upgrade"[..]]);
        assert!(is_tchar(b'~') && !is_tchar(b' ') && !is_tchar(b':'));
    }
}
