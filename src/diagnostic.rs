//! The findings rules produce, before they are located in rows and columns.

use ruff_text_size::TextRange;

use crate::registry::Rule;

#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub rule: Rule,
    pub message: String,
    pub range: TextRange,
    /// How to fix it, shown as `help:`.
    pub help: Option<String>,
    pub fix: Option<Fix>,
    /// Other places worth showing, with their label.
    pub secondary: Vec<(TextRange, String)>,
}

impl Diagnostic {
    pub fn new(rule: Rule, message: impl Into<String>, range: TextRange) -> Self {
        Diagnostic {
            rule,
            message: message.into(),
            range,
            help: None,
            fix: None,
            secondary: Vec::new(),
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }
}

/// A safe fix: applying it keeps the program's meaning (rules only offer one where the
/// queryset is not evaluated anyway).
#[derive(Clone, Debug)]
pub struct Fix {
    pub message: String,
    pub edits: Vec<Edit>,
}

#[derive(Clone, Debug)]
pub struct Edit {
    pub range: TextRange,
    pub content: String,
}

impl Fix {
    pub fn replacement(message: impl Into<String>, range: TextRange, content: String) -> Fix {
        Fix {
            message: message.into(),
            edits: vec![Edit { range, content }],
        }
    }
}
