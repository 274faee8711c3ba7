//! Every rule: code, name, family, whether it is on by default, and its document
//! (embedded from `rules/CODE.md`, shown by `dormlint explain`).

use std::fmt;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Rule {
    InternalError,
    SyntaxError,
    UnreadableFile,
    UnusedNoqa,
    QuerysetTruthiness,
    QuerysetLen,
    QuerysetMembership,
    CountForExistence,
    ImportTimeQueryset,
    EvaluateThenSlice,
    AggregateInPython,
    MissingIterator,
    NestedQuerysetLoop,
    QueryInLoop,
    IteratorPrefetchWithoutChunkSize,
    ForeignKeyPerRow,
    UnboundedCascadeDelete,
    IteratorWithoutServerSideCursor,
    UnpaginatedListView,
    InstanceKeyedContainer,
    PickledQueryset,
    UnboundedCache,
    MethodCache,
    GrowingGlobalContainer,
    OversizedCache,
    DebugInProduction,
    TracemallocLeftOn,
    GunicornWithoutMaxRequests,
    CeleryWithoutChildRecycling,
    UwsgiWithoutMaxRequests,
    AccumulatedFileRead,
}

pub struct RuleInfo {
    pub rule: Rule,
    pub code: &'static str,
    pub name: &'static str,
    pub family: &'static str,
    pub default_enabled: bool,
    pub doc: &'static str,
}

macro_rules! rule {
    ($rule:ident, $code:literal, $name:literal, $family:literal) => {
        RuleInfo {
            rule: Rule::$rule,
            code: $code,
            name: $name,
            family: $family,
            default_enabled: true,
            doc: include_str!(concat!("../rules/", $code, ".md")),
        }
    };
}

pub static RULES: &[RuleInfo] = &[
    rule!(InternalError, "DJM000", "internal-error", "tool"),
    rule!(SyntaxError, "DJM001", "syntax-error", "tool"),
    rule!(UnreadableFile, "DJM002", "unreadable-file", "tool"),
    rule!(UnusedNoqa, "DJM003", "unused-noqa", "suppression"),
    rule!(
        QuerysetTruthiness,
        "DJM101",
        "queryset-truthiness",
        "evaluation"
    ),
    rule!(QuerysetLen, "DJM102", "queryset-len", "evaluation"),
    rule!(
        QuerysetMembership,
        "DJM103",
        "queryset-membership",
        "evaluation"
    ),
    rule!(
        CountForExistence,
        "DJM104",
        "count-for-existence",
        "evaluation"
    ),
    rule!(
        ImportTimeQueryset,
        "DJM105",
        "import-time-queryset",
        "evaluation"
    ),
    rule!(
        EvaluateThenSlice,
        "DJM106",
        "evaluate-then-slice",
        "evaluation"
    ),
    rule!(
        AggregateInPython,
        "DJM107",
        "aggregate-in-python",
        "evaluation"
    ),
    rule!(MissingIterator, "DJM201", "missing-iterator", "iteration"),
    rule!(
        NestedQuerysetLoop,
        "DJM202",
        "nested-queryset-loop",
        "iteration"
    ),
    rule!(QueryInLoop, "DJM203", "query-in-loop", "iteration"),
    rule!(
        IteratorPrefetchWithoutChunkSize,
        "DJM204",
        "iterator-prefetch-without-chunk-size",
        "iteration"
    ),
    rule!(
        ForeignKeyPerRow,
        "DJM205",
        "foreign-key-per-row",
        "iteration"
    ),
    rule!(
        UnboundedCascadeDelete,
        "DJM206",
        "unbounded-cascade-delete",
        "iteration"
    ),
    rule!(
        IteratorWithoutServerSideCursor,
        "DJM208",
        "iterator-without-server-side-cursor",
        "iteration"
    ),
    rule!(
        UnpaginatedListView,
        "DJM209",
        "unpaginated-list-view",
        "iteration"
    ),
    rule!(
        InstanceKeyedContainer,
        "DJM301",
        "instance-keyed-container",
        "instances"
    ),
    rule!(PickledQueryset, "DJM302", "pickled-queryset", "instances"),
    rule!(UnboundedCache, "DJM401", "unbounded-cache", "caches"),
    rule!(MethodCache, "DJM402", "method-cache", "caches"),
    rule!(
        GrowingGlobalContainer,
        "DJM403",
        "growing-global-container",
        "caches"
    ),
    rule!(OversizedCache, "DJM404", "oversized-cache", "caches"),
    rule!(
        DebugInProduction,
        "DJM501",
        "debug-in-production",
        "processes"
    ),
    rule!(
        TracemallocLeftOn,
        "DJM502",
        "tracemalloc-left-on",
        "processes"
    ),
    rule!(
        GunicornWithoutMaxRequests,
        "DJM503",
        "gunicorn-without-max-requests",
        "processes"
    ),
    rule!(
        CeleryWithoutChildRecycling,
        "DJM504",
        "celery-without-child-recycling",
        "processes"
    ),
    rule!(
        UwsgiWithoutMaxRequests,
        "DJM505",
        "uwsgi-without-max-requests",
        "processes"
    ),
    rule!(
        AccumulatedFileRead,
        "DJM506",
        "accumulated-file-read",
        "processes"
    ),
];

