//! What a method hands back, read off its body in pass 1, before any file is checked.
//!
//! `Book.objects.search(q)` is a queryset when some QuerySet or Manager method of the
//! tree named `search` returns one. The check learns that too, but only once the file
//! declaring `search` is checked: every file asking earlier was checked again (117 of
//! the 161 files the bench corpus's cold run checked again, 40 of them on `search`).
//! Read off the declarations, the answer is known before the first file is checked and
//! never changes while the index settles.

use ruff_python_ast::{self as ast, Expr, Stmt};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::semantic::value::QUERYSET_METHODS;

/// One `return` of a method whose value may be a queryset.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum ReturnShape {
    /// `return self`: a queryset in a QuerySet method, a manager in a Manager method.
    Receiver,
    /// `return <anything>.name(...)`. `prefetch`: the chain calls `prefetch_related` or
    /// `select_related` on its way, `name` included; `through`: the other methods it
    /// calls that are not Django's (`self.live().name()`: `live`), which prefetch if
    /// the tree's declarations of them do. Held for every method of a class with bases
    /// until the index is built: kept small (most chains go through none).
    Method {
        name: Box<str>,
        prefetch: bool,
        through: Box<[Box<str>]>,
    },
    /// `return Class(...)` (dotted, as pass 1 resolves it): a queryset when the class
    /// is a QuerySet.
    Construct(String),
}

/// Every way `body` may return, when each is one of the shapes; None when some return
/// is something else, or there is none. `dotted` resolves a callee as pass 1 does.
pub(crate) fn method_returns(
    body: &[Stmt],
    receiver: Option<&str>,
    dotted: &dyn Fn(&Expr) -> Option<String>,
) -> Option<Vec<ReturnShape>> {
    let mut walk = Walk {
        receiver,
        dotted,
        assigned: HashMap::default(),
        returned: Vec::new(),
        bare_return: false,
        unknown: HashSet::default(),
    };
    walk.body(body);
    if walk.bare_return || walk.returned.is_empty() {
        return None;
    }
    let mut shapes = Vec::new();
    for value in std::mem::take(&mut walk.returned) {
        walk.shapes(value, &mut shapes, &mut HashSet::default(), 0)?;
    }
    shapes.dedup();
    Some(shapes)
}

/// The names of the tree's QuerySet and Manager methods that return querysets, with
/// whether one of their declarations prefetches: the least fixpoint over `methods`
/// (name, shapes), where a call of Django's queryset methods, `get_queryset`, or one of
/// these names is a queryset, and `is_queryset_class` says which classes construct one.
pub(crate) fn queryset_methods<'a>(
    methods: &[(&'a str, &'a [ReturnShape])],
    is_queryset_class: &dyn Fn(&str) -> bool,
) -> HashMap<String, bool> {
    let mut known: HashMap<String, bool> = HashMap::default();
    loop {
        let mut grew = false;
        for (name, shapes) in methods {
            let mut prefetch = false;
            let all = shapes.iter().all(|shape| match shape {
                ReturnShape::Receiver => true,
                ReturnShape::Method {
                    name: method,
                    prefetch: prefetches,
                    through,
                } => {
                    prefetch |= *prefetches
                        || known.get(&**method) == Some(&true)
                        || through
                            .iter()
                            .any(|called| known.get(&**called) == Some(&true));
                    QUERYSET_METHODS.contains(&&**method)
                        || &**method == "get_queryset"
                        || known.contains_key(&**method)
                }
                ReturnShape::Construct(class) => is_queryset_class(class),
            });
            if !all {
                continue;
            }
            let entry = known.get(*name).copied();
            if entry != Some(entry.unwrap_or(false) | prefetch) {
                known.insert(name.to_string(), entry.unwrap_or(false) | prefetch);
                grew = true;
            }
        }
        if !grew {
            return known;
        }
    }
}

struct Walk<'a, 'b> {
    receiver: Option<&'a str>,
    dotted: &'b dyn Fn(&Expr) -> Option<String>,
    /// Local name -> every value assigned to it.
    assigned: HashMap<&'a str, Vec<&'a Expr>>,
    returned: Vec<&'a Expr>,
    /// A bare `return`: the method may return None.
    bare_return: bool,
    /// Names bound some other way (a `for` target, `with ... as`, unpacking, an
    /// augmented assignment other than `|=`/`&=`): what they hold is not known.
    unknown: HashSet<&'a str>,
}

