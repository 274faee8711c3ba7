//! DJM401 unbounded-cache: a memoizing decorator with no size limit keeps one entry per
//! distinct argument for the life of the process.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::registry::Rule;

/// What a decorator is, when it caches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CachingDecorator {
    /// `lru_cache` / `cachetools.func.lru_cache` with its maxsize (None: unbounded).
    LruCache(Option<Option<i64>>),
    /// `functools.cache`: `lru_cache(maxsize=None)`.
    Cache,
    /// cachetools `cached(cache=...)` with a plain dict.
    CachedWithDict,
    /// A project decorator that memoises into a dict of its own (`memoizers.rs`),
    /// bounded when it evicts.
    Project { bounded: bool },
}

/// Reads a decorator: `@lru_cache`, `@lru_cache(None)`, `@ft.lru_cache(maxsize=128)`,
/// `@cache`, `@cached(cache={})`, through the file's imports.
pub(crate) fn caching_decorator(checker: &Checker, decorator: &Expr) -> Option<CachingDecorator> {
    let (target, call) = match decorator {
        Expr::Call(call) => (call.func.as_ref(), Some(call)),
        other => (other, None),
    };
    let qualified = checker.qualified_name(target)?;
    match qualified.as_str() {
        "functools.lru_cache" | "cachetools.func.lru_cache" | "cachetools.func.ttl_cache" => {
            let maxsize = call.map(|call| maxsize_argument(checker, call));
            Some(CachingDecorator::LruCache(maxsize))
        }
        "functools.cache" => Some(CachingDecorator::Cache),
        "cachetools.cached" => {
            let cache = call.and_then(|call| {
                call.arguments
                    .keywords
                    .iter()
                    .find(|k| k.arg.as_deref() == Some("cache"))
                    .map(|k| &k.value)
                    .or(call.arguments.args.first())
            })?;
            let plain_dict = match cache {
                Expr::Dict(_) => true,
                Expr::Call(call) => {
                    matches!(call.func.as_ref(), Expr::Name(n) if n.id.as_str() == "dict")
                }
                _ => false,
            };
            plain_dict.then_some(CachingDecorator::CachedWithDict)
        }
        // A decorator of the tree, defined in this module or imported from another.
        _ => {
            let qualified = if qualified.contains('.') {
                qualified
            } else {
                crate::semantic::index::qualify(checker.semantic.index.module(), &qualified)
            };
            let bounded = checker.semantic.index.memoizer(&qualified)?;
            Some(CachingDecorator::Project { bounded })
        }
    }
}

/// `maxsize`: `Some(n)` for a constant, `None` for `maxsize=None`; a decorator called
/// with no arguments keeps the default (128).
fn maxsize_argument(checker: &Checker, call: &ast::ExprCall) -> Option<i64> {
    let value = call
        .arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_deref() == Some("maxsize"))
        .map(|k| &k.value)
        .or(call.arguments.args.first());
    match value {
        None => Some(128),
        Some(Expr::NoneLiteral(_)) => None,
        Some(other) => Some(checker.constant_int(other).unwrap_or(128)),
    }
}

impl CachingDecorator {
    pub(crate) fn unbounded(self) -> bool {
        matches!(
            self,
            CachingDecorator::LruCache(Some(None))
                | CachingDecorator::Cache
                | CachingDecorator::CachedWithDict
                | CachingDecorator::Project { bounded: false }
        )
    }
}

/// DJM401: on a function (or static method) with at least one parameter whose values
/// are not a fixed set (classes, flags).
pub(crate) fn unbounded_cache(
    checker: &mut Checker,
    decorator: &Expr,
    kind: CachingDecorator,
    parameters: &[(String, bool)],
) {
    if !kind.unbounded() || parameters.is_empty() {
        return;
    }
    // Keyed by model or serializer classes and flags: the keys are the program's
    // classes, all known once it is imported.
    // Names of the program's pieces (`field_name`, `app_label`, `language`) too.
    let bounded = parameters.iter().all(|(name, flag)| {
        *flag
            || crate::rules::growing_global_container::class_like_name(name)
            || crate::checker::identifier_like_name(name)
    });
    if bounded {
        return;
    }
    let text = checker.snippet(decorator.range());
    let help = match kind {
        CachingDecorator::Project { .. } => {
            "make the decorator evict (a size limit, `lru_cache(maxsize=1024)` inside it) or cache outside the process"
        }
        _ => "give it a bound (`@lru_cache(maxsize=1024)`) or cache outside the process",
    };
    checker.report(
        Diagnostic::new(
            Rule::UnboundedCache,
            format!("`@{text}` keeps one entry for every distinct argument, forever: the cache only grows for the life of the worker"),
            decorator.range(),
        )
        .with_help(help),
    );
}
