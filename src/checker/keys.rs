//! Bounded key spaces (DJM401, DJM403): keys whose distinct values are fixed by the
//! program or its configuration, so a cache keyed by them stops growing once each has
//! been seen. Classes and their names (`type(x)`, `cls.__name__`, tuples of them),
//! constants, settings values, installed apps (`apps.get_app_configs()`), the active
//! language, and strings built only from those (`f"Writable{type(s).__name__}"`).
//!
//! A local name is bounded when every assignment to it in its function is bounded (read
//! off the function's body before it is walked, so a later `x = request.GET["k"]`
//! counts too): a conservative, flow-insensitive answer.

use rustc_hash::FxHashSet as HashSet;

use ruff_python_ast::{self as ast, Expr, Stmt};

use super::Checker;
use crate::rules::growing_global_container::{class_like_name, keyed_by_class};
use crate::semantic::Value;

/// Attributes that name a piece of the program: a class, a module, a model, an app.
const IDENTIFIER_ATTRIBUTES: &[&str] = &[
    "__name__",
    "__qualname__",
    "__module__",
    "app_label",
    "model_name",
    "object_name",
    "label_lower",
    "db_table",
    "attname",
];

/// Parameter names that hold a piece of the program or its configuration, not data.
pub(crate) fn identifier_like_name(name: &str) -> bool {
    matches!(
        name,
        "field_name"
            | "module_name"
            | "app_label"
            | "app_name"
            | "model_name"
            | "attname"
            | "setting"
            | "setting_name"
            | "language"
            | "language_code"
            | "lang"
            | "locale"
    )
}

/// Calls whose result ranges over the installed program: apps, models, fields.
fn program_structure_call(name: &str) -> bool {
    matches!(
        name,
        "get_app_configs" | "get_models" | "get_fields" | "get_app_config" | "get_model"
    )
}

/// The active language (bounded by `settings.LANGUAGES`).
fn language_call(name: &str) -> bool {
    name.starts_with("get_language") || name.contains("locale")
}

/// Builtins that keep a bounded value bounded.
const PRESERVING_BUILTINS: &[&str] = &[
    "str",
    "int",
    "tuple",
    "frozenset",
    "list",
    "sorted",
    "repr",
    "bool",
    "getattr",
];
/// String methods that keep a bounded value bounded.
const PRESERVING_METHODS: &[&str] = &[
    "lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit", "format", "join", "replace",
    "items", "keys", "values", "title", "casefold",
];

