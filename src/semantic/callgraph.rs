//! The project-wide call graph: which functions and methods refer to which, read off each
//! file's syntax in the declarations pass (so it is fixed for the whole run, like the
//! classes), and the two answers the rules take from it:
//!
//! - **batch context** (DJM201 and the loop rules): a function is in a batch job when a
//!   task, a management command, a function given to `RunPython` or a `post_migrate`
//!   handler reaches it through calls, in any module (`handle()` calling
//!   `Helper().run()`, a task calling a function of another module);
//! - **one-shot** (DJM401-403): a function that only ever runs in a process that ends
//!   soon (a management command, `migrate`, a script, a test run), so nothing it caches
//!   accumulates. Conservative: every reference to it must come from one-shot code, and
//!   a function nothing refers to (a view, a signal receiver, a framework hook) is not
//!   one-shot.
//!
//! Names are qualified as the checker qualifies them: `module.f`, `module.C.m`, and for
//! nested definitions the enclosing functions first (`module.outer.inner`,
//! `module.outer.C.m`, the innermost class only).

use rayon::prelude::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use ruff_python_ast::{self as ast, Expr, Stmt};

use crate::semantic::facts::{import_bindings, join_module};
use crate::semantic::index::{ClassKind, last_segment, modules_match};
use crate::semantic::returns::{self, ReturnShape};

/// What one file contributes to the call graph.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct GraphFacts {
    /// Everything in the file runs in a one-shot process: a migration, a management
    /// command module, test code, a developer script.
    pub(crate) one_shot_module: bool,
    pub(crate) functions: Vec<GraphFunction>,
    pub(crate) references: Vec<Reference>,
    /// Senders of `pre_delete`/`post_delete` receivers connected here (`@receiver(...)`,
    /// `signal.connect(...)`), as dotted names; `*` for a receiver of every sender.
    /// A receiver makes Django load every row a delete removes (DJM206).
    #[serde(default)]
    pub(crate) delete_receivers: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct GraphFunction {
    /// `f`, `C.m`, `outer.inner`.
    pub(crate) qualname: String,
    /// The innermost enclosing class, for methods: `C` (qualified by the module later).
    pub(crate) class: Option<String>,
    /// The enclosing function, by position in `functions`.
    pub(crate) parent: Option<u32>,
    /// Decorated as a task (`@shared_task`, `@app.task`, ... and `batch-decorators`).
    pub(crate) task: bool,
    /// Parameter names, in order (for matching callers' keyword arguments).
    #[serde(default)]
    pub(crate) parameters: Vec<String>,
    /// For methods: how each `return` hands back a value that may be a queryset, when
    /// all do (`returns::method_returns`). The index reads the tree's queryset methods
    /// off these before any file is checked. For module functions, `Some` and empty
    /// when every return may be one: only the checking order asks (`schedule::waves`).
    #[serde(default)]
    pub(crate) returns: Option<Vec<ReturnShape>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum ReferenceKind {
    /// A load of the name anywhere (a call, a callback, a base class, a decorator).
    Plain,
    /// Handed to `migrations.RunPython(...)` or connected to `post_migrate`: run by
    /// `migrate`, a one-shot batch job.
    MigrateEntry,
    /// `call_command("name")`: the target is a command name, not a dotted name.
    CallCommand,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) struct Reference {
    /// The function the reference is in (by position); None at module level or in a
    /// class body, which run when the module is imported.
    pub(crate) from: Option<u32>,
    /// A dotted name as far as the imports say (`shop.services.recompute`,
    /// `shop.jobs.Helper.run`), or a command name for `CallCommand`.
    pub(crate) target: String,
    pub(crate) kind: ReferenceKind,
    /// When the reference is called directly: whether each argument's value is fixed by
    /// the program (a constant, a settings value, a tuple of those), positional then by
    /// keyword. None for any other reference, or a call with `*args` / `**kwargs`.
    /// Boxed: most references are not direct calls, and a project holds 300 000 of
    /// them (the bench corpus), so the inline size of a reference is what counts.
    #[serde(default)]
    pub(crate) arguments: Option<Box<CallArguments>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) struct CallArguments {
    pub(crate) positional: Vec<bool>,
    pub(crate) keywords: Vec<(String, bool)>,
}

/// What test code contributes to the call graph: only that it refers to things, from
/// one-shot code. Test code is not part of the program the index describes (its
/// functions are no nodes, its `pre_delete` receivers listen to nothing, a task it
/// declares makes nothing batch), but a test double outside a `tests/` directory that
/// only tests refer to is one-shot, and a test's call passing a variable keeps a
/// parameter from counting as bounded. So each distinct reference is kept once, made
/// at module level of a one-shot module, and those into the test module itself
/// (`self.assertEqual`: its classes and functions are not in the index) are dropped:
/// the bench corpus's tests held half its 300 000 references, most of them repeats.
pub(crate) fn test_references(graph: GraphFacts, module: &str) -> GraphFacts {
    let mut seen: HashSet<Reference> = HashSet::default();
    let references = graph
        .references
        .into_iter()
        .filter_map(|mut reference| {
            let own = reference
                .target
                .strip_prefix(module)
                .is_some_and(|rest| rest.starts_with('.'));
            reference.from = None;
            (!own && seen.insert(reference.clone())).then_some(reference)
        })
        .collect();
    GraphFacts {
        one_shot_module: true,
        functions: Vec::new(),
        references,
        delete_receivers: Vec::new(),
    }
}

/// An argument whose value is fixed by the program or its configuration, read off its
/// syntax alone: a literal, `settings.X`, `getattr(settings, ...)`, a name `fixed` says
/// is one (a loop variable over one), and tuples, f-strings and `tuple(...)` /
/// generators built only from those.
fn constant_argument(
    expr: &Expr,
    targets: &[String],
    depth: usize,
    fixed: &dyn Fn(&str) -> bool,
) -> bool {
    if depth > 16 {
        return false;
    }
    let is_settings = |e: &Expr| match e {
        Expr::Name(n) => n.id.as_str() == "settings",
        Expr::Attribute(a) => a.attr.as_str() == "settings",
        _ => false,
    };
    match expr {
        e if crate::semantic::literal::is_scalar(e) => true,
        Expr::Name(n) => targets.iter().any(|t| t == n.id.as_str()) || fixed(n.id.as_str()),
        Expr::Attribute(a) => {
            is_settings(&a.value) || constant_argument(&a.value, targets, depth + 1, fixed)
        }
        Expr::Tuple(t) => t
            .elts
            .iter()
            .all(|e| constant_argument(e, targets, depth + 1, fixed)),
        Expr::List(l) => l
            .elts
            .iter()
            .all(|e| constant_argument(e, targets, depth + 1, fixed)),
        Expr::Call(call) => match call.func.as_ref() {
            Expr::Name(n) if n.id.as_str() == "getattr" => {
                call.arguments.args.first().is_some_and(is_settings)
            }
            Expr::Name(n) if matches!(n.id.as_str(), "tuple" | "list" | "frozenset" | "str") => {
                call.arguments.keywords.is_empty()
                    && call
                        .arguments
                        .args
                        .iter()
                        .all(|a| constant_argument(a, targets, depth + 1, fixed))
            }
            _ => false,
        },
        Expr::Generator(g) => {
            let mut inner = targets.to_vec();
            for generator in &g.generators {
                if !constant_argument(&generator.iter, &inner, depth + 1, fixed) {
                    return false;
                }
                if let Expr::Name(n) = &generator.target {
                    inner.push(n.id.to_string());
                } else {
                    return false;
                }
            }
            constant_argument(&g.elt, &inner, depth + 1, fixed)
        }
        _ => false,
    }
}

/// Directory names whose scripts (outside any package, run as `python contrib/x.py`)
/// are developer tools run once.
const SCRIPT_DIRECTORIES: &[&str] = &["contrib", "scripts", "tools", "bin"];

/// Whether a file runs only in one-shot processes, by where it lives.
pub(crate) fn one_shot_module(
    path: &std::path::Path,
    module: &str,
    is_test: bool,
    body: &[Stmt],
) -> bool {
    if is_test {
        return true;
    }
    let segments: Vec<&str> = module.split('.').collect();
    if segments.contains(&"migrations") {
        return true;
    }
    if segments.windows(2).any(|w| w == ["management", "commands"]) {
        return true;
    }
    // A file whose name is not an identifier cannot be imported: a script.
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let identifier = stem
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && stem.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !identifier && !stem.is_empty() {
        return true;
    }
    // A script outside any package, in a developer tools directory, run as `__main__`.
    let outside_package = !module.contains('.');
    let in_tools_directory = path.parent().is_some_and(|dir| {
        dir.components()
            .any(|c| SCRIPT_DIRECTORIES.contains(&c.as_os_str().to_string_lossy().as_ref()))
    });
    outside_package && in_tools_directory && body.iter().any(is_main_guard)
}

fn is_main_guard(stmt: &Stmt) -> bool {
    let Stmt::If(if_stmt) = stmt else {
        return false;
    };
    let Expr::Compare(compare) = if_stmt.test.as_ref() else {
        return false;
    };
    let is_name = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == "__name__");
    let is_main = |e: &Expr| matches!(e, Expr::StringLiteral(s) if s.value.to_str() == "__main__");
    compare.comparators.len() == 1
        && ((is_name(&compare.left) && is_main(&compare.comparators[0]))
            || (is_main(&compare.left) && is_name(&compare.comparators[0])))
}

