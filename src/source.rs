//! Source text of one file and the conversions between byte offsets and 1-based
//! row/column positions (columns count Unicode characters, as the JSON contract says).

use ruff_text_size::{TextRange, TextSize};

pub(crate) struct LineIndex {
    /// Byte offset of the start of every line. A line ends at `\n`, `\r\n` or a lone `\r`,
    /// like CPython's tokenizer.
    line_starts: Vec<u32>,
}

/// A 1-based row and a 1-based column counted in characters.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Position {
    pub row: usize,
    pub column: usize,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0u32];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => line_starts.push(i as u32 + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => line_starts.push(i as u32 + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex { line_starts }
    }

    /// The 0-based line that contains `offset`.
    pub(crate) fn line_of(&self, offset: TextSize) -> usize {
        let offset = u32::from(offset);
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// The text of 0-based `line` without its line ending.
    pub(crate) fn line_text<'a>(&self, text: &'a str, line: usize) -> &'a str {
        let start = self.line_starts[line] as usize;
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(text.len(), |&s| s as usize);
        text[start..end].trim_end_matches(['\n', '\r'])
    }

    pub(crate) fn position(&self, text: &str, offset: TextSize) -> Position {
        let line = self.line_of(offset);
        let start = self.line_starts[line] as usize;
        let end = (u32::from(offset) as usize).min(text.len());
        let column = text
            .get(start..end)
            .map_or(end - start, |prefix| prefix.chars().count());
        Position {
            row: line + 1,
            column: column + 1,
        }
    }
}

/// The text covered by `range`, or "" when the range does not fall on char boundaries.
pub(crate) fn slice(text: &str, range: TextRange) -> &str {
    text.get(usize::from(range.start())..usize::from(range.end()))
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_and_all_line_endings_split() {
        let text = "a = 1\r\nb = 'é'; c\rd\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_starts.len(), 4);
        let c = text.find('c').unwrap();
        assert_eq!(
            index.position(text, TextSize::from(c as u32)),
            Position { row: 2, column: 10 }
        );
        let d = text.find('d').unwrap();
        assert_eq!(
            index.position(text, TextSize::from(d as u32)),
            Position { row: 3, column: 1 }
        );
    }
}
