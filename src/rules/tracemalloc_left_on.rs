//! DJM502 tracemalloc-left-on: tracing every allocation in production code.

use ruff_python_ast as ast;
use ruff_text_size::Ranged;

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::registry::Rule;

/// DJM502: `tracemalloc.start()` not guarded by a setting or environment check.
pub(crate) fn tracemalloc_left_on(checker: &mut Checker, call: &ast::ExprCall) {
    if checker.configuration_guards > 0 {
        return;
    }
    let Some(qualified) = checker.qualified_name(&call.func) else {
        return;
    };
    if qualified != "tracemalloc.start" {
        return;
    }
    checker.report(
        Diagnostic::new(
            Rule::TracemallocLeftOn,
            "`tracemalloc.start()` traces every allocation from here on: each live block keeps a traceback, which costs memory and time for the life of the process",
            call.range(),
        )
        .with_help("start it only when a setting or environment variable asks for it, and stop it when done"),
    );
}
