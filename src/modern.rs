//! Python 3.12-3.14 syntax that rustpython-parser 0.4 rejects: f-strings that reuse
//! their quote inside replacement fields (PEP 701), type-parameter defaults (PEP 696),
//! `except A, B:` without brackets (PEP 758) and t-strings (PEP 750). When a file does
//! not parse, these are blanked out with spaces of the same length, so every byte
//! offset stays where it was, and the file is parsed again. No rule needs what is
//! inside them.

/// The masked text, or None when there was nothing to mask.
pub(crate) fn mask(text: &str) -> Option<String> {
    let mut out = text.as_bytes().to_vec();
    let mut code = text.as_bytes().to_vec();
    let mut changed = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                let end = line_end(bytes, i);
                blank(&mut code, i, end);
                i = end;
            }
            b'\'' | b'"' => {
                let prefix_start = prefix_start(bytes, i);
                let prefix = &text[prefix_start..i];
                let Some(scan) = scan_string(bytes, i, prefix, 0) else {
                    // An unterminated string: the real syntax error, leave it.
                    break;
                };
                let lower = prefix.to_ascii_lowercase();
                let templated = lower.contains('t');
                if templated || (lower.contains('f') && scan.needs_312) {
                    // Keep `f`/`r` and the quotes; blank the prefix's `t` and the body.
                    for j in prefix_start..i {
                        if matches!(bytes[j], b't' | b'T') {
                            out[j] = b' ';
                        }
                    }
                    if templated {
                        // ` r"..."`: the remaining prefix letters must touch the quote.
                        let letters: Vec<u8> = (prefix_start..i)
                            .map(|j| out[j])
                            .filter(|b| *b != b' ')
                            .collect();
                        let start = i - letters.len();
                        blank(&mut out, prefix_start, i);
                        out[start..i].copy_from_slice(&letters);
                    }
                    blank(&mut out, scan.body_start, scan.body_end);
                    changed = true;
                }
                blank(&mut code, scan.body_start, scan.body_end);
                i = scan.end;
            }
            _ => i += 1,
        }
    }
    changed |= type_parameter_defaults(&code, &mut out);
    changed |= unbracketed_except(&code, &mut out);
    if !changed {
        return None;
    }
    String::from_utf8(out).ok()
}

/// Replaces bytes with spaces, keeping line breaks (and so every row).
fn blank(out: &mut [u8], start: usize, end: usize) {
    let end = end.min(out.len());
    for byte in &mut out[start..end] {
        if *byte != b'\n' && *byte != b'\r' {
            *byte = b' ';
        }
    }
}

fn line_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|b| *b == b'\n' || *b == b'\r')
        .map_or(bytes.len(), |p| from + p)
}

/// Where the letters before a quote start, when they are a string prefix.
fn prefix_start(bytes: &[u8], quote: usize) -> usize {
    let mut start = quote;
    while start > 0
        && quote - start < 2
        && matches!(
            bytes[start - 1].to_ascii_lowercase(),
            b'r' | b'b' | b'f' | b'u' | b't'
        )
    {
        start -= 1;
    }
    // `xf"..."` is a name followed by a string, not a prefix.
    if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
        return quote;
    }
    start
}

struct Scanned {
    body_start: usize,
    body_end: usize,
    end: usize,
    /// Uses something only Python 3.12 allows in an f-string's replacement fields.
    needs_312: bool,
}

/// Scans the string literal whose quote is at `at`, with Python 3.12 rules for f- and
/// t-strings: replacement fields may hold any expression, strings with any quotes
/// included.
fn scan_string(bytes: &[u8], at: usize, prefix: &str, depth: usize) -> Option<Scanned> {
    if depth > 32 {
        return None;
    }
    let quote = bytes[at];
    let triple = bytes.get(at + 1) == Some(&quote) && bytes.get(at + 2) == Some(&quote);
    let width = if triple { 3 } else { 1 };
    let lower = prefix.to_ascii_lowercase();
    let raw = lower.contains('r');
    let formatted = lower.contains('f') || lower.contains('t');
    let mut i = at + width;
    let body_start = i;
    let mut needs_312 = false;
    let closes = |i: usize| {
        bytes[i] == quote
            && (!triple || (bytes.get(i + 1) == Some(&quote) && bytes.get(i + 2) == Some(&quote)))
    };
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'\\' && !raw {
            i += 2;
            continue;
        }
        if !triple && (byte == b'\n' || byte == b'\r') {
            return None;
        }
        if closes(i) {
            return Some(Scanned {
                body_start,
                body_end: i,
                end: i + width,
                needs_312,
            });
        }
        if formatted && byte == b'{' {
            if bytes.get(i + 1) == Some(&b'{') {
                i += 2;
                continue;
            }
            let (field_end, field_needs) = scan_field(bytes, i + 1, quote, triple, depth)?;
            needs_312 |= field_needs;
            i = field_end;
            continue;
        }
        i += 1;
    }
    None
}