impl<'a> Walk<'a, '_> {
    fn body(&mut self, body: &'a [Stmt]) {
        for stmt in body {
            self.stmt(stmt);
        }
    }

    fn stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Return(ret) => match ret.value.as_deref() {
                Some(value) => self.returned.push(value),
                None => self.bare_return = true,
            },
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    self.bind(target, Some(&assign.value));
                }
            }
            Stmt::AnnAssign(assign) => self.bind(&assign.target, assign.value.as_deref()),
            Stmt::AugAssign(assign) => {
                let combines = matches!(assign.op, ast::Operator::BitOr | ast::Operator::BitAnd);
                self.bind(&assign.target, combines.then_some(assign.value.as_ref()));
            }
            Stmt::If(stmt) => {
                self.body(&stmt.body);
                for clause in &stmt.elif_else_clauses {
                    self.body(&clause.body);
                }
            }
            Stmt::Try(stmt) => {
                self.body(&stmt.body);
                for handler in &stmt.handlers {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    if let Some(name) = &handler.name {
                        self.unknown.insert(name.as_str());
                    }
                    self.body(&handler.body);
                }
                self.body(&stmt.orelse);
                self.body(&stmt.finalbody);
            }
            Stmt::For(stmt) => {
                self.bind(&stmt.target, None);
                self.body(&stmt.body);
                self.body(&stmt.orelse);
            }
            Stmt::While(stmt) => {
                self.body(&stmt.body);
                self.body(&stmt.orelse);
            }
            Stmt::With(stmt) => {
                for item in &stmt.items {
                    if let Some(target) = &item.optional_vars {
                        self.bind(target, None);
                    }
                }
                self.body(&stmt.body);
            }
            Stmt::Match(stmt) => {
                // Capture patterns bind names the shapes cannot follow; returns in a
                // case are read, and a returned capture is simply not a known shape.
                for case in &stmt.cases {
                    self.body(&case.body);
                }
            }
            // Their returns are their own.
            _ => {}
        }
    }

    /// Records what `target` is bound to; None, or a target other than a name, makes
    /// the names it binds unknown.
    fn bind(&mut self, target: &'a Expr, value: Option<&'a Expr>) {
        match (target, value) {
            (Expr::Name(name), Some(value)) => self
                .assigned
                .entry(name.id.as_str())
                .or_default()
                .push(value),
            (Expr::Name(name), None) => {
                self.unknown.insert(name.id.as_str());
            }
            (
                Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }),
                _,
            ) => {
                for element in elts {
                    self.bind(element, None);
                }
            }
            (Expr::Starred(starred), _) => self.bind(&starred.value, None),
            _ => {}
        }
    }

    /// Adds the methods a call chain calls (`a.b().c()`: `c`, `b`), through the values
    /// of the local names it starts from.
    /// Each name is followed once (`seen`): `qs = qs.filter(...)` assigned ten times
    /// would otherwise be followed ten times over at every step back. The chain is
    /// walked in a loop: a 50 000-deep one must not overflow the stack.
    fn called(&self, expr: &'a Expr, out: &mut Vec<String>, seen: &mut HashSet<&'a str>) {
        let mut expr = expr;
        loop {
            match expr {
                Expr::Call(call) => {
                    let Expr::Attribute(attribute) = call.func.as_ref() else {
                        return;
                    };
                    out.push(attribute.attr.to_string());
                    expr = &attribute.value;
                }
                Expr::Attribute(attribute) => expr = &attribute.value,
                Expr::Subscript(subscript) => expr = &subscript.value,
                Expr::Name(name) => {
                    if !seen.insert(name.id.as_str()) {
                        return;
                    }
                    for value in self.assigned.get(name.id.as_str()).into_iter().flatten() {
                        self.called(value, out, seen);
                    }
                    return;
                }
                _ => return,
            }
        }
    }

    /// Adds the shapes `value` may have; None when one is not a shape.
    /// `seen` holds the names being followed: one met again adds nothing new.
    fn shapes(
        &self,
        value: &'a Expr,
        out: &mut Vec<ReturnShape>,
        seen: &mut HashSet<&'a str>,
        depth: usize,
    ) -> Option<()> {
        // Hostile input nests 50 000 deep; no queryset expression does.
        if depth > 64 {
            return None;
        }
        match value {
            Expr::Name(name) if Some(name.id.as_str()) == self.receiver => {
                out.push(ReturnShape::Receiver);
                Some(())
            }
            Expr::Name(name) => {
                if self.unknown.contains(name.id.as_str()) {
                    return None;
                }
                let values = self.assigned.get(name.id.as_str())?;
                if !seen.insert(name.id.as_str()) {
                    return Some(());
                }
                for value in values {
                    self.shapes(value, out, seen, depth + 1)?;
                }
                Some(())
            }
            Expr::BinOp(ast::ExprBinOp {
                left,
                op: ast::Operator::BitOr | ast::Operator::BitAnd,
                right,
                ..
            }) => {
                self.shapes(left, out, seen, depth + 1)?;
                self.shapes(right, out, seen, depth + 1)
            }
            // `qs[:50]` is a queryset when `qs` is one.
            Expr::Subscript(subscript) if matches!(subscript.slice.as_ref(), Expr::Slice(_)) => {
                self.shapes(&subscript.value, out, seen, depth + 1)
            }
            Expr::If(conditional) => {
                self.shapes(&conditional.body, out, seen, depth + 1)?;
                self.shapes(&conditional.orelse, out, seen, depth + 1)
            }
            Expr::Call(call) => match call.func.as_ref() {
                Expr::Attribute(attribute) => {
                    let mut chain = Vec::new();
                    self.called(value, &mut chain, &mut HashSet::default());
                    let prefetch = chain.iter().any(|m| CACHES_RELATIONS.contains(&m.as_str()));
                    let name = attribute.attr.as_str();
                    chain.retain(|m| m != name && !QUERYSET_METHODS.contains(&m.as_str()));
                    chain.sort_unstable();
                    chain.dedup();
                    out.push(ReturnShape::Method {
                        name: name.into(),
                        prefetch,
                        through: chain.into_iter().map(String::into_boxed_str).collect(),
                    });
                    Some(())
                }
                func => {
                    out.push(ReturnShape::Construct((self.dotted)(func)?));
                    Some(())
                }
            },
            _ => None,
        }
    }
}

