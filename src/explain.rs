//! `dormlint explain`: a rule's Markdown document rendered for a terminal. Headings
//! stand out, code blocks are indented, links show their address.

/// Renders `doc`; `color` adds ANSI bold and dim.
pub fn render(doc: &str, color: bool) -> String {
    let (bold, dim, reset) = if color {
        ("\u{1b}[1m", "\u{1b}[2m", "\u{1b}[0m")
    } else {
        ("", "", "")
    };
    let mut out = String::new();
    let mut in_code = false;
    for line in doc.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            out.push_str(&format!("    {dim}{line}{reset}\n"));
        } else if let Some(title) = line.strip_prefix("# ") {
            out.push_str(&format!("{bold}{title}{reset}\n"));
            out.push_str(&format!("{}\n", "=".repeat(title.chars().count())));
        } else if let Some(heading) = line.strip_prefix("## ") {
            out.push_str(&format!("{bold}{heading}{reset}\n"));
        } else {
            out.push_str(&links(line));
            out.push('\n');
        }
    }
    out
}

/// `[text](url)` -> `text <url>`.
fn links(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find("](").map(|i| open + i) else {
            break;
        };
        let Some(end) = rest[close..].find(')').map(|i| close + i) else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&format!(
            "{} <{}>",
            &rest[open + 1..close],
            &rest[close + 2..end]
        ));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_headings_code_and_links() {
        let doc = "# DJM101: queryset-truthiness\n\nSee [the docs](https://x.y/z).\n\n## Example\n\n```python\nif qs:\n```\n";
        assert_eq!(
            render(doc, false),
            "DJM101: queryset-truthiness\n===========================\n\nSee the docs <https://x.y/z>.\n\nExample\n\n    if qs:\n"
        );
    }
}