impl Checker<'_> {
    /// Whether the values `key` can take are fixed by the program or its configuration.
    pub(crate) fn bounded_key(&self, key: &Expr) -> bool {
        let empty = HashSet::default();
        let locals = self.bounded_locals.last().unwrap_or(&empty);
        self.bounded_at(key, locals, 0)
    }

    /// `bounded_key` with `locals` as the bounded local names.
    fn bounded_at(&self, expr: &Expr, locals: &HashSet<String>, depth: usize) -> bool {
        if depth > 32 {
            return false;
        }
        let bounded = |e: &Expr| self.bounded_at(e, locals, depth + 1);
        if keyed_by_class(expr) {
            return true;
        }
        match expr {
            e if crate::semantic::literal::is_scalar(e) => true,
            Expr::FString(fstring) => fstring.value.elements().all(|element| match element {
                ast::InterpolatedStringElement::Literal(_) => true,
                ast::InterpolatedStringElement::Interpolation(interpolation) => {
                    bounded(&interpolation.expression)
                }
            }),
            Expr::BinOp(binop) => bounded(&binop.left) && bounded(&binop.right),
            Expr::Tuple(tuple) => tuple.elts.iter().all(bounded),
            Expr::Name(name) => {
                let name = name.id.as_str();
                locals.contains(name)
                    || self.semantic.resolve(name).is_some_and(|binding| {
                        matches!(
                            self.semantic.binding(binding).value,
                            Value::Class(_) | Value::ModelClass(_)
                        )
                    })
            }
            Expr::Attribute(attribute) => {
                let attr = attribute.attr.as_str();
                // `apps.app_configs`, `apps.all_models`: the installed apps and models.
                matches!(attr, "app_configs" | "all_models")
                    || IDENTIFIER_ATTRIBUTES.contains(&attr)
                    || is_settings(&attribute.value)
                    || self.is_class_constant(&attribute.value, attr)
                    || bounded(&attribute.value)
            }
            Expr::Subscript(subscript) => bounded(&subscript.value) && bounded(&subscript.slice),
            Expr::Call(call) => {
                let arguments_bounded = call.arguments.args.iter().all(bounded)
                    && call.arguments.keywords.iter().all(|k| bounded(&k.value));
                match call.func.as_ref() {
                    Expr::Name(name) => {
                        let name = name.id.as_str();
                        let builtin = PRESERVING_BUILTINS.contains(&name)
                            && self.semantic.resolve(name).is_none();
                        program_structure_call(name)
                            || language_call(name)
                            || (builtin && arguments_bounded)
                            || (builtin
                                && name == "getattr"
                                && call.arguments.args.first().is_some_and(is_settings))
                    }
                    Expr::Attribute(attribute) => {
                        let method = attribute.attr.as_str();
                        program_structure_call(method)
                            || language_call(method)
                            || (PRESERVING_METHODS.contains(&method)
                                && bounded(&attribute.value)
                                && arguments_bounded)
                    }
                    _ => false,
                }
            }
            Expr::Generator(generator) => {
                self.comprehension_bounded(&generator.elt, &generator.generators, locals, depth)
            }
            Expr::ListComp(list) => {
                self.comprehension_bounded(&list.elt, &list.generators, locals, depth)
            }
            _ => false,
        }
    }

    /// A comprehension over bounded iterables whose element is bounded, its targets
    /// counting as bounded names.
    fn comprehension_bounded(
        &self,
        element: &Expr,
        generators: &[ast::Comprehension],
        locals: &HashSet<String>,
        depth: usize,
    ) -> bool {
        let mut inner = locals.clone();
        for generator in generators {
            if !self.bounded_at(&generator.iter, &inner, depth + 1) {
                return false;
            }
            let mut targets = Vec::new();
            collect_target_names(&generator.target, &mut targets);
            inner.extend(targets);
        }
        self.bounded_at(element, &inner, depth + 1)
    }

    /// `self.X` where the class body binds `X` to a constant.
    fn is_class_constant(&self, receiver: &Expr, attr: &str) -> bool {
        let Expr::Name(name) = receiver else {
            return false;
        };
        if !matches!(name.id.as_str(), "self" | "cls") {
            return false;
        }
        self.semantic.current_class().is_some_and(|(class, _)| {
            self.class_constants
                .get(&class)
                .is_some_and(|names| names.contains(attr))
        })
    }

    /// Names of a function's parameters and locals whose every assignment is bounded
    /// (a greatest fixpoint: `name = "A" + type(x).__name__` then `name = f"B{name}"`).
    /// `constant_parameters` has bit i set when every caller passes a constant as the
    /// i-th parameter (the call graph).
    pub(crate) fn bounded_locals_of(
        &self,
        parameters: &[String],
        constant_parameters: u32,
        body: &[Stmt],
    ) -> HashSet<String> {
        let mut sources: Vec<(String, Source)> = Vec::new();
        assignments(body, &mut sources, 0);
        let bounded_parameter = |p: &String| identifier_like_name(p) || class_like_name(p);
        let mut names: HashSet<String> = sources.iter().map(|(name, _)| name.clone()).collect();
        // A parameter holds whatever callers pass: bounded only by its name.
        for (i, parameter) in parameters.iter().enumerate() {
            let passed_constant = i < 32 && constant_parameters & (1 << i) != 0;
            if bounded_parameter(parameter) || passed_constant {
                names.insert(parameter.clone());
            } else {
                names.remove(parameter);
            }
        }
        for _ in 0..16 {
            let mut removed = Vec::new();
            for (name, source) in &sources {
                if !names.contains(name) {
                    continue;
                }
                let ok = match source {
                    Source::Value(expr) => self.bounded_at(expr, &names, 0),
                    Source::Unknown => false,
                };
                if !ok {
                    removed.push(name.clone());
                }
            }
            if removed.is_empty() {
                break;
            }
            for name in removed {
                names.remove(&name);
            }
        }
        names
    }
}