/// Rules that are on only with `--preview` / `preview = true`: their measured FALSE
/// share on the `eval/` corpus is above 10 %, or they are new and not yet measured.
pub const PREVIEW_RULES: &[Rule] = &[
    Rule::GrowingGlobalContainer,
    Rule::EvaluateThenSlice,
    Rule::AggregateInPython,
    Rule::PickledQueryset,
    Rule::IteratorWithoutServerSideCursor,
    Rule::UnpaginatedListView,
];

/// A context in which a stable rule reports only with `--preview`, because the `eval/`
/// read found its findings there not worth a reviewer's minute (figures in the rule's
/// document).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreviewContext {
    /// The queryset is the related rows of one object handed in (`self.rel.all()`,
    /// `obj.rel.filter()` with `obj` a parameter): a handful in practice, and often
    /// prefetched by a caller the analysis cannot see. An object fetched in the same
    /// function (`get_object_or_404`, `.get()`, a loop over a queryset) is not one.
    RelatedRows,
    /// The code is a migration: it runs once per deployment, mostly over small tables.
    Migrations,
    /// Every enclosing loop is over one object's related rows (`obj.rel.all()`, a
    /// filter on a foreign key): a handful of passes in practice.
    LoopOverRelatedRows,
    /// The function is batch context only because a batch job in another module reaches
    /// it through calls (the project's call graph): such helpers also serve requests
    /// and signals, and mostly read one object's rows or a configuration table.
    ReachedThroughCalls,
}

impl PreviewContext {
    pub fn describe(self) -> &'static str {
        match self {
            PreviewContext::RelatedRows => "on the related rows of an object handed in",
            PreviewContext::Migrations => "in migrations",
            PreviewContext::LoopOverRelatedRows => "in loops over one object's related rows",
            PreviewContext::ReachedThroughCalls => {
                "in functions a batch job in another module reaches through calls"
            }
        }
    }
}

impl Rule {
    /// Whether the rule is on only in preview mode.
    pub fn is_preview(self) -> bool {
        PREVIEW_RULES.contains(&self)
    }

    /// Where the rule reports only in preview mode, if anywhere.
    pub fn preview_contexts(self) -> &'static [PreviewContext] {
        match self {
            Rule::QuerysetTruthiness
            | Rule::QuerysetLen
            | Rule::QuerysetMembership
            | Rule::CountForExistence => &[PreviewContext::RelatedRows],
            Rule::MissingIterator | Rule::UnboundedCascadeDelete => &[
                PreviewContext::Migrations,
                PreviewContext::ReachedThroughCalls,
            ],
            Rule::NestedQuerysetLoop | Rule::QueryInLoop | Rule::ForeignKeyPerRow => &[
                PreviewContext::Migrations,
                PreviewContext::LoopOverRelatedRows,
            ],
            _ => &[],
        }
    }

    pub fn info(self) -> &'static RuleInfo {
        RULES
            .iter()
            .find(|info| info.rule == self)
            .expect("every rule is in the table")
    }

    pub fn code(self) -> &'static str {
        self.info().code
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Tool diagnostics report that a file could not be checked; they are on whatever
    /// `--select` says, unless ignored by name.
    pub fn is_tool(self) -> bool {
        matches!(
            self,
            Rule::InternalError | Rule::SyntaxError | Rule::UnreadableFile
        )
    }

    /// Families 1-3: the rules about querysets and model instances.
    pub fn is_query_rule(self) -> bool {
        matches!(self.info().family, "evaluation" | "iteration" | "instances")
    }

    /// Rules that judge the whole tree, not one file.
    pub fn is_tree_wide(self) -> bool {
        matches!(
            self,
            Rule::DebugInProduction
                | Rule::GunicornWithoutMaxRequests
                | Rule::CeleryWithoutChildRecycling
                | Rule::UwsgiWithoutMaxRequests
                | Rule::IteratorWithoutServerSideCursor
                | Rule::UnpaginatedListView
        )
    }

    pub fn from_code_or_name(text: &str) -> Option<Rule> {
        RULES
            .iter()
            .find(|info| info.code.eq_ignore_ascii_case(text) || info.name == text)
            .map(|info| info.rule)
    }
}

impl RuleInfo {
    /// The one-sentence summary under the document's title.
    pub fn summary(&self) -> &'static str {
        self.doc
            .lines()
            .skip_while(|line| line.starts_with('#') || line.trim().is_empty())
            .find(|line| !line.trim().is_empty())
            .unwrap_or("")
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// `DJM101`, a prefix such as `DJM2` or `DJM`, `ALL`, or a rule name.
pub fn select(selector: &str) -> Result<Vec<Rule>, String> {
    let upper = selector.trim().to_ascii_uppercase();
    if upper == "ALL" {
        return Ok(RULES.iter().map(|info| info.rule).collect());
    }
    let matched: Vec<Rule> = RULES
        .iter()
        .filter(|info| info.code.starts_with(&upper) || info.name == selector.trim())
        .map(|info| info.rule)
        .collect();
    if matched.is_empty() {
        Err(format!("unknown rule selector `{selector}`"))
    } else {
        Ok(matched)
    }
}
