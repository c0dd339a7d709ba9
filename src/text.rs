//! Substring search without the standard library's `&str` searcher.
//!
//! `str::find`, `split_once` and `replace` with a `&str` pattern bring the
//! two-way searcher into the wasm, and with it a slicing panic whose message
//! formats characters (`char::escape_debug` and the Unicode printable
//! tables). The texts searched here are short messages and URLs, so a plain
//! byte scan is fast enough and keeps all of that out.

/// Returns the byte index of the first occurrence of `needle` in `haystack`,
/// or `None` when there is none. An empty `needle` occurs at index 0.
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.as_bytes().windows(needle.len()).position(|window| window == needle.as_bytes())
}

/// Splits `text` around the first occurrence of `separator`, as
/// `str::split_once` does.
pub fn split_once<'a>(text: &'a str, separator: &str) -> Option<(&'a str, &'a str)> {
    let start = find(text, separator)?;
    // A match of a whole UTF-8 string starts and ends on character
    // boundaries, so both `get` calls succeed.
    Some((text.get(..start)?, text.get(start + separator.len()..)?))
}

/// Replaces every occurrence of `needle` in `text` by `replacement`, as
/// `str::replace` does, except that an empty `needle` leaves `text` as it is.
pub fn replace(text: &str, needle: &str, replacement: &str) -> String {
    if needle.is_empty() {
        return text.to_owned();
    }
    let mut replaced = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, after)) = split_once(rest, needle) {
        replaced.push_str(before);
        replaced.push_str(replacement);
        rest = after;
    }
    replaced.push_str(rest);
    replaced
}

#[cfg(test)]
mod tests {
    use super::{find, replace, split_once};

    #[test]
    fn find_matches_str_find() {
        let cases = [("", ""), ("abc", ""), ("abc", "c"), ("abcabc", "ca"), ("abc", "abcd"), ("Привет, мир", "мир"), ("a; b; c", "; ")];
        for (haystack, needle) in cases {
            assert_eq!(find(haystack, needle), haystack.find(needle), "{haystack:?} in {needle:?}");
        }
    }

    #[test]
    fn split_once_matches_str_split_once() {
        let cases = [("https://host/x", "://"), ("no scheme", "://"), ("a://b://c", "://"), ("://", "://"), ("ü://ö", "://")];
        for (text, separator) in cases {
            assert_eq!(split_once(text, separator), text.split_once(separator), "{text:?}");
        }
    }

    #[test]
    fn replace_matches_str_replace() {
        let cases = [("/rest/1/SECRET/x SECRET", "SECRET"), ("nothing here", "SECRET"), ("SECRETSECRET", "SECRET"), ("ёSECRETё", "SECRET")];
        for (text, needle) in cases {
            assert_eq!(replace(text, needle, "***"), text.replace(needle, "***"), "{text:?}");
        }
    }

    #[test]
    fn replace_ignores_empty_needle() {
        assert_eq!(replace("abc", "", "***"), "abc");
    }
}
