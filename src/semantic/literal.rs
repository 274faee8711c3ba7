//! Reading constants off the AST: the string, integer and boolean literals that rules
//! compare against (`related_name="books"`, `maxsize=None`, `chunk_size=2000`).

use ruff_python_ast::{self as ast, Expr};

/// The text of a string literal (implicitly concatenated parts joined), else None.
pub(crate) fn string(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::StringLiteral(literal) => Some(literal.value.to_str()),
        _ => None,
    }
}

/// The value of an integer literal that fits in an `i64`, else None.
pub(crate) fn int(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::NumberLiteral(ast::ExprNumberLiteral {
            value: ast::Number::Int(value),
            ..
        }) => value.as_i64(),
        _ => None,
    }
}

/// Whether `expr` is the literal `True` (`read_only=True`, `x__isnull=True`).
pub(crate) fn is_true(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::BooleanLiteral(ruff_python_ast::ExprBooleanLiteral { value: true, .. })
    )
}

/// Whether `expr` is `None`.
pub(crate) fn is_none(expr: &Expr) -> bool {
    matches!(expr, Expr::NoneLiteral(_))
}

/// A string, bytes, number, boolean or `None` literal: a value fixed in the source.
pub(crate) fn is_scalar(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
            | Expr::NumberLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NoneLiteral(_)
    )
}

/// Whether `expr` is any literal constant: a string, bytes, number, bool, None or `...`.
pub(crate) fn is_constant(expr: &Expr) -> bool {
    is_scalar(expr) || matches!(expr, Expr::EllipsisLiteral(_))
}

/// An integer literal, negative ones (`-1`) included.
pub(crate) fn signed_int(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::UnaryOp(unary) if unary.op == ast::UnaryOp::USub => {
            int(&unary.operand).and_then(i64::checked_neg)
        }
        _ => int(expr),
    }
}

/// A subscript fixed in the source: `[0]`, `[-1]`, `[:5]`, `[2:10]`. `rows[i]` with a
/// computed `i` (a loop over positions) may read every item.
pub(crate) fn is_fixed_position(slice: &Expr) -> bool {
    match slice {
        Expr::Slice(slice) => [&slice.lower, &slice.upper, &slice.step]
            .into_iter()
            .flatten()
            .all(|part| signed_int(part).is_some()),
        other => signed_int(other).is_some(),
    }
}