/// Reads the call graph facts of one module.
pub(crate) fn graph_facts(
    body: &[Stmt],
    module: &str,
    one_shot_module: bool,
    batch_decorators: &[String],
) -> GraphFacts {
    let mut walk = Walk {
        module,
        batch_decorators,
        facts: GraphFacts {
            one_shot_module,
            ..GraphFacts::default()
        },
        scopes: vec![WalkScope::default()],
        functions: Vec::new(),
        class: None,
        class_has_bases: false,
        depth: 0,
        seen: HashMap::default(),
    };
    walk.predeclare(body);
    walk.body(body);
    // Every file's references stay in memory until the index is built: no spare room.
    walk.facts.references.shrink_to_fit();
    walk.facts
}

/// What a name means to the graph.
#[derive(Clone, Debug, PartialEq)]
enum Meaning {
    /// A module, function or class: its dotted name.
    Dotted(String),
    /// An instance of the class with this dotted name (`h = Helper()`, `self`).
    InstanceOf(String),
    /// A value fixed by the program or its configuration: the variable of a loop over
    /// one (`for path in settings.STATICFILES_FINDERS:`), as `constant_argument` reads.
    Fixed,
    /// Anything else (a local value, or bound to different things).
    Other,
}

#[derive(Default)]
struct WalkScope {
    is_class: bool,
    names: HashMap<String, Meaning>,
}

struct Walk<'a> {
    module: &'a str,
    batch_decorators: &'a [String],
    facts: GraphFacts,
    scopes: Vec<WalkScope>,
    /// The enclosing functions (positions in facts.functions), innermost last.
    functions: Vec<u32>,
    /// The innermost enclosing class, with its dotted name.
    class: Option<(String, String)>,
    /// The innermost class has bases: without any it is neither a QuerySet nor a
    /// Manager, and what its methods return is not recorded.
    class_has_bases: bool,
    depth: usize,
    /// A hash of each reference recorded -> its positions in `facts.references`: a
    /// file records each reference once, and a linear search of thousands of
    /// references for each new one was quadratic.
    seen: HashMap<u64, Vec<u32>>,
}

const MAX_DEPTH: usize = 400;

