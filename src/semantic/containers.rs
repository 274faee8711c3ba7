//! Containers and caches that live as long as the process: module-level and class-level
//! dicts, lists, sets, deques and cache objects, with every place a function inserts
//! into them or evicts from them. DJM403 and DJM404 read this table when the walk ends.

use ruff_text_size::TextRange;

use super::FunctionId;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CacheType {
    /// `functools.lru_cache(maxsize=N)` on a function.
    LruCache,
    /// cachetools `LRUCache`, `FIFOCache`, `MRUCache`.
    Cachetools,
    /// cachetools `LFUCache`: also counts uses per key.
    LfuCache,
    /// cachetools `RRCache`: no ordering structure.
    RrCache,
    /// cachetools `TTLCache`: also keeps an expiry link per entry.
    TtlCache,
    /// `collections.deque(maxlen=N)`.
    Deque,
    /// A project class whose constructor takes a capacity.
    ProjectClass,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ContainerKind {
    /// `{}`, `[]`, `set()`, `defaultdict(list)`, `deque()`: grows until something evicts.
    Growable,
    /// A cache with a fixed capacity (when it is a constant dormlint can read).
    Bounded {
        cache: CacheType,
        capacity: Option<i64>,
    },
}

/// The shape of what is stored, as far as insertions show it (for DJM404's estimate).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Shape {
    Str,
    Int,
    Float,
    Dict(Vec<Shape>),
    Tuple(Vec<Shape>),
    Unknown,
}

#[derive(Clone, Debug)]
pub(crate) struct Container {
    pub(crate) name: String,
    /// The class for class attributes (`cache = {}` in a class body), else None.
    pub(crate) class: Option<String>,
    pub(crate) definition: TextRange,
    pub(crate) kind: ContainerKind,
    /// Where something is added, and in which function (None: at import time).
    pub(crate) insertions: Vec<(TextRange, Option<FunctionId>)>,
    /// Shapes of the values stored, from insertions whose value is visible.
    pub(crate) value_shapes: Vec<Shape>,
    /// Something removes entries, clears it, or rebinds it from a function.
    pub(crate) evicted: bool,
    /// A method binds `self.<name> = ...`: each instance has its own.
    pub(crate) shadowed: bool,
    /// For `lru_cache`: how many arguments make the key.
    pub(crate) key_arguments: usize,
    /// Bound to `self.<name>` in `__init__` of `class`: it lives as long as the process
    /// only when the class has one instance, made at import (DJM403 asks).
    pub(crate) instance: bool,
}

impl Container {
    pub(crate) fn new(
        name: &str,
        class: Option<String>,
        definition: TextRange,
        kind: ContainerKind,
    ) -> Self {
        Container {
            name: name.to_string(),
            class,
            definition,
            kind,
            insertions: Vec::new(),
            value_shapes: Vec::new(),
            evicted: false,
            shadowed: false,
            key_arguments: 1,
            instance: false,
        }
    }
}

/// Whether `container` is a related manager or a queryset rather than something in
/// memory: `team.members.add(user)`, `book.tag_set.remove(tag)`, `group.permissions.set(...)`
/// and `.clear()` write rows (an INSERT or DELETE on the join table) and keep nothing.
/// Known from the queryset inference: a relation the project declares, `<name>_set`.
pub(crate) fn is_database_relation(
    semantic: &super::SemanticModel,
    container: &ruff_python_ast::Expr,
) -> bool {
    matches!(
        semantic.infer(container),
        super::Value::Manager(_) | super::Value::Queryset(_) | super::Value::Iterator(_)
    )
}

/// `x.add(a, b)` or `x.add(*objs)`: a related manager's signature (a set's `add` takes
/// one element), so a relation the index cannot see (a model from an installed
/// package, `user.groups`) is still not taken for a container.
pub(crate) fn has_manager_add_signature(call: &ruff_python_ast::ExprCall) -> bool {
    call.arguments.args.len() > 1
        || call
            .arguments
            .args
            .iter()
            .any(ruff_python_ast::Expr::is_starred_expr)
}
