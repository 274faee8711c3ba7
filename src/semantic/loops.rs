//! Shapes of loop code that decide how often a query runs and whether a loop's rows
//! outlive it: read off the syntax, asked by the checker when it meets a loop or an `if`.

use ruff_python_ast::{self as ast, Expr, Stmt};

/// `if current != row.key: current = row.key; ...`: the body runs when the key changes,
/// once per group of an ordered loop, not once per row. True when the test compares a
/// name with `!=` (or `is None`) and the body rebinds that name.
pub(crate) fn is_change_guard(test: &Expr, body: &[Stmt]) -> bool {
    fn compared_names<'t>(test: &'t Expr, names: &mut Vec<&'t str>) {
        match test {
            Expr::BoolOp(boolop) => {
                for value in &boolop.values {
                    compared_names(value, names);
                }
            }
            Expr::Compare(compare) if compare.ops.len() == 1 => {
                let is_none = matches!(compare.comparators[0], Expr::NoneLiteral(_));
                match (
                    compare.ops[0],
                    compare.left.as_ref(),
                    &compare.comparators[0],
                ) {
                    (ast::CmpOp::NotEq, Expr::Name(name), _)
                    | (ast::CmpOp::NotEq, _, Expr::Name(name)) => names.push(name.id.as_str()),
                    (ast::CmpOp::Is, Expr::Name(name), _) if is_none => {
                        names.push(name.id.as_str())
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let mut names = Vec::new();
    compared_names(test, &mut names);
    !names.is_empty()
        && body.iter().any(|stmt| match stmt {
            Stmt::Assign(assign) => assign.targets.iter().any(
                |target| matches!(target, Expr::Name(name) if names.contains(&name.id.as_str())),
            ),
            _ => false,
        })
}

/// A loop body that stores every whole row, or its serialization, into a container made
/// before the loop (`data.append(row.as_dict())`, `seen.add(row)`, `by_pk[k] = row` at the
/// top level of the body, not under a condition): the rows' data outlives the loop
/// whatever the result cache does.
pub(crate) fn collects_every_row(body: &[Stmt], target: &Expr) -> bool {
    body.iter().any(|stmt| match stmt {
        Stmt::Expr(expr) => match expr.value.as_ref() {
            Expr::Call(call) => {
                matches!(
                    call.func.as_ref(),
                    Expr::Attribute(attribute)
                        if matches!(attribute.attr.as_str(), "append" | "add" | "appendleft")
                            && matches!(attribute.value.as_ref(), Expr::Name(_))
                ) && call
                    .arguments
                    .args
                    .first()
                    .is_some_and(|arg| holds_the_row(arg, target))
            }
            _ => false,
        },
        Stmt::Assign(assign) => {
            holds_the_row(&assign.value, target)
                && assign.targets.iter().any(|t| {
                    matches!(t, Expr::Subscript(subscript) if matches!(subscript.value.as_ref(), Expr::Name(_)))
                })
        }
        _ => false,
    })
}

/// The loop variable itself, or a whole-row serialization of it: a call it is handed to
/// (`dump(row)`) or a method of it (`row.as_dict()`), or a tuple/dict display holding one.
pub(crate) fn holds_the_row(expr: &Expr, target: &Expr) -> bool {
    let Expr::Name(variable) = target else {
        return false;
    };
    let is_variable = |e: &Expr| matches!(e, Expr::Name(name) if name.id == variable.id);
    match expr {
        e if is_variable(e) => true,
        Expr::Call(call) => {
            call.arguments.args.iter().any(&is_variable)
                || matches!(call.func.as_ref(), Expr::Attribute(attribute) if is_variable(&attribute.value))
        }
        Expr::Tuple(tuple) => tuple.elts.iter().any(|e| holds_the_row(e, target)),
        Expr::Dict(dict) => dict.items.len() > 2,
        _ => false,
    }
}

/// For `.values("a", "b")` rows: the element reads every field the rows hold
/// (`row["a"]`, or a tuple `(row["a"], row["b"])`), so what it keeps is the row's data.
pub(crate) fn holds_every_value(expr: &Expr, target: &Expr, fields: &[String]) -> bool {
    let Expr::Name(variable) = target else {
        return false;
    };
    let key = |e: &Expr| match e {
        Expr::Subscript(subscript) => match (subscript.value.as_ref(), subscript.slice.as_ref()) {
            (Expr::Name(name), Expr::StringLiteral(key)) if name.id == variable.id => {
                Some(key.value.to_str().to_string())
            }
            _ => None,
        },
        _ => None,
    };
    let read: Vec<String> = match expr {
        Expr::Tuple(tuple) => tuple.elts.iter().filter_map(key).collect(),
        other => key(other).into_iter().collect(),
    };
    !fields.is_empty() && fields.iter().all(|field| read.contains(field))
}

/// A loop body that writes a line for every row into something built in memory: a CSV
/// or spreadsheet writer (`writer.writerow([row.pk, row.name])`, `sheet.append(...)`),
/// a response or buffer (`response.write(...)`), a list (`lines.append(...)`), each
/// called at the top level of the body with an argument that reads the loop variable.
/// A body that `yield`s streams instead.
pub(crate) fn writes_every_row(body: &[Stmt], target: &Expr) -> bool {
    let Expr::Name(variable) = target else {
        return false;
    };
    fn reads(expr: &Expr, name: &str) -> bool {
        let mut found = false;
        let mut visitor = NameFinder {
            name,
            found: &mut found,
        };
        ruff_python_ast::visitor::Visitor::visit_expr(&mut visitor, expr);
        found
    }
    struct NameFinder<'n, 'f> {
        name: &'n str,
        found: &'f mut bool,
    }
    impl<'a> ruff_python_ast::visitor::Visitor<'a> for NameFinder<'_, '_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Name(n) if n.id.as_str() == self.name => *self.found = true,
                Expr::Yield(_) | Expr::YieldFrom(_) => {}
                _ => ruff_python_ast::visitor::walk_expr(self, expr),
            }
        }
    }
    let streams = body.iter().any(|stmt| {
        matches!(stmt, Stmt::Expr(e) if matches!(e.value.as_ref(), Expr::Yield(_) | Expr::YieldFrom(_)))
    });
    !streams
        && body.iter().any(|stmt| match stmt {
            Stmt::Expr(expr) => match expr.value.as_ref() {
                Expr::Call(call) => {
                    matches!(
                        call.func.as_ref(),
                        Expr::Attribute(attribute)
                            if matches!(
                                attribute.attr.as_str(),
                                "writerow" | "write" | "append" | "add_row" | "append_row"
                            )
                    ) && call
                        .arguments
                        .args
                        .iter()
                        .any(|arg| reads(arg, variable.id.as_str()))
                }
                _ => false,
            },
            _ => false,
        })
}