impl Walk<'_> {
    fn bind(&mut self, name: &str, meaning: Meaning) {
        let nested = self.scopes.len() > 1;
        let scope = self.scopes.last_mut().expect("module scope");
        // Bound to two different things in one scope: nothing is known.
        match scope.names.get(name) {
            Some(old) if *old != meaning && nested => {
                scope.names.insert(name.to_string(), Meaning::Other);
            }
            _ => {
                scope.names.insert(name.to_string(), meaning);
            }
        }
    }

    /// A loop variable over values the program or its configuration fixes.
    fn is_fixed(&self, name: &str) -> bool {
        matches!(self.resolve(name), Some(Meaning::Fixed))
    }

    fn resolve(&self, name: &str) -> Option<&Meaning> {
        let innermost = self.scopes.len() - 1;
        self.scopes
            .iter()
            .enumerate()
            .rev()
            .filter(|(depth, scope)| *depth == innermost || !scope.is_class)
            .find_map(|(_, scope)| scope.names.get(name))
    }

    /// The prefix of names defined here: the innermost function's qualname, then the
    /// class when a class body is the innermost scope (`outer.C`).
    fn path_prefix(&self) -> String {
        let mut prefix = self
            .functions
            .last()
            .map(|&id| self.facts.functions[id as usize].qualname.clone())
            .unwrap_or_default();
        if let Some((class, _)) = &self.class
            && self.class_is_innermost()
        {
            prefix = if prefix.is_empty() {
                class.clone()
            } else {
                format!("{prefix}.{class}")
            };
        }
        prefix
    }

    /// Whether the innermost definition scope is the class (a method), not a function.
    fn class_is_innermost(&self) -> bool {
        self.scopes.last().is_some_and(|s| s.is_class)
    }

    /// Module-level (and class-level) names are visible to every function body, whatever
    /// the order of definitions: bind definitions and imports first.
    fn predeclare(&mut self, body: &[Stmt]) {
        for stmt in body {
            match stmt {
                Stmt::FunctionDef(f) => {
                    let prefix = self.path_prefix();
                    let qualname = if prefix.is_empty() {
                        f.name.to_string()
                    } else {
                        format!("{prefix}.{}", f.name)
                    };
                    self.bind(
                        f.name.as_str(),
                        Meaning::Dotted(join_module(self.module, &qualname)),
                    );
                }
                Stmt::ClassDef(c) => {
                    let prefix = self.path_prefix();
                    let qualname = if prefix.is_empty() {
                        c.name.to_string()
                    } else {
                        format!("{prefix}.{}", c.name)
                    };
                    self.bind(
                        c.name.as_str(),
                        Meaning::Dotted(join_module(self.module, &qualname)),
                    );
                }
                Stmt::Import(_) | Stmt::ImportFrom(_) => self.import(stmt),
                Stmt::If(i) => {
                    self.predeclare(&i.body);
                    for clause in &i.elif_else_clauses {
                        self.predeclare(&clause.body);
                    }
                }
                Stmt::Try(t) => {
                    self.predeclare(&t.body);
                    for ast::ExceptHandler::ExceptHandler(h) in &t.handlers {
                        self.predeclare(&h.body);
                    }
                    self.predeclare(&t.orelse);
                    self.predeclare(&t.finalbody);
                }
                _ => {}
            }
        }
    }

    fn import(&mut self, stmt: &Stmt) {
        for (name, dotted) in import_bindings(stmt, self.module) {
            self.bind(name, Meaning::Dotted(dotted));
        }
    }

    fn body(&mut self, body: &[Stmt]) {
        for stmt in body {
            self.stmt(stmt);
        }
    }

    fn reference(&mut self, target: String, kind: ReferenceKind) {
        self.reference_with(target, kind, None);
    }

    fn reference_with(
        &mut self,
        target: String,
        kind: ReferenceKind,
        arguments: Option<CallArguments>,
    ) {
        use std::hash::BuildHasher;
        let from = self.functions.last().copied();
        let mut target = target;
        target.shrink_to_fit();
        let reference = Reference {
            from,
            target,
            kind,
            arguments: arguments.map(Box::new),
        };
        let hash = rustc_hash::FxBuildHasher.hash_one(&reference);
        let references = &mut self.facts.references;
        let positions = self.seen.entry(hash).or_default();
        if positions
            .iter()
            .all(|&at| references[at as usize] != reference)
        {
            positions.push(references.len() as u32);
            references.push(reference);
        }
    }

    fn stmt(&mut self, stmt: &Stmt) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        match stmt {
            Stmt::FunctionDef(f) => self.function(f),
            Stmt::ClassDef(class) => {
                for decorator in &class.decorator_list {
                    self.expr(&decorator.expression);
                }
                for base in class.bases() {
                    self.expr(base);
                }
                for keyword in class.keywords() {
                    self.expr(&keyword.value);
                }
                let dotted = match self.resolve(class.name.as_str()) {
                    Some(Meaning::Dotted(dotted)) => dotted.clone(),
                    _ => join_module(self.module, class.name.as_str()),
                };
                let outer = self.class.replace((class.name.to_string(), dotted));
                let outer_bases =
                    std::mem::replace(&mut self.class_has_bases, !class.bases().is_empty());
                self.scopes.push(WalkScope {
                    is_class: true,
                    ..WalkScope::default()
                });
                self.predeclare(&class.body);
                self.body(&class.body);
                self.scopes.pop();
                self.class = outer;
                self.class_has_bases = outer_bases;
            }
            Stmt::Import(_) | Stmt::ImportFrom(_) => self.import(stmt),
            Stmt::Assign(assign) => {
                self.expr(&assign.value);
                let meaning = self.value_meaning(&assign.value);
                for target in &assign.targets {
                    self.target(target, meaning.clone());
                }
            }
            Stmt::AnnAssign(ann) => {
                if let Some(value) = &ann.value {
                    self.expr(value);
                    let meaning = self.value_meaning(value);
                    self.target(&ann.target, meaning);
                }
            }
            Stmt::AugAssign(aug) => {
                self.expr(&aug.value);
                self.target(&aug.target, Meaning::Other);
            }
            Stmt::For(f) => {
                self.expr(&f.iter);
                let fixed = constant_argument(&f.iter, &[], 0, &|name| self.is_fixed(name));
                let meaning = if fixed {
                    Meaning::Fixed
                } else {
                    Meaning::Other
                };
                self.target(&f.target, meaning);
                self.body(&f.body);
                self.body(&f.orelse);
            }
            Stmt::While(w) => {
                self.expr(&w.test);
                self.body(&w.body);
                self.body(&w.orelse);
            }
            Stmt::If(i) => {
                self.expr(&i.test);
                self.body(&i.body);
                for clause in &i.elif_else_clauses {
                    if let Some(test) = &clause.test {
                        self.expr(test);
                    }
                    self.body(&clause.body);
                }
            }
            Stmt::With(w) => {
                for item in &w.items {
                    self.expr(&item.context_expr);
                    if let Some(vars) = &item.optional_vars {
                        self.target(vars, Meaning::Other);
                    }
                }
                self.body(&w.body);
            }
            Stmt::Match(m) => {
                self.expr(&m.subject);
                for case in &m.cases {
                    if let Some(guard) = &case.guard {
                        self.expr(guard);
                    }
                    self.body(&case.body);
                }
            }
            Stmt::Try(t) => {
                self.body(&t.body);
                for ast::ExceptHandler::ExceptHandler(handler) in &t.handlers {
                    if let Some(type_) = &handler.type_ {
                        self.expr(type_);
                    }
                    self.body(&handler.body);
                }
                self.body(&t.orelse);
                self.body(&t.finalbody);
            }
            Stmt::Return(r) => {
                if let Some(value) = &r.value {
                    self.expr(value);
                }
            }
            Stmt::Expr(e) => self.expr(&e.value),
            Stmt::Raise(r) => {
                for e in [&r.exc, &r.cause].into_iter().flatten() {
                    self.expr(e);
                }
            }
            Stmt::Assert(a) => {
                self.expr(&a.test);
                if let Some(msg) = &a.msg {
                    self.expr(msg);
                }
            }
            Stmt::Delete(d) => {
                for target in &d.targets {
                    self.expr(target);
                }
            }
            Stmt::TypeAlias(_)
            | Stmt::Global(_)
            | Stmt::Nonlocal(_)
            | Stmt::Pass(_)
            | Stmt::Break(_)
            | Stmt::Continue(_)
            | Stmt::IpyEscapeCommand(_) => {}
        }
        self.depth -= 1;
    }

    /// `h = Helper(...)`: h is an instance of a class the imports name.
    fn value_meaning(&self, value: &Expr) -> Meaning {
        match value {
            Expr::Call(call) => match self.dotted(&call.func) {
                Some(dotted) if last_segment(&dotted).starts_with(|c: char| c.is_uppercase()) => {
                    Meaning::InstanceOf(dotted)
                }
                _ => Meaning::Other,
            },
            _ => Meaning::Other,
        }
    }

    fn target(&mut self, target: &Expr, meaning: Meaning) {
        match target {
            Expr::Name(name) => {
                // Module-level rebinding of a definition keeps what the definition says.
                if self.scopes.len() == 1 {
                    return;
                }
                self.bind(name.id.as_str(), meaning);
            }
            Expr::Tuple(t) => {
                for e in &t.elts {
                    self.target(e, Meaning::Other);
                }
            }
            Expr::List(l) => {
                for e in &l.elts {
                    self.target(e, Meaning::Other);
                }
            }
            Expr::Starred(s) => self.target(&s.value, Meaning::Other),
            other => self.expr(other),
        }
    }

    fn function(&mut self, f: &ast::StmtFunctionDef) {
        for decorator in &f.decorator_list {
            self.expr(&decorator.expression);
        }
        for default in f
            .parameters
            .posonlyargs
            .iter()
            .chain(&f.parameters.args)
            .chain(&f.parameters.kwonlyargs)
            .filter_map(|p| p.default.as_deref())
        {
            self.expr(default);
        }
        let prefix = self.path_prefix();
        let qualname = if prefix.is_empty() {
            f.name.to_string()
        } else {
            format!("{prefix}.{}", f.name)
        };
        let method_of = if self.class_is_innermost() {
            self.class.clone()
        } else {
            None
        };
        let task = f
            .decorator_list
            .iter()
            .any(|d| self.is_task_decorator(&d.expression));
        let post_migrate = f
            .decorator_list
            .iter()
            .any(|d| self.is_post_migrate_receiver(&d.expression));
        for decorator in &f.decorator_list {
            if let Expr::Call(call) = &decorator.expression
                && self.decorator_name(&decorator.expression).as_deref() == Some("receiver")
                && call.arguments.args.first().is_some_and(is_delete_signal)
            {
                self.delete_receiver(call);
            }
        }
        let id = self.facts.functions.len() as u32;
        let parameters = f
            .parameters
            .posonlyargs
            .iter()
            .chain(&f.parameters.args)
            .chain(&f.parameters.kwonlyargs)
            .map(|p| p.parameter.name.to_string())
            .collect();
        self.facts.functions.push(GraphFunction {
            qualname: qualname.clone(),
            class: method_of.as_ref().map(|(name, _)| name.clone()),
            parent: self.functions.last().copied(),
            task,
            parameters,
            returns: None,
        });
        if post_migrate {
            let dotted = join_module(self.module, &qualname);
            let from = self.functions.last().copied();
            self.facts.references.push(Reference {
                from,
                target: dotted,
                kind: ReferenceKind::MigrateEntry,
                arguments: None,
            });
        }
        let is_static = f
            .decorator_list
            .iter()
            .any(|d| matches!(&d.expression, Expr::Name(n) if n.id.as_str() == "staticmethod"));
        // A decorator receives the function: whatever it does with it (registers a
        // template filter, a URL, a signal receiver) happens where the `def` runs.
        if f.decorator_list
            .iter()
            .any(|d| !self.is_plain_decorator(&d.expression))
        {
            let dotted = join_module(self.module, &qualname);
            self.reference(dotted, ReferenceKind::Plain);
        }
        self.functions.push(id);
        self.scopes.push(WalkScope::default());
        if let Some((_, class_dotted)) = &method_of
            && !is_static
            && let Some(first) = f
                .parameters
                .posonlyargs
                .iter()
                .chain(&f.parameters.args)
                .next()
        {
            let meaning = if is_classmethod(f) {
                Meaning::Dotted(class_dotted.clone())
            } else {
                Meaning::InstanceOf(class_dotted.clone())
            };
            self.bind(first.parameter.name.as_str(), meaning);
        }
        self.predeclare(&f.body);
        if method_of.is_some() && self.class_has_bases {
            let receiver = f
                .parameters
                .posonlyargs
                .iter()
                .chain(&f.parameters.args)
                .next()
                .filter(|_| !is_static && !is_classmethod(f))
                .map(|p| p.parameter.name.as_str());
            let dotted = |expr: &Expr| self.dotted(expr);
            let returns = returns::method_returns(&f.body, receiver, &dotted);
            self.facts.functions[id as usize].returns = returns;
        } else if method_of.is_none() && self.functions.len() == 1 {
            // Only whether it may return a queryset, for the checking order
            // (`schedule::waves`): the shapes are not kept, an empty list costs nothing.
            let dotted = |expr: &Expr| self.dotted(expr);
            if returns::method_returns(&f.body, None, &dotted).is_some() {
                self.facts.functions[id as usize].returns = Some(Vec::new());
            }
        }
        self.body(&f.body);
        self.scopes.pop();
        self.functions.pop();
    }

    fn decorator_name(&self, decorator: &Expr) -> Option<String> {
        let target = match decorator {
            Expr::Call(call) => call.func.as_ref(),
            other => other,
        };
        match target {
            Expr::Name(name) => Some(match self.resolve(name.id.as_str()) {
                Some(Meaning::Dotted(dotted)) => last_segment(dotted).to_string(),
                _ => name.id.to_string(),
            }),
            Expr::Attribute(attribute) => Some(attribute.attr.to_string()),
            _ => None,
        }
    }

    /// Decorators that only wrap or describe the function where it is defined.
    fn is_plain_decorator(&self, decorator: &Expr) -> bool {
        self.decorator_name(decorator).is_some_and(|name| {
            matches!(
                name.as_str(),
                "staticmethod"
                    | "classmethod"
                    | "property"
                    | "cached_property"
                    | "lru_cache"
                    | "cache"
                    | "cached"
                    | "wraps"
                    | "abstractmethod"
                    | "override"
                    | "setter"
                    | "deleter"
                    | "getter"
                    | "transaction"
                    | "atomic"
            )
        })
    }

    fn is_task_decorator(&self, decorator: &Expr) -> bool {
        self.decorator_name(decorator).is_some_and(|name| {
            crate::semantic::batch::is_task_decorator(&name, self.batch_decorators)
        })
    }

    /// `@receiver(post_migrate, ...)`.
    fn is_post_migrate_receiver(&self, decorator: &Expr) -> bool {
        let Expr::Call(call) = decorator else {
            return false;
        };
        self.decorator_name(decorator).as_deref() == Some("receiver")
            && call.arguments.args.first().is_some_and(is_post_migrate)
    }

    /// A dotted name with its first name resolved: `services.f` -> `shop.services.f`,
    /// `self.m` -> `shop.jobs.C.m`, `Helper().run` -> `shop.jobs.Helper.run`.
    fn dotted(&self, expr: &Expr) -> Option<String> {
        self.dotted_at(expr, 0)
    }

    fn dotted_at(&self, expr: &Expr, depth: usize) -> Option<String> {
        if depth > 16 {
            return None;
        }
        match expr {
            Expr::Name(name) => match self.resolve(name.id.as_str())? {
                Meaning::Dotted(dotted) => Some(dotted.clone()),
                _ => None,
            },
            Expr::Attribute(attribute) => {
                let receiver = match attribute.value.as_ref() {
                    Expr::Name(name) => match self.resolve(name.id.as_str())? {
                        Meaning::Dotted(dotted) | Meaning::InstanceOf(dotted) => dotted.clone(),
                        Meaning::Fixed | Meaning::Other => return None,
                    },
                    // `Helper(...).run`
                    Expr::Call(call) => {
                        let class = self.dotted_at(&call.func, depth + 1)?;
                        if !last_segment(&class).starts_with(|c: char| c.is_uppercase()) {
                            return None;
                        }
                        class
                    }
                    other => self.dotted_at(other, depth + 1)?,
                };
                Some(format!("{receiver}.{}", attribute.attr))
            }
            _ => None,
        }
    }

    fn expr(&mut self, expr: &Expr) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        match expr {
            Expr::Attribute(attribute) if self.name_chain(attribute) => {}
            Expr::Name(_) | Expr::Attribute(_) => {
                if let Some(dotted) = self.dotted(expr) {
                    self.reference(dotted, ReferenceKind::Plain);
                }
                if let Expr::Attribute(attribute) = expr {
                    // The receiver's own references (`Helper().run`: Helper).
                    self.expr(&attribute.value);
                }
            }
            Expr::Call(call) => self.call(call),
            Expr::Lambda(lambda) => self.expr(&lambda.body),
            _ => {
                use ruff_python_ast::visitor::{Visitor, walk_expr};
                struct Children<'w, 'a> {
                    walk: &'w mut Walk<'a>,
                    top: bool,
                }
                impl<'b> Visitor<'b> for Children<'_, '_> {
                    fn visit_expr(&mut self, expr: &'b Expr) {
                        if self.top {
                            self.top = false;
                            walk_expr(self, expr);
                        } else {
                            self.walk.expr(expr);
                        }
                    }
                }
                let mut children = Children {
                    walk: self,
                    top: true,
                };
                children.visit_expr(expr);
            }
        }
        self.depth -= 1;
    }

    /// `a.b.c` rooted at a name: references `a.b.c`, `a.b` and `a` resolved, as the
    /// general path does, but from one string cut at each dot rather than formatted
    /// again for every prefix (a quarter of pass 1's call graph time went to
    /// formatting). False, having done nothing, for other chains and for chains so
    /// long or so deep that the general path's limits apply.
    fn name_chain(&mut self, outer: &ast::ExprAttribute) -> bool {
        let mut attrs: Vec<&str> = vec![outer.attr.as_str()];
        let mut root = outer.value.as_ref();
        while let Expr::Attribute(attribute) = root {
            attrs.push(attribute.attr.as_str());
            root = &attribute.value;
        }
        let Expr::Name(name) = root else {
            return false;
        };
        let levels = attrs.len();
        // `dotted_at` gives up below 16 levels, `expr` below MAX_DEPTH.
        if levels > 17 || self.depth + levels + 1 > MAX_DEPTH {
            return false;
        }
        if let Some(Meaning::Dotted(base) | Meaning::InstanceOf(base)) =
            self.resolve(name.id.as_str())
        {
            let mut full = base.clone();
            let mut ends = Vec::with_capacity(levels);
            for attr in attrs.iter().rev() {
                full.push('.');
                full.push_str(attr);
                ends.push(full.len());
            }
            for &end in ends.iter().rev() {
                self.reference(full[..end].to_string(), ReferenceKind::Plain);
            }
        }
        // The root is walked at the depth the general path reaches it at.
        self.depth += levels - 1;
        self.expr(root);
        self.depth -= levels - 1;
        true
    }

    fn call(&mut self, call: &ast::ExprCall) {
        let callee_name = match call.func.as_ref() {
            Expr::Name(n) => n.id.as_str(),
            Expr::Attribute(a) => a.attr.as_str(),
            _ => "",
        };
        // `migrations.RunPython(forwards, backwards)`, `post_migrate.connect(handler)`.
        let migrate_entry = callee_name == "RunPython"
            || (callee_name == "connect"
                && matches!(call.func.as_ref(), Expr::Attribute(a) if is_post_migrate(&a.value)));
        if callee_name == "connect"
            && matches!(call.func.as_ref(), Expr::Attribute(a) if is_delete_signal(&a.value))
        {
            self.delete_receiver(call);
        }
        if callee_name == "call_command"
            && let Some(name) = call
                .arguments
                .args
                .first()
                .and_then(crate::semantic::literal::string)
        {
            self.reference(name.to_string(), ReferenceKind::CallCommand);
        }
        // A direct call of a name: what each argument is, for the callee's parameters.
        let spread = call.arguments.args.iter().any(Expr::is_starred_expr)
            || call.arguments.keywords.iter().any(|k| k.arg.is_none());
        match (call.func.as_ref(), self.dotted(&call.func)) {
            (Expr::Name(_), Some(dotted)) if !spread => {
                let fixed = |name: &str| self.is_fixed(name);
                let arguments = CallArguments {
                    positional: call
                        .arguments
                        .args
                        .iter()
                        .map(|a| constant_argument(a, &[], 0, &fixed))
                        .collect(),
                    keywords: call
                        .arguments
                        .keywords
                        .iter()
                        .filter_map(|k| {
                            let name = k.arg.as_ref()?.to_string();
                            Some((name, constant_argument(&k.value, &[], 0, &fixed)))
                        })
                        .collect(),
                };
                self.reference_with(dotted, ReferenceKind::Plain, Some(arguments));
            }
            _ => self.expr(&call.func),
        }
        for arg in &call.arguments.args {
            if migrate_entry && let Some(dotted) = self.dotted(arg) {
                self.reference(dotted, ReferenceKind::MigrateEntry);
                continue;
            }
            self.expr(arg);
        }
        for keyword in &call.arguments.keywords {
            let entry = migrate_entry
                && matches!(
                    keyword.arg.as_deref(),
                    Some("code" | "reverse_code" | "receiver")
                );
            if entry && let Some(dotted) = self.dotted(&keyword.value) {
                self.reference(dotted, ReferenceKind::MigrateEntry);
                continue;
            }
            self.expr(&keyword.value);
        }
    }
}

