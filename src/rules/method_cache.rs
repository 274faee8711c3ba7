//! DJM402 method-cache: `lru_cache`, `cache` or cachetools' `cached(cache={})` on an
//! instance method keys on `self`, so every instance it was called on stays alive as
//! long as the cache.

use ruff_python_ast::Expr;
use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::registry::Rule;
use crate::rules::unbounded_cache::CachingDecorator;

/// DJM402
/// cachetools' `@cached(cache={})` counts too: its key is `hashkey(*args)`, `self`
/// included, and a plain dict never evicts.
pub(crate) fn method_cache(checker: &mut Checker, decorator: &Expr, kind: CachingDecorator) {
    let text = checker.snippet(decorator.range());
    let bound = if kind.unbounded() {
        ", and this cache has no size limit"
    } else {
        ""
    };
    checker.report(
        Diagnostic::new(
            Rule::MethodCache,
            format!("`@{text}` on a method keeps every `self` it was called with alive as part of the cache key{bound}"),
            decorator.range(),
        )
        .with_help("use `functools.cached_property`, a cache stored on the instance, or a module-level function of the values that matter"),
    );
}