/// A replacement field from just after `{` to just after its `}`.
fn scan_field(
    bytes: &[u8],
    mut i: usize,
    quote: u8,
    triple: bool,
    depth: usize,
) -> Option<(usize, bool)> {
    let mut brackets = 0usize;
    let mut needs_312 = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' => {
                let start = prefix_start(bytes, i);
                let prefix = std::str::from_utf8(&bytes[start..i]).unwrap_or("");
                // Before 3.12 the field could not use the enclosing quote at all.
                if bytes[i] == quote {
                    needs_312 = true;
                }
                let inner = scan_string(bytes, i, prefix, depth + 1)?;
                needs_312 |= inner.needs_312;
                i = inner.end;
                continue;
            }
            b'\\' | b'#' => needs_312 = true,
            b'\n' | b'\r' if !triple => needs_312 = true,
            b'(' | b'[' | b'{' => brackets += 1,
            b')' | b']' => brackets = brackets.saturating_sub(1),
            b'}' if brackets > 0 => brackets -= 1,
            b'}' => return Some((i + 1, needs_312)),
            b':' if brackets == 0 => {
                // The format spec, which may hold nested fields.
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != b'}' {
                    if bytes[j] == b'{' {
                        let (end, nested) = scan_field(bytes, j + 1, quote, triple, depth + 1)?;
                        needs_312 |= nested;
                        j = end;
                        continue;
                    }
                    j += 1;
                }
                return Some((j + 1, needs_312));
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// The offsets where `word` stands alone in the code view.
fn keyword_positions<'a>(code: &'a [u8], word: &'a str) -> impl Iterator<Item = usize> + 'a {
    let w = word.as_bytes();
    (0..code.len().saturating_sub(w.len())).filter(move |&i| {
        &code[i..i + w.len()] == w
            && (i == 0 || !is_word(code[i - 1]))
            && code.get(i + w.len()).is_none_or(|b| !is_word(*b))
    })
}

/// `def f[T = int]()`, `class C[T = int]:`, `type A[T = int] = ...`: the defaults go.
fn type_parameter_defaults(code: &[u8], out: &mut [u8]) -> bool {
    let mut changed = false;
    for keyword in ["def", "class", "type"] {
        for at in keyword_positions(code, keyword) {
            let mut i = at + keyword.len();
            while i < code.len() && code[i] == b' ' {
                i += 1;
            }
            while i < code.len() && is_word(code[i]) {
                i += 1;
            }
            if code.get(i) != Some(&b'[') {
                continue;
            }
            let mut depth = 0usize;
            let mut blanking = false;
            let mut j = i;
            while j < code.len() {
                match code[j] {
                    b'[' | b'(' | b'{' => depth += 1,
                    b']' | b')' | b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    b',' if depth == 1 => blanking = false,
                    b'=' if depth == 1
                        && code.get(j + 1) != Some(&b'=')
                        && !matches!(code[j - 1], b'=' | b'!' | b'<' | b'>') =>
                    {
                        blanking = true;
                        changed = true;
                    }
                    _ => {}
                }
                if blanking && code[j] != b'\n' {
                    out[j] = b' ';
                }
                j += 1;
            }
        }
    }
    changed
}

/// `except A, B:` -> `except A   :` (the other types are not needed by any rule).
fn unbracketed_except(code: &[u8], out: &mut [u8]) -> bool {
    let mut changed = false;
    for at in keyword_positions(code, "except") {
        let mut i = at + "except".len();
        if code.get(i) == Some(&b'*') {
            i += 1;
        }
        let mut depth = 0usize;
        let mut comma = None;
        while i < code.len() && code[i] != b'\n' {
            match code[i] {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                b',' if depth == 0 && comma.is_none() => comma = Some(i),
                b':' if depth == 0 => break,
                _ => {}
            }
            i += 1;
        }
        if let Some(comma) = comma
            && code.get(i) == Some(&b':')
        {
            blank(out, comma, i);
            changed = true;
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parses(text: &str) -> bool {
        rustpython_parser::parse(text, rustpython_parser::Mode::Module, "t.py").is_ok()
    }

    #[test]
    fn each_construct_is_masked_and_offsets_stay() {
        let cases = [
            "x = {f'site__{fields['site'].name}': 1}\n",
            "s = f\"{\", \".join(names)}\"\n",
            "s = f'{x!r:>{width}}' + f'{a['b']}'\n",
            "def first[T = int](items: list[T]) -> T:\n    return items[0]\n",
            "class Box[T = str, U = int]:\n    pass\n",
            "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n",
            "greeting = t'hello {name}'\nraw = rt'{x}\\d'\n",
        ];
        for case in cases {
            assert!(!parses(case), "already parses: {case}");
            let masked = mask(case).unwrap_or_else(|| panic!("nothing masked: {case}"));
            assert_eq!(masked.len(), case.len());
            assert_eq!(masked.matches('\n').count(), case.matches('\n').count());
            assert!(parses(&masked), "still fails: {masked:?}");
        }
    }

    #[test]
    fn valid_311_code_is_left_alone() {
        assert_eq!(
            mask("s = f'{a[\"b\"]}'  # f'{x['y']}'\nt = 'it''s'\n"),
            None
        );
    }
}