impl Walk<'_> {
    /// Records the sender of a delete receiver (`sender=X`), `*` when it has none.
    fn delete_receiver(&mut self, call: &ast::ExprCall) {
        let sender = call
            .arguments
            .keywords
            .iter()
            .find(|k| k.arg.as_deref() == Some("sender"))
            .map(|k| match crate::semantic::literal::string(&k.value) {
                Some(lazy) => lazy.to_string(),
                None => self.dotted(&k.value).unwrap_or_default(),
            })
            .unwrap_or_else(|| "*".to_string());
        if !sender.is_empty() {
            self.facts.delete_receivers.push(sender);
        }
    }
}

/// `pre_delete`, `post_delete`, or a list of signals holding one.
fn is_classmethod(f: &ast::StmtFunctionDef) -> bool {
    f.decorator_list
        .iter()
        .any(|d| matches!(&d.expression, Expr::Name(n) if n.id.as_str() == "classmethod"))
}

fn is_delete_signal(expr: &Expr) -> bool {
    match expr {
        Expr::Name(n) => matches!(n.id.as_str(), "pre_delete" | "post_delete"),
        Expr::Attribute(a) => matches!(a.attr.as_str(), "pre_delete" | "post_delete"),
        Expr::List(list) => list.elts.iter().any(is_delete_signal),
        Expr::Tuple(tuple) => tuple.elts.iter().any(is_delete_signal),
        _ => false,
    }
}

