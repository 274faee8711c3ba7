//! What the project call graph (`semantic/callgraph.rs`) says of this file's functions:
//! whether each runs in a batch job, and whether it only ever runs in one-shot processes.
//! Functions are named as the graph names them: `f`, `C.m`, `outer.inner`, `outer.C.m`.

use crate::semantic::FunctionId;
use crate::semantic::index::last_segment;

use super::Checker;

/// Base classes that make a class an enumeration: its members are fixed at import, so a
/// cache on its methods holds at most one entry per member (ruff B019 and pylint
/// W1518 exempt them too).
const ENUM_BASES: &[&str] = &[
    "Enum",
    "IntEnum",
    "StrEnum",
    "Flag",
    "IntFlag",
    "Choices",
    "TextChoices",
    "IntegerChoices",
];

impl Checker<'_> {
    /// The graph's name of a function already pushed.
    pub(crate) fn graph_qualname(&self, function: FunctionId) -> String {
        let info = &self.semantic.functions[function];
        let class = info.class.as_ref().map(|(class, _)| class.as_str());
        self.graph_qualname_in(info.parent, class, &info.name)
    }

    /// The graph's name of `name` defined in `class` (innermost), inside `parent`.
    pub(crate) fn graph_qualname_in(
        &self,
        parent: Option<FunctionId>,
        class: Option<&str>,
        name: &str,
    ) -> String {
        let mut parts = Vec::new();
        if let Some(parent) = parent {
            parts.push(self.graph_qualname(parent));
        }
        parts.extend(class.map(str::to_string));
        parts.push(name.to_string());
        parts.join(".")
    }

    /// Whether the function only runs in one-shot processes (a management command,
    /// `migrate`, a script, tests), as the project's call graph has it.
    pub(crate) fn runs_only_once(&self, function: FunctionId) -> bool {
        let qualname = self.graph_qualname(function);
        self.semantic.index.is_one_shot(&qualname)
    }

    /// Whether the function runs in a batch job reached through calls from another
    /// function or module.
    pub(crate) fn reached_from_batch(&self, function: FunctionId) -> bool {
        let qualname = self.graph_qualname(function);
        self.semantic.index.is_batch(&qualname)
    }

    /// A class whose bases (qualified through the imports, or enumerations of this
    /// file) make it an enumeration.
    pub(crate) fn is_enum_class(&self, class: &ruff_python_ast::StmtClassDef) -> bool {
        class.bases().iter().any(|base| {
            let Some(qualified) = self.qualified_name(base) else {
                return false;
            };
            let name = last_segment(&qualified);
            ENUM_BASES.contains(&name) || self.enum_classes.contains(name)
        })
    }
}