/// Methods whose queryset serves its rows' relations from a cache: prefetched, or
/// joined into the same query.
const CACHES_RELATIONS: &[&str] = &["prefetch_related", "select_related"];

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes_of(source: &str) -> Option<Vec<ReturnShape>> {
        let parsed = crate::parse::parse_module(source);
        let Some(Stmt::FunctionDef(f)) = parsed.body.first() else {
            panic!("a def");
        };
        let dotted = |expr: &Expr| match expr {
            Expr::Name(name) => Some(format!("shop.qs.{}", name.id)),
            _ => None,
        };
        method_returns(&f.body, Some("self"), &dotted)
    }

    /// The shape of a call of `name`, prefetching or not, through `through`.
    fn method(name: &str, prefetch: bool, through: &[&str]) -> ReturnShape {
        ReturnShape::Method {
            name: name.into(),
            prefetch,
            through: through.iter().map(|m| (*m).into()).collect(),
        }
    }

    #[test]
    fn returns_read_through_local_names_and_branches() {
        assert_eq!(
            shapes_of(
                "def search(self, q):\n    qs = self.get_queryset()\n    if q:\n        qs = qs.prefetch_related('x').filter(q=q)\n    return qs.distinct()\n"
            ),
            Some(vec![method("distinct", true, &["get_queryset"])])
        );
        assert_eq!(
            shapes_of("def live(self):\n    return self if x else self.filter(live=True)\n"),
            Some(vec![ReturnShape::Receiver, method("filter", false, &[])])
        );
        assert_eq!(
            shapes_of("def get_queryset(self):\n    return PageQuerySet(self.model)\n"),
            Some(vec![ReturnShape::Construct("shop.qs.PageQuerySet".into())])
        );
        assert_eq!(
            shapes_of(
                "def f(self):\n    qs = self.all()\n    return qs.prefetch_related('a').all()\n"
            ),
            Some(vec![method("all", true, &[])])
        );
        assert_eq!(
            shapes_of("def f(self):\n    return self.prefetch_related('a')\n"),
            Some(vec![method("prefetch_related", true, &[])])
        );
        assert_eq!(
            shapes_of("def f(self):\n    return self.lookup().filter(a=1)[:50]\n"),
            Some(vec![method("filter", false, &["lookup"])])
        );
        // A name bound by a loop, a bare return, a literal: not known.
        assert_eq!(
            shapes_of("def f(self):\n    for qs in x:\n        pass\n    return qs\n"),
            None
        );
        assert_eq!(
            shapes_of(
                "def f(self):\n    for x in y:\n        if x:\n            return self.none()\n    qs = self.all()\n    qs |= self.filter(a=1)\n    return qs\n"
            ),
            Some(vec![
                method("none", false, &[]),
                method("all", false, &[]),
                method("filter", false, &[])
            ])
        );
        assert_eq!(
            shapes_of("def f(self):\n    if x:\n        return\n    return self\n"),
            None
        );
        assert_eq!(shapes_of("def f(self):\n    return []\n"), None);
        assert_eq!(shapes_of("def f(self):\n    pass\n"), None);
    }

    #[test]
    fn the_fixpoint_follows_project_methods_and_their_prefetches() {
        let on_site = vec![method("filter", true, &[])];
        let search = vec![method("distinct", false, &["on_site"])];
        let get = vec![method("get", false, &[])];
        let page = vec![ReturnShape::Construct("shop.qs.PageQuerySet".into())];
        let broken = vec![method("unknown", false, &[])];
        let methods: Vec<(&str, &[ReturnShape])> = vec![
            ("search", &search),
            ("on_site", &on_site),
            ("get_for_user", &get),
            ("page", &page),
            ("broken", &broken),
        ];
        let known = queryset_methods(&methods, &|class| class == "shop.qs.PageQuerySet");
        let mut known: Vec<_> = known.into_iter().collect();
        known.sort();
        assert_eq!(
            known,
            vec![
                ("on_site".to_string(), true),
                ("page".to_string(), false),
                ("search".to_string(), true),
            ]
        );
    }
}