fn is_post_migrate(expr: &Expr) -> bool {
    match expr {
        Expr::Name(n) => n.id.as_str() == "post_migrate",
        Expr::Attribute(a) => a.attr.as_str() == "post_migrate",
        _ => false,
    }
}

/// The graph of the whole project and its two answers, keyed by `module.qualname`.
/// Small beside its inputs (the references): the cache keeps it with the index.
#[derive(Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct CallGraph {
    batch: HashSet<String>,
    one_shot: HashSet<String>,
    /// Module-level function -> bit i set when every caller passes a constant as its
    /// i-th parameter.
    bounded_parameters: HashMap<String, u32>,
}

/// A function of the project, as a node.
struct Node<'f> {
    key: String,
    module: &'f str,
    /// The class node of a method.
    class: Option<usize>,
    parent: Option<usize>,
    task: bool,
    one_shot_module: bool,
    /// Parameter names of a module-level function (empty for methods and nested ones).
    parameters: &'f [String],
}

impl CallGraph {
    /// Builds the graph from every file's facts (`(module, facts)`, sorted by module).
    /// `class_kind` answers what a qualified class is; `ancestors` lists a qualified
    /// class's project bases (for `self.m()` defined in a base class).
    pub(crate) fn build<'f>(
        files: &[(&'f str, &'f GraphFacts)],
        class_kind: &dyn Fn(&str) -> ClassKind,
        ancestors: &(dyn Fn(&str) -> Vec<String> + Sync),
    ) -> CallGraph {
        let mut nodes: Vec<Node> = Vec::new();
        // Class nodes: dotted class name -> node, created for classes with methods.
        let mut classes: HashMap<String, usize> = HashMap::default();
        // Key suffixes (the qualname, `C.m`, `f`) -> nodes, for targets whose module part
        // names the module differently (`from app.services import f` with the tree
        // checked from above `app`).
        let mut by_qualname: HashMap<&str, Vec<usize>> = HashMap::default();
        let mut file_nodes: Vec<Vec<usize>> = Vec::new();
        for (module, facts) in files {
            let mut ids = Vec::new();
            for function in &facts.functions {
                let class = function.class.as_ref().map(|_| {
                    let prefix = function
                        .qualname
                        .strip_suffix(last_segment(&function.qualname))
                        .unwrap_or("")
                        .trim_end_matches('.');
                    let dotted = join_module(module, prefix);
                    *classes.entry(dotted.clone()).or_insert_with(|| {
                        nodes.push(Node {
                            key: dotted.clone(),
                            module,
                            class: None,
                            parent: None,
                            task: false,
                            one_shot_module: facts.one_shot_module,
                            parameters: &[],
                        });
                        let id = nodes.len() - 1;
                        by_qualname.entry(prefix).or_default().push(id);
                        id
                    })
                });
                let parent = function.parent.and_then(|p| ids.get(p as usize).copied());
                let module_level = class.is_none() && parent.is_none();
                nodes.push(Node {
                    key: join_module(module, &function.qualname),
                    module,
                    class,
                    parent,
                    task: function.task,
                    one_shot_module: facts.one_shot_module,
                    parameters: if module_level {
                        &function.parameters
                    } else {
                        &[]
                    },
                });
                let id = nodes.len() - 1;
                by_qualname
                    .entry(function.qualname.as_str())
                    .or_default()
                    .push(id);
                ids.push(id);
            }
            file_nodes.push(ids);
        }
        let resolve = |target: &str| -> Vec<usize> {
            let mut found = Vec::new();
            // Every split of `a.b.c.d` into a module part and a qualname part.
            let mut at = 0;
            while let Some(dot) = target[at..].find('.') {
                let split = at + dot;
                let (module, qualname) = (&target[..split], &target[split + 1..]);
                if let Some(ids) = by_qualname.get(qualname) {
                    found.extend(
                        ids.iter()
                            .copied()
                            .filter(|&id| modules_match(module, nodes[id].module)),
                    );
                }
                at = split + 1;
            }
            found.sort_unstable();
            found.dedup();
            found
        };
        // Commands by name: `app.management.commands.NAME` modules' Command class, indexed
        // once (sorted, so the graph does not depend on the map's order).
        let mut commands_by_name: HashMap<&str, Vec<usize>> = HashMap::default();
        for (dotted, id) in &classes {
            if let Some(name) = dotted
                .strip_suffix(".Command")
                .and_then(|module| module.rsplit_once("management.commands."))
                .map(|(_, name)| name)
                .filter(|name| !name.contains('.'))
            {
                commands_by_name.entry(name).or_default().push(*id);
            }
        }
        for ids in commands_by_name.values_mut() {
            ids.sort_unstable();
        }
        let command_classes =
            |name: &str| -> Vec<usize> { commands_by_name.get(name).cloned().unwrap_or_default() };
        // Edges: (from node or a file's module level, to node, kind).
        struct Edge<'f> {
            from: Option<usize>,
            file: usize,
            to: usize,
            kind: ReferenceKind,
            arguments: Option<&'f CallArguments>,
        }
        /// A reference made by one-shot code (`one_shot` so far, by node), or handed to
        /// `migrate` to run.
        fn from_one_shot(edge: &Edge, one_shot: &[bool], files: &[(&str, &GraphFacts)]) -> bool {
            edge.kind == ReferenceKind::MigrateEntry
                || match edge.from {
                    Some(from) => one_shot[from],
                    None => files[edge.file].1.one_shot_module,
                }
        }
        // Many references name the same target (`models.Q`, a project helper): each
        // distinct target is resolved once, on the thread pool (resolving was most of
        // the index's serial time).
        let mut distinct: HashMap<&str, usize> = HashMap::default();
        let mut targets: Vec<&str> = Vec::new();
        // Each file's references, by position: the distinct target each names.
        let target_of: Vec<Vec<usize>> = files
            .iter()
            .map(|(_, facts)| {
                facts
                    .references
                    .iter()
                    .map(|reference| {
                        *distinct.entry(&reference.target).or_insert_with(|| {
                            targets.push(&reference.target);
                            targets.len() - 1
                        })
                    })
                    .collect()
            })
            .collect();
        drop(distinct);
        let mut resolved: Vec<Vec<usize>> = targets.par_iter().map(|t| resolve(t)).collect();
        // A method reached through a class that inherits it: `self.m()` with m in a base.
        // The bases of a class are asked once: many references go through one.
        let class_of = |target: &'f str| -> Option<&'f str> {
            let class = target
                .strip_suffix(last_segment(target))?
                .trim_end_matches('.');
            (!class.is_empty()).then_some(class)
        };
        let mut class_position: HashMap<&str, usize> = HashMap::default();
        let mut inheriting: Vec<&str> = Vec::new();
        for (found, target) in resolved.iter().zip(&targets) {
            if found.is_empty()
                && let Some(class) = class_of(target)
            {
                class_position.entry(class).or_insert_with(|| {
                    inheriting.push(class);
                    inheriting.len() - 1
                });
            }
        }
        let bases: Vec<Vec<String>> = inheriting.par_iter().map(|c| ancestors(c)).collect();
        resolved
            .par_iter_mut()
            .zip(&targets)
            .filter(|(found, _)| found.is_empty())
            .for_each(|(found, target)| {
                if let Some(class) = class_of(target) {
                    let method = last_segment(target);
                    *found = bases[class_position[class]]
                        .iter()
                        .flat_map(|base| resolve(&format!("{base}.{method}")))
                        .collect();
                }
            });
        let mut edges: Vec<Edge> = Vec::new();
        for (file, (_, facts)) in files.iter().enumerate() {
            for (reference, &target) in facts.references.iter().zip(&target_of[file]) {
                let from = reference
                    .from
                    .and_then(|f| file_nodes[file].get(f as usize).copied());
                let commands;
                let targets: &[usize] = match reference.kind {
                    ReferenceKind::CallCommand => {
                        commands = command_classes(&reference.target);
                        &commands
                    }
                    _ => &resolved[target],
                };
                for &to in targets {
                    if Some(to) == from {
                        continue;
                    }
                    edges.push(Edge {
                        from,
                        file,
                        to,
                        kind: reference.kind,
                        arguments: reference.arguments.as_deref(),
                    });
                }
            }
        }
        // The resolution tables are not needed past here, and what follows allocates
        // per-node tables of its own: freed now, they do not add to the run's peak
        // (the index is built while every file's declarations are still held).
        drop((
            target_of,
            resolved,
            bases,
            class_position,
            inheriting,
            by_qualname,
        ));
        let is_command_method = |node: &Node| {
            node.class
                .is_some_and(|class| class_kind(&nodes[class].key) == ClassKind::Command)
        };
        let is_command_class = |id: usize| {
            nodes[id].class.is_none()
                && classes.get(&nodes[id].key) == Some(&id)
                && class_kind(&nodes[id].key) == ClassKind::Command
        };
        let command_methods: Vec<bool> = nodes.iter().map(is_command_method).collect();
        let command_class: Vec<bool> = (0..nodes.len()).map(is_command_class).collect();
        // The `Command` class of a node's module, for nodes in command modules.
        let module_command: Vec<Option<usize>> = nodes
            .iter()
            .map(|node| {
                if !node.module.contains("management.commands") {
                    return None;
                }
                classes.get(&join_module(node.module, "Command")).copied()
            })
            .collect();
        let migrate_entry: Vec<bool> = {
            let mut entry = vec![false; nodes.len()];
            for edge in &edges {
                if edge.kind == ReferenceKind::MigrateEntry {
                    entry[edge.to] = true;
                }
            }
            entry
        };
        // Batch: from tasks, command methods, migrate entries, along references made
        // inside functions, and down to nested functions and a class's methods.
        let mut batch: Vec<bool> = (0..nodes.len())
            .map(|id| nodes[id].task || command_methods[id] || migrate_entry[id])
            .collect();
        let mut callees: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
        for edge in &edges {
            if let Some(from) = edge.from
                && edge.kind == ReferenceKind::Plain
            {
                callees[from].push(edge.to);
            }
        }
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
        for (id, node) in nodes.iter().enumerate() {
            if let Some(parent) = node.parent {
                children[parent].push(id);
            }
        }
        let mut stack: Vec<usize> = (0..nodes.len()).filter(|&id| batch[id]).collect();
        while let Some(id) = stack.pop() {
            for &next in callees[id].iter().chain(&children[id]) {
                // A reference to a class is not a call of all its methods.
                if classes.get(&nodes[next].key) == Some(&next) {
                    continue;
                }
                if !batch[next] {
                    batch[next] = true;
                    stack.push(next);
                }
            }
        }
        // One-shot: least fixpoint. A node is one-shot when its module is, when it is a
        // command method or class, a migrate entry, nested in a one-shot function, a
        // method of a one-shot class, or referred to only from one-shot code.
        let mut incoming: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
        for (i, edge) in edges.iter().enumerate() {
            incoming[edge.to].push(i);
        }
        let mut one_shot: Vec<bool> = vec![false; nodes.len()];
        loop {
            let mut changed = false;
            for id in 0..nodes.len() {
                if one_shot[id] {
                    continue;
                }
                let node = &nodes[id];
                // `migrate` runs what `RunPython` and `post_migrate` are handed.
                let from_one_shot = |edge: &Edge| from_one_shot(edge, &one_shot, files);
                // `call_command("x")` outside one-shot code runs the command in that
                // process (a task, a view): neither the command nor its module is
                // one-shot then.
                let called_elsewhere = |class: usize| {
                    incoming[class].iter().any(|&e| {
                        edges[e].kind == ReferenceKind::CallCommand && !from_one_shot(&edges[e])
                    })
                };
                let own_class = if command_class[id] {
                    Some(id)
                } else {
                    node.class
                };
                let command = (command_class[id] || command_methods[id])
                    && !own_class.is_some_and(called_elsewhere);
                let module_one_shot =
                    node.one_shot_module && !module_command[id].is_some_and(called_elsewhere);
                let now = module_one_shot
                    || command
                    || node.parent.is_some_and(|p| one_shot[p])
                    || node.class.is_some_and(|c| one_shot[c])
                    || (!incoming[id].is_empty()
                        && incoming[id].iter().all(|&e| from_one_shot(&edges[e])));
                if now {
                    one_shot[id] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        if let Some(pattern) = std::env::var_os("DORMLINT_DEBUG_GRAPH") {
            let pattern = pattern.to_string_lossy().into_owned();
            for (id, node) in nodes.iter().enumerate() {
                if node.key.contains(&pattern) {
                    let sources: Vec<String> = incoming[id]
                        .iter()
                        .map(|&e| match edges[e].from {
                            Some(from) => nodes[from].key.clone(),
                            None => format!("<module {}>", files[edges[e].file].0),
                        })
                        .collect();
                    eprintln!(
                        "graph {}: batch={} one_shot={} from {sources:?}",
                        node.key, batch[id], one_shot[id]
                    );
                }
            }
        }
        // Parameters every caller passes a constant for (module-level functions whose
        // every reference from long-lived code is a direct call, with at least one).
        // Only references from code that runs in a long-lived process count: a test,
        // a command or a migration fills a cache in its own process, which ends (and a
        // test's `f.cache_clear()` names `f` without calling it).
        let mut bounded_parameters = HashMap::default();
        for (id, node) in nodes.iter().enumerate() {
            let live: Vec<usize> = incoming[id]
                .iter()
                .copied()
                .filter(|&e| !from_one_shot(&edges[e], &one_shot, files))
                .collect();
            if node.parameters.is_empty() || live.is_empty() {
                continue;
            }
            let calls: Option<Vec<&CallArguments>> =
                live.iter().map(|&e| edges[e].arguments).collect();
            let Some(calls) = calls else {
                continue;
            };
            let mut mask = 0u32;
            for (position, parameter) in node.parameters.iter().enumerate().take(32) {
                let bounded = calls
                    .iter()
                    .all(|call| match call.positional.get(position) {
                        Some(bounded) => *bounded,
                        None => call
                            .keywords
                            .iter()
                            .find(|(name, _)| name == parameter)
                            .is_none_or(|(_, bounded)| *bounded),
                    });
                if bounded {
                    mask |= 1 << position;
                }
            }
            if mask != 0 {
                bounded_parameters.insert(node.key.clone(), mask);
            }
        }
        CallGraph {
            bounded_parameters,
            batch: (0..nodes.len())
                .filter(|&id| batch[id])
                .map(|id| nodes[id].key.clone())
                .collect(),
            one_shot: (0..nodes.len())
                .filter(|&id| one_shot[id])
                .map(|id| nodes[id].key.clone())
                .collect(),
        }
    }

    pub(crate) fn is_batch(&self, key: &str) -> bool {
        self.batch.contains(key)
    }

    pub(crate) fn is_one_shot(&self, key: &str) -> bool {
        self.one_shot.contains(key)
    }

    pub(crate) fn bounded_parameters(&self, key: &str) -> u32 {
        self.bounded_parameters.get(key).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(from: Option<u32>, target: &str) -> Reference {
        Reference {
            from,
            target: target.to_string(),
            kind: ReferenceKind::Plain,
            arguments: None,
        }
    }

    #[test]
    fn an_attribute_chain_refers_to_each_of_its_prefixes_longest_first() {
        let source = "from shop import models\n\n\nclass V:\n    def get(self):\n        return models.Book.objects.live(self.helper.x)\n";
        let parsed = crate::parse::parse_module(source);
        let graph = graph_facts(&parsed.body, "shop.views", false, &[]);
        let targets: Vec<&str> = graph.references.iter().map(|r| r.target.as_str()).collect();
        assert_eq!(
            targets,
            vec![
                "shop.models.Book.objects.live",
                "shop.models.Book.objects",
                "shop.models.Book",
                "shop.models",
                "shop.views.V.helper.x",
                "shop.views.V.helper",
            ]
        );
        // Past 17 levels the chain is left to the general path: the whole chain is not
        // named, its prefixes of 17 levels and fewer are.
        let long = format!("from shop import m\nm{}\n", ".a".repeat(18));
        let parsed = crate::parse::parse_module(&long);
        let graph = graph_facts(&parsed.body, "shop.views", false, &[]);
        let targets: Vec<&str> = graph.references.iter().map(|r| r.target.as_str()).collect();
        assert_eq!(
            targets.first(),
            Some(&"shop.m.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a")
        );
    }

    #[test]
    fn test_code_keeps_each_outside_reference_once_at_module_level() {
        let graph = GraphFacts {
            one_shot_module: false,
            functions: vec![GraphFunction {
                qualname: "BookTests.test_price".to_string(),
                class: Some("BookTests".to_string()),
                parent: None,
                task: false,
                parameters: Vec::new(),
                returns: None,
            }],
            references: vec![
                reference(Some(0), "shop.pricing.price"),
                reference(Some(0), "app.tests.test_books.BookTests.assertEqual"),
                reference(None, "shop.pricing.price"),
                reference(Some(0), "shop.mocks.fake_fetch"),
            ],
            delete_receivers: vec!["*".to_string()],
        };
        assert_eq!(
            test_references(graph, "app.tests.test_books"),
            GraphFacts {
                one_shot_module: true,
                functions: Vec::new(),
                references: vec![
                    reference(None, "shop.pricing.price"),
                    reference(None, "shop.mocks.fake_fetch"),
                ],
                delete_receivers: Vec::new(),
            }
        );
    }
}