/// `settings`, `django.conf.settings` (and `conf.settings`).
fn is_settings(expr: &Expr) -> bool {
    match expr {
        Expr::Name(name) => name.id.as_str() == "settings",
        Expr::Attribute(attribute) => attribute.attr.as_str() == "settings",
        _ => false,
    }
}

enum Source<'a> {
    Value(&'a Expr),
    Unknown,
}

/// Every assignment to a plain name in `body`, not descending into nested definitions.
fn assignments<'a>(body: &'a [Stmt], out: &mut Vec<(String, Source<'a>)>, depth: usize) {
    if depth > 64 {
        return;
    }
    for stmt in body {
        match stmt {
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    match target {
                        Expr::Name(name) => {
                            out.push((name.id.to_string(), Source::Value(&assign.value)))
                        }
                        other => unknown_targets(other, out),
                    }
                }
            }
            Stmt::AnnAssign(ann) => {
                if let (Expr::Name(name), Some(value)) = (ann.target.as_ref(), &ann.value) {
                    out.push((name.id.to_string(), Source::Value(value)));
                }
            }
            Stmt::AugAssign(aug) => {
                if let Expr::Name(name) = aug.target.as_ref() {
                    out.push((name.id.to_string(), Source::Value(&aug.value)));
                }
            }
            Stmt::For(f) => {
                // A loop variable ranges over its iterable: bounded iff the iterable is.
                let mut names = Vec::new();
                collect_target_names(&f.target, &mut names);
                for name in names {
                    out.push((name, Source::Value(&f.iter)));
                }
                assignments(&f.body, out, depth + 1);
                assignments(&f.orelse, out, depth + 1);
            }
            Stmt::While(w) => {
                assignments(&w.body, out, depth + 1);
                assignments(&w.orelse, out, depth + 1);
            }
            Stmt::If(i) => {
                assignments(&i.body, out, depth + 1);
                for clause in &i.elif_else_clauses {
                    assignments(&clause.body, out, depth + 1);
                }
            }
            Stmt::With(w) => {
                for item in &w.items {
                    if let Some(vars) = &item.optional_vars {
                        unknown_targets(vars, out);
                    }
                }
                assignments(&w.body, out, depth + 1);
            }
            Stmt::Try(t) => {
                assignments(&t.body, out, depth + 1);
                for ast::ExceptHandler::ExceptHandler(handler) in &t.handlers {
                    if let Some(name) = &handler.name {
                        out.push((name.to_string(), Source::Unknown));
                    }
                    assignments(&handler.body, out, depth + 1);
                }
                assignments(&t.orelse, out, depth + 1);
                assignments(&t.finalbody, out, depth + 1);
            }
            Stmt::Match(m) => {
                for case in &m.cases {
                    assignments(&case.body, out, depth + 1);
                }
            }
            Stmt::FunctionDef(f) => out.push((f.name.to_string(), Source::Unknown)),
            Stmt::ClassDef(c) => out.push((c.name.to_string(), Source::Unknown)),
            Stmt::Import(import) => {
                for alias in &import.names {
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                    out.push((bound.to_string(), Source::Unknown));
                }
            }
            Stmt::ImportFrom(import) => {
                for alias in &import.names {
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                    out.push((bound.to_string(), Source::Unknown));
                }
            }
            _ => {}
        }
    }
}

fn unknown_targets<'a>(target: &Expr, out: &mut Vec<(String, Source<'a>)>) {
    let mut names = Vec::new();
    collect_target_names(target, &mut names);
    out.extend(names.into_iter().map(|name| (name, Source::Unknown)));
}

fn collect_target_names(target: &Expr, out: &mut Vec<String>) {
    match target {
        Expr::Name(name) => out.push(name.id.to_string()),
        Expr::Tuple(t) => t.elts.iter().for_each(|e| collect_target_names(e, out)),
        Expr::List(l) => l.elts.iter().for_each(|e| collect_target_names(e, out)),
        Expr::Starred(s) => collect_target_names(&s.value, out),
        _ => {}
    }
}
