//! One walk over a module's AST. It keeps the semantic model current (scopes, bindings,
//! loops, functions) and hands each node of interest to the enabled rules; rules never
//! walk the tree themselves. Findings that depend on the rest of the file ("evaluated
//! later", "in a batch context") are deferred and settled in `deferred.rs` when the walk
//! ends. What a module declares for the index is read in `semantic/facts.rs`, batch
//! context is decided in `semantic/batch.rs`, and settings facts in `process/python.rs`.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::Ranged;
use ruff_text_size::TextRange;

use crate::diagnostic::Diagnostic;
use crate::process::{self, PythonFacts, files::Span};
use crate::registry::Rule;
use crate::rules;
use crate::semantic::batch;
use crate::semantic::containers::Container;
use crate::semantic::facts::{
    ImportedName, dotted_name, imported_name, join_module, resolve_relative,
};
use crate::semantic::index::{ClassKind, FunctionFact, IndexView, qualify};
use crate::semantic::loops;
use crate::semantic::value::{
    INSTANCE_METHODS, NON_EVALUATING_METHODS, QUERYSET_METHODS, SINGLE_RESULT_METHODS,
};
use crate::semantic::{
    BindingId, FunctionId, FunctionInfo, InstanceInfo, QuerysetInfo, ScopeKind, SemanticModel,
    Value, literal,
};
use crate::settings::Settings;
use crate::source::{self, LineIndex};

mod deferred;
mod graph;
mod keys;
pub(crate) use keys::identifier_like_name;

/// Deeper than this the walk stops descending: no real code nests so far, and the
/// walk must not overflow the stack on generated or hostile input.
const MAX_WALK_DEPTH: usize = 400;

/// How an expression's value is used where it appears, for the binding it names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Use {
    /// Iterated, converted, returned, passed on or stored: the rows are loaded and kept.
    Evaluate,
    /// A new query is built from it, or an attribute is read: nothing is loaded.
    Derive,
    /// A truth test, `len()` or `in`: the rows are loaded into the result cache.
    CacheFill,
    /// `qs[0]` or `qs[:n]`: a small query, or a read of the result cache if it is filled.
    Index,
}

/// A finding settled when the walk ends.
pub(crate) enum Deferred {
    /// Reported unless the binding is evaluated anywhere in the file. `subject` is the
    /// queryset as shown, `rows` what evaluating it loads (`model_rows`).
    UnlessEvaluated {
        binding: BindingId,
        diagnostic: Diagnostic,
        subject: String,
        rows: String,
    },
    /// Reported unless the rows are used anyway: the queryset held in `queryset` is
    /// evaluated more than `own` times in the file (its result cache serves the other
    /// uses), or the list of rows held in `rows` is read whole (iterated, passed on,
    /// returned) or never indexed.
    UnlessRowsUsed {
        queryset: Option<(BindingId, u32)>,
        rows: Option<BindingId>,
        diagnostic: Diagnostic,
    },
    /// DJM201: reported in a batch context, unless the loop's queryset is reused.
    MissingIterator {
        binding: Option<BindingId>,
        function: Option<FunctionId>,
        diagnostic: Diagnostic,
    },
    /// DJM208: `.iterator()` in a function; recorded for the tree-wide rule when the
    /// function is batch code.
    BatchIterator {
        function: FunctionId,
        span: Span,
        subject: String,
    },
}

/// DJM203 watches the names used inside a candidate call while the walk is inside it.
pub(crate) struct NameWatch {
    pub(crate) names: Vec<String>,
    pub(crate) seen: bool,
}

pub(crate) struct Checker<'a> {
    pub(crate) semantic: SemanticModel<'a>,
    pub(crate) source: &'a str,
    pub(crate) settings: &'a Settings,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) deferred: Vec<Deferred>,
    pub(crate) name_watches: Vec<NameWatch>,
    /// DJM203's finding for each loop (by loop id): the index of the diagnostic, the
    /// first query as shown, and how many queries per row the loop runs so far.
    pub(crate) queries_per_row: HashMap<u32, (usize, String, usize)>,
    /// Generator expressions handed whole to `set()`, `list()`, `tuple()`, `sorted()`,
    /// `dict()` or `frozenset()`: every element ends in the container, as with a
    /// comprehension.
    pub(crate) collected_generators: Vec<TextRange>,
    /// DJM206's finding for each function (by id; `None` at module level): the index of
    /// the diagnostic, the first deletion as shown, and how many deletions so far.
    pub(crate) deletions_per_function:
        HashMap<Option<crate::semantic::FunctionId>, (usize, String, usize)>,
    /// DJM205: related rows read through loop variables, settled when their loop ends.
    pub(crate) relation_reads: Vec<rules::foreign_key_per_row::RelationRead>,
    /// DJM205: (loop id, loop variable, attribute) assigned in the loop's body.
    pub(crate) assigned_relations: Vec<(u32, String, String)>,
    /// Set while visiting the receiver of an attribute that is itself an attribute:
    /// `book.author` inside `book.author.name` is not an access of its own.
    inside_attribute: bool,
    /// Depth of `if`/`else` branches, loop bodies, `except` handlers and `match` cases:
    /// a function summary keeps only the reads every call makes (DJM205).
    pub(crate) conditional_depth: u32,
    /// `return`/`raise` statements walked so far, and `break`/`continue` ones not yet
    /// absorbed by their loop: a compound statement during which either grows may leave
    /// the body holding it early, so what follows runs on some calls only.
    exits: (u32, u32),
    /// Names passed to `migrations.RunPython(...)`.
    run_python_functions: HashSet<String>,
    /// Module- and class-level containers and caches (DJM403, DJM404).
    pub(crate) containers: Vec<Container>,
    /// (qualified class, attribute) -> container, for class attributes.
    pub(crate) class_containers: HashMap<(String, String), usize>,
    /// Qualified class of this file -> (instances made at import, instances made in
    /// functions or subclasses), for DJM403's singletons.
    pub(crate) instantiations: HashMap<String, (u32, u32)>,
    /// Module-level integer constants (`CACHE_SIZE = 500_000`).
    constants: HashMap<String, i64>,
    /// Names used as decorators in this file: such functions register things.
    decorator_names: HashSet<String>,
    /// Names of functions called at module level, i.e. while the module is imported.
    module_calls: HashSet<String>,
    /// Shapes of literals bound to names (`entry = {...}`), for DJM404's estimate.
    pub(crate) shapes: HashMap<BindingId, crate::semantic::containers::Shape>,
    /// Classes of this file deriving from `type`: metaclasses.
    metaclasses: HashSet<String>,
    /// Enumerations of this file (`class Color(Enum)`), for DJM402.
    enum_classes: HashSet<String>,
    /// For each function being walked, its locals with a bounded key space (`keys.rs`).
    bounded_locals: Vec<HashSet<String>>,
    /// Class attributes bound to constants in the class body, by class name.
    class_constants: HashMap<String, HashSet<String>>,
    /// Per class, the serializer fields it declares read-only: DRF never calls their
    /// `validate_<field>` methods (`semantic::parameters::read_only_serializer_fields`).
    read_only_fields: HashMap<String, Vec<String>>,
    /// How many enclosing `if`s test a setting or the environment (DJM502).
    pub(crate) configuration_guards: u32,
    /// What the process rules need from this file.
    pub(crate) process: PythonFacts,
    lines: &'a LineIndex,
    /// False while walking a truth test whose value is also used (`x = a and b`): there
    /// `.exists()` would change what is assigned, so no fix is offered.
    pub(crate) pure_test: bool,
    depth: usize,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(
        source: &'a str,
        lines: &'a LineIndex,
        settings: &'a Settings,
        index: IndexView<'a>,
    ) -> Self {
        Checker {
            semantic: SemanticModel::new(index),
            source,
            settings,
            diagnostics: Vec::new(),
            deferred: Vec::new(),
            name_watches: Vec::new(),
            queries_per_row: HashMap::default(),
            collected_generators: Vec::new(),
            deletions_per_function: HashMap::default(),
            relation_reads: Vec::new(),
            assigned_relations: Vec::new(),
            inside_attribute: false,
            conditional_depth: 0,
            exits: (0, 0),
            run_python_functions: HashSet::default(),
            containers: Vec::new(),
            class_containers: HashMap::default(),
            instantiations: HashMap::default(),
            constants: HashMap::default(),
            decorator_names: HashSet::default(),
            module_calls: HashSet::default(),
            metaclasses: HashSet::default(),
            enum_classes: HashSet::default(),
            bounded_locals: Vec::new(),
            class_constants: HashMap::default(),
            read_only_fields: HashMap::default(),
            shapes: HashMap::default(),
            configuration_guards: 0,
            process: PythonFacts::default(),
            lines,
            pure_test: true,
            depth: 0,
        }
    }

    pub(crate) fn enabled(&self, rule: Rule) -> bool {
        self.settings.rules.contains(&rule)
    }

    pub(crate) fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub(crate) fn text(&self, range: TextRange) -> &'a str {
        source::slice(self.source, range)
    }

    /// The source of `range` for a message: whole when short and on one line.
    pub(crate) fn snippet(&self, range: TextRange) -> String {
        let text = self.text(range);
        let first_line = text.lines().next().unwrap_or("");
        if first_line.len() == text.len() && text.chars().count() <= 60 {
            text.to_string()
        } else {
            // The first line, without a trailing comment, cut to a readable length.
            let code = first_line.split("  #").next().unwrap_or(first_line);
            let short: String = code.chars().take(40).collect();
            format!("{}…", short.trim_end())
        }
    }

    // ----- the walk -----

    pub(crate) fn check_module(
        mut self,
        body: &[Stmt],
    ) -> (Vec<Diagnostic>, IndexView<'a>, PythonFacts) {
        self.visit_body(body);
        self.settle();
        let Checker {
            semantic,
            diagnostics,
            process,
            ..
        } = self;
        (diagnostics, semantic.index, process)
    }

    pub(crate) fn span(&self, range: TextRange) -> Span {
        Span {
            range,
            start: self.lines.position(self.source, range.start()),
            end: self.lines.position(self.source, range.end()),
        }
    }

    /// An integer the code spells as a constant: `500_000`, `500 * 1000`, `5 * 10 ** 5`,
    /// or a module-level name bound to one.
    pub(crate) fn constant_int(&self, expr: &Expr) -> Option<i64> {
        self.constant_int_at(expr, 0)
    }

    fn constant_int_at(&self, expr: &Expr, depth: usize) -> Option<i64> {
        if depth > 16 {
            return None;
        }
        match expr {
            Expr::NumberLiteral(_) => literal::int(expr),
            Expr::UnaryOp(unary) if unary.op == ast::UnaryOp::USub => {
                self.constant_int_at(&unary.operand, depth + 1).map(|v| -v)
            }
            Expr::BinOp(binop) => {
                let left = self.constant_int_at(&binop.left, depth + 1)?;
                let right = self.constant_int_at(&binop.right, depth + 1)?;
                match binop.op {
                    ast::Operator::Add => left.checked_add(right),
                    ast::Operator::Sub => left.checked_sub(right),
                    ast::Operator::Mult => left.checked_mul(right),
                    ast::Operator::FloorDiv if right != 0 => Some(left.div_euclid(right)),
                    ast::Operator::Pow => {
                        u32::try_from(right).ok().and_then(|r| left.checked_pow(r))
                    }
                    _ => None,
                }
            }
            Expr::Name(name) => self.constants.get(name.id.as_str()).copied(),
            _ => None,
        }
    }

    /// A function that registers things rather than caching them: used as a decorator
    /// here, returning one of its parameters, called while the module is imported, or
    /// named like a registrar (`register*`, `ready`, `autodiscover`), or nested in one.
    pub(crate) fn is_registrar(&self, function: FunctionId) -> bool {
        let info = &self.semantic.functions[function];
        let name = info.name.trim_start_matches('_');
        self.decorator_names.contains(&info.name)
            || self.module_calls.contains(&info.name)
            || info.returned_names.iter().any(|n| info.parameters.contains(n))
            || name.starts_with("register")
            || matches!(name, "ready" | "autodiscover" | "init_subclass__" | "set_name__" | "contribute_to_class")
            // A metaclass runs while classes are defined, i.e. at import.
            || info.class.as_ref().is_some_and(|(class, _)| {
                let class = crate::semantic::index::last_segment(class);
                class.ends_with("Meta") || class.ends_with("Metaclass") || class.ends_with("MetaClass")
                    || self.metaclasses.contains(class)
            })
            || info.parent.is_some_and(|parent| self.is_registrar(parent))
    }

    /// In a management command (a class deriving from BaseCommand), a one-shot process.
    pub(crate) fn in_management_command(&self) -> bool {
        self.semantic.functions.iter().any(|f| {
            f.class
                .as_ref()
                .is_some_and(|(_, kind)| *kind == ClassKind::Command)
        })
    }

    fn visit_body(&mut self, body: &[Stmt]) {
        // After `if not x: return`, the rest of the body runs on some calls only.
        let mut exited = false;
        for stmt in body {
            let before = self.exits;
            self.visit_stmt(stmt);
            let compound = matches!(
                stmt,
                Stmt::If(_)
                    | Stmt::For(_)
                    | Stmt::While(_)
                    | Stmt::With(_)
                    | Stmt::Try(_)
                    | Stmt::Match(_)
            );
            if !exited && compound && self.exits != before {
                exited = true;
                self.conditional_depth += 1;
            }
        }
        if exited {
            self.conditional_depth -= 1;
        }
    }

    fn visit_stmt(&mut self, stmt: &Stmt) {
        if self.depth > MAX_WALK_DEPTH {
            return;
        }
        self.depth += 1;
        match stmt {
            Stmt::FunctionDef(f) => self.visit_function(
                &f.name,
                &f.parameters,
                &f.body,
                &f.decorator_list,
                f.returns.as_deref(),
                f.is_async,
            ),
            Stmt::ClassDef(class) => self.visit_class(class),
            Stmt::Return(ret) => {
                self.exits.0 += 1;
                let returned = ret.value.as_deref().map(|value| self.semantic.infer(value));
                let returned = returned.as_ref().and_then(Value::queryset);
                let returns_queryset = returned.is_some();
                if returned.is_some_and(|info| !info.prefetch.is_empty() || info.prefetch_unknown)
                    && let Some(function) = self.semantic.current_function()
                {
                    self.semantic.functions[function].returns_prefetch = true;
                }
                if returned.is_some_and(|info| !info.loads_few_rows())
                    && let Some(function) = self.semantic.current_function()
                {
                    self.semantic.functions[function].returns_many_rows = true;
                }
                if let Some(value) = &ret.value {
                    self.visit_expr(value);
                }
                if let (Some(function), Some(Expr::Name(name))) =
                    (self.semantic.current_function(), ret.value.as_deref())
                {
                    self.semantic.functions[function]
                        .returned_names
                        .push(name.id.to_string());
                }
                if let Some(function) = self.semantic.current_function() {
                    self.semantic.functions[function]
                        .returns
                        .push(returns_queryset);
                }
            }
            Stmt::Delete(delete) => {
                for target in &delete.targets {
                    rules::growing_global_container::delete(self, target);
                    match target {
                        Expr::Name(name) => self.semantic.unbind(name.id.as_str()),
                        other => self.visit_expr_as(other, Use::Derive),
                    }
                }
            }
            Stmt::Assign(assign) => {
                let mut value = self.semantic.infer(&assign.value);
                if let [Expr::Name(target)] = assign.targets.as_slice() {
                    if let Some(container) =
                        self.definition(target.id.as_str(), &assign.value, stmt.range())
                    {
                        value = container;
                    }
                    self.module_assignment(target.id.as_str(), &assign.value, stmt.range());
                }
                rules::accumulated_file_read::assignment(
                    self,
                    &assign.targets,
                    &assign.value,
                    stmt.range(),
                );
                let derived = self.start_loop_variable_watch();
                self.visit_expr(&assign.value);
                self.end_loop_variable_watch(derived, &assign.targets);
                for target in &assign.targets {
                    self.visit_store(target, &value, Some(&assign.value));
                }
                rules::assignment(self, &assign.targets, &assign.value, &value);
            }
            Stmt::AugAssign(aug) => {
                if aug.op == ast::Operator::Add {
                    rules::accumulated_file_read::augmented(
                        self,
                        &aug.target,
                        &aug.value,
                        stmt.range(),
                    );
                }
                self.visit_expr(&aug.value);
                if matches!(aug.op, ast::Operator::Add | ast::Operator::BitOr) {
                    rules::growing_global_container::augmented(self, &aug.target, stmt.range());
                }
                match aug.target.as_ref() {
                    Expr::Name(name) => {
                        self.use_name(name.id.as_str(), Use::Derive);
                        let value = match aug.op {
                            ast::Operator::BitOr | ast::Operator::BitAnd => {
                                self.semantic.infer(&aug.target)
                            }
                            _ => Value::Unknown,
                        };
                        self.semantic.bind(name.id.as_str(), value);
                    }
                    target => {
                        if let Expr::Subscript(subscript) = target {
                            rules::instance_keyed_container::check_subscript_write(self, subscript);
                            rules::growing_global_container::subscript_store(
                                self,
                                subscript,
                                Some(&aug.value),
                            );
                        }
                        self.visit_target_parts(target);
                    }
                }
            }
            Stmt::AnnAssign(ann) => {
                let mut value = ann
                    .value
                    .as_deref()
                    .map_or(Value::Unknown, |v| self.semantic.infer(v));
                if let (Expr::Name(target), Some(assigned)) =
                    (ann.target.as_ref(), ann.value.as_deref())
                {
                    if let Some(container) =
                        self.definition(target.id.as_str(), assigned, stmt.range())
                    {
                        value = container;
                    }
                    self.module_assignment(target.id.as_str(), assigned, stmt.range());
                }
                if annotation_value(&ann.annotation).is_some() && value == Value::Unknown {
                    value = annotation_value(&ann.annotation).unwrap_or_default();
                }
                if let Some(v) = &ann.value {
                    self.visit_expr(v);
                }
                self.visit_store(&ann.target, &value, ann.value.as_deref());
            }
            Stmt::For(f) => self.visit_for(&f.target, &f.iter, &f.body, &f.orelse),
            Stmt::While(w) => {
                self.visit_test(&w.test);
                let before = self.semantic.snapshot();
                self.semantic.push_loop(None, w.test.range());
                self.conditional_depth += 1;
                let loop_exits = self.exits.1;
                self.visit_body(&w.body);
                self.exits.1 = loop_exits;
                self.conditional_depth -= 1;
                self.semantic.pop_loop();
                self.visit_body(&w.orelse);
                let after = self.semantic.snapshot();
                self.semantic.merge(vec![before, after]);
            }
            Stmt::If(i) => self.visit_if(&i.test, &i.body, &i.elif_else_clauses),
            Stmt::With(w) => {
                for item in &w.items {
                    self.visit_with_item(item);
                }
                self.visit_body(&w.body);
            }
            Stmt::Match(m) => {
                self.visit_expr(&m.subject);
                let before = self.semantic.snapshot();
                let mut branches = vec![before.clone()];
                for case in &m.cases {
                    self.semantic.restore(before.clone());
                    if let Some(guard) = &case.guard {
                        self.visit_test(guard);
                    }
                    self.conditional_depth += 1;
                    self.visit_body(&case.body);
                    self.conditional_depth -= 1;
                    branches.push(self.semantic.snapshot());
                }
                self.semantic.merge(branches);
            }
            Stmt::Raise(r) => {
                self.exits.0 += 1;
                for e in [&r.exc, &r.cause].into_iter().flatten() {
                    self.visit_expr(e);
                }
            }
            Stmt::Try(t) => self.visit_try(&t.body, &t.handlers, &t.orelse, &t.finalbody),
            Stmt::Assert(a) => {
                self.visit_test(&a.test);
                if let Some(msg) = &a.msg {
                    self.visit_expr(msg);
                }
            }
            Stmt::Import(import) => {
                for alias in &import.names {
                    let module = alias.name.as_str();
                    match &alias.asname {
                        Some(asname) => {
                            self.semantic
                                .bind(asname.as_str(), Value::Module(module.to_string()));
                        }
                        None => {
                            let top = module.split('.').next().unwrap_or(module);
                            self.semantic.bind(top, Value::Module(top.to_string()));
                        }
                    }
                }
            }
            Stmt::ImportFrom(import) => {
                let module = resolve_relative(
                    self.semantic.index.module(),
                    import.module.as_ref().map(ast::Identifier::as_str),
                    import.level,
                );
                let current = self.semantic.index.module().to_string();
                for alias in &import.names {
                    let name = alias.name.as_str();
                    if name == "*" {
                        if self.semantic.at_import_time() {
                            self.process.record_star_import(module.clone());
                        }
                        continue;
                    }
                    let bound = alias.asname.as_deref().unwrap_or(name);
                    // `from . import views` binds a module; `from m import f` a name in m.
                    let value = match imported_name(import, &current, name) {
                        ImportedName::Module(module) => Value::Module(module),
                        ImportedName::Name { module, name } => Value::Imported { module, name },
                    };
                    self.semantic.bind(bound, value);
                }
            }
            Stmt::Global(global) => {
                for name in &global.names {
                    self.semantic.declare_global(name.as_str());
                }
            }
            Stmt::Break(_) | Stmt::Continue(_) => self.exits.1 += 1,
            Stmt::Nonlocal(_) | Stmt::Pass(_) => {}
            Stmt::Expr(e) => self.visit_expr(&e.value),
            Stmt::TypeAlias(alias) => self.visit_expr(&alias.value),
            Stmt::IpyEscapeCommand(_) => {}
        }
        self.depth -= 1;
    }

    /// The replacement fields of an f- or t-string, format specs included.
    fn visit_interpolations<'e>(
        &mut self,
        elements: impl Iterator<Item = &'e ast::InterpolatedStringElement>,
    ) {
        for element in elements {
            if let ast::InterpolatedStringElement::Interpolation(field) = element {
                self.visit_expr(&field.expression);
                if let Some(spec) = &field.format_spec {
                    self.visit_interpolations(spec.elements.iter());
                }
            }
        }
    }

    /// `if`/`elif`/`else`: each `elif` is an `if` nested in the `else` of the one before,
    /// as Python defines it, so bindings merge the same way.
    fn visit_if(&mut self, test: &Expr, body: &[Stmt], clauses: &[ast::ElifElseClause]) {
        self.visit_test(test);
        let before = self.semantic.snapshot();
        let main_guard = is_main_guard(test);
        let outer_guard = self.semantic.in_main_guard;
        self.semantic.in_main_guard |= main_guard;
        let configuration = process::python::reads_configuration(test, 0);
        self.configuration_guards += u32::from(configuration);
        let change_guard = loops::is_change_guard(test, body);
        self.semantic.change_guards += u32::from(change_guard);
        self.conditional_depth += 1;
        self.visit_body(body);
        self.conditional_depth -= 1;
        self.semantic.change_guards -= u32::from(change_guard);
        self.configuration_guards -= u32::from(configuration);
        self.semantic.in_main_guard = outer_guard;
        let after_body = self.semantic.snapshot();
        self.semantic.restore(before);
        if let Some((clause, rest)) = clauses.split_first() {
            self.conditional_depth += 1;
            match &clause.test {
                Some(test) => self.visit_if(test, &clause.body, rest),
                None => self.visit_body(&clause.body),
            }
            self.conditional_depth -= 1;
        }
        let after_else = self.semantic.snapshot();
        self.semantic.merge(vec![after_body, after_else]);
    }

    /// Inside a loop over a queryset, an assignment whose value uses a loop variable
    /// (`page = permission.page`) makes its target one too, for DJM203.
    fn start_loop_variable_watch(&mut self) -> bool {
        let names = self.semantic.queryset_loop_variables();
        if names.is_empty() {
            return false;
        }
        self.name_watches.push(NameWatch { names, seen: false });
        true
    }

    fn end_loop_variable_watch(&mut self, watching: bool, targets: &[Expr]) {
        if !watching {
            return;
        }
        let Some(watch) = self.name_watches.pop() else {
            return;
        };
        if !watch.seen {
            return;
        }
        let mut names = Vec::new();
        for target in targets {
            collect_names(target, &mut names);
        }
        let function = self.semantic.current_function();
        if let Some(frame) = self
            .semantic
            .loops
            .iter_mut()
            .rev()
            .find(|frame| frame.queryset.is_some() && frame.function == function)
        {
            frame.variables.extend(names.iter().map(|n| n.to_string()));
        }
    }

    fn visit_with_item(&mut self, item: &ast::WithItem) {
        self.visit_expr(&item.context_expr);
        if let Some(vars) = &item.optional_vars {
            self.visit_store(vars, &Value::Unknown, None);
        }
    }

    fn visit_try(
        &mut self,
        body: &[Stmt],
        handlers: &[ast::ExceptHandler],
        orelse: &[Stmt],
        finalbody: &[Stmt],
    ) {
        let before = self.semantic.snapshot();
        self.visit_body(body);
        self.visit_body(orelse);
        let mut branches = vec![before.clone(), self.semantic.snapshot()];
        for ast::ExceptHandler::ExceptHandler(handler) in handlers {
            if let Some(type_) = &handler.type_ {
                self.visit_expr(type_);
            }
            if let Some(name) = &handler.name {
                self.semantic.bind(name.as_str(), Value::Unknown);
            }
            self.conditional_depth += 1;
            self.visit_body(&handler.body);
            self.conditional_depth -= 1;
            branches.push(self.semantic.snapshot());
        }
        self.semantic.merge(branches);
        self.visit_body(finalbody);
    }

    fn visit_function(
        &mut self,
        name: &ast::Identifier,
        args: &ast::Parameters,
        body: &[Stmt],
        decorators: &[ast::Decorator],
        returns: Option<&Expr>,
        is_async: bool,
    ) {
        let decorators: Vec<&Expr> = decorators.iter().map(|d| &d.expression).collect();
        for decorator in &decorators {
            self.visit_expr(decorator);
        }
        for decorator in &decorators {
            let name = match decorator {
                Expr::Call(call) => call.func.as_ref(),
                other => other,
            };
            if let Expr::Name(name) = name {
                self.decorator_names.insert(name.id.to_string());
            }
        }
        for arg in args
            .posonlyargs
            .iter()
            .chain(&args.args)
            .chain(&args.kwonlyargs)
        {
            if let Some(default) = &arg.default {
                self.visit_expr(default);
            }
        }
        let class = match self.semantic.scope_kind() {
            ScopeKind::Class { name, kind } => Some((name.clone(), *kind)),
            _ => None,
        };
        let is_static = decorators
            .iter()
            .any(|d| crate::semantic::decorator_name(d) == "staticmethod");
        let is_classmethod = decorators
            .iter()
            .any(|d| crate::semantic::decorator_name(d) == "classmethod");
        let is_property = decorators.iter().any(|d| {
            matches!(
                crate::semantic::decorator_name(d),
                "property" | "cached_property"
            )
        });
        let task = decorators
            .iter()
            .any(|decorator| self.is_task_decorator(decorator));
        let qualname = match &class {
            Some((class, _)) => format!("{class}.{name}"),
            None => name.to_string(),
        };
        let parameters: Vec<String> = args
            .posonlyargs
            .iter()
            .chain(&args.args)
            .chain(&args.kwonlyargs)
            .map(|arg| arg.parameter.name.to_string())
            .chain(
                args.vararg
                    .iter()
                    .chain(&args.kwarg)
                    .map(|arg| arg.name.to_string()),
            )
            .collect();
        let skip_receiver = usize::from(class.is_some() && !is_static);
        let graph_name = self.graph_qualname_in(
            self.semantic.current_function(),
            class.as_ref().map(|(class, _)| class.as_str()),
            name.as_str(),
        );
        let is_flag = |arg: &ast::ParameterWithDefault| {
            matches!(arg.default.as_deref(), Some(Expr::BooleanLiteral(_)))
        };
        // Parameters every caller in the project passes a constant for (module-level
        // functions only): a key space as fixed as a flag's.
        let constant_parameters = if class.is_none() && self.semantic.current_function().is_none() {
            self.semantic.index.bounded_parameters(name.as_str())
        } else {
            0
        };
        let passed_constant = |i: usize| i < 32 && constant_parameters & (1 << i) != 0;
        let shape = rules::FunctionShape {
            is_method: class.is_some() && !is_static && !is_classmethod,
            parameters: args
                .posonlyargs
                .iter()
                .chain(&args.args)
                .chain(&args.kwonlyargs)
                .enumerate()
                .map(|(i, arg)| {
                    let bounded = is_flag(arg) || passed_constant(i);
                    (arg.parameter.name.to_string(), bounded)
                })
                .chain(
                    args.vararg
                        .iter()
                        .chain(&args.kwarg)
                        .map(|arg| (arg.name.to_string(), false)),
                )
                .skip(skip_receiver)
                .collect(),
            at_import_level: self.semantic.at_import_time(),
            one_shot: self.semantic.index.is_one_shot(&graph_name),
            enum_method: class
                .as_ref()
                .is_some_and(|(class, _)| self.enum_classes.contains(class)),
        };
        for decorator in &decorators {
            if let Some(container) = rules::function_decorator(self, decorator, &shape) {
                self.containers.push(container);
            }
        }
        self.semantic
            .bind(name.as_str(), Value::Function(qualname.clone()));
        let _ = returns;
        let parent = self.semantic.current_function();
        let id = self.semantic.push_function(FunctionInfo {
            name: name.to_string(),
            class: class.clone(),
            parent,
            task,
            calls: Vec::new(),
            returns: Vec::new(),
            returns_prefetch: false,
            returns_many_rows: false,
            parameters,
            returned_names: Vec::new(),
            is_async,
            positional_bindings: Vec::new(),
            parameter_reads: Vec::new(),
        });
        self.semantic.push_scope(ScopeKind::Function(id));
        let positional: Vec<&ast::ParameterWithDefault> =
            args.posonlyargs.iter().chain(&args.args).collect();
        let parameter_names: Vec<String> = positional
            .iter()
            .copied()
            .chain(&args.kwonlyargs)
            .map(|arg| arg.parameter.name.to_string())
            .collect();
        let signature = crate::semantic::parameters::Signature {
            class: class.as_ref().map(|(name, kind)| (name.as_str(), *kind)),
            function: name.as_str(),
            decorators: &decorators,
            parameters: &parameter_names,
            takes_kwargs: args.kwarg.is_some(),
            docstring: body.first().and_then(|stmt| match stmt {
                Stmt::Expr(ast::StmtExpr { value, .. }) => match value.as_ref() {
                    Expr::StringLiteral(s) => Some(s.value.to_str()),
                    _ => None,
                },
                _ => None,
            }),
        };
        let mut positional_bindings = Vec::new();
        for (i, arg) in positional
            .iter()
            .copied()
            .chain(&args.kwonlyargs)
            .enumerate()
        {
            let value = match (&class, i) {
                (Some((class, _)), 0) if !is_static && !is_classmethod => {
                    Value::SelfRef(qualify(self.semantic.index.module(), class))
                }
                (Some((class, _)), 0) if is_classmethod => {
                    Value::Class(qualify(self.semantic.index.module(), class))
                }
                _ => match arg
                    .parameter
                    .annotation
                    .as_deref()
                    .and_then(annotation_value)
                {
                    Some(value) => value,
                    None if let Some(value) = crate::semantic::parameters::framework_value(
                        &self.semantic,
                        &signature,
                        i,
                        arg.parameter.name.as_str(),
                    ) =>
                    {
                        value
                    }
                    // `def backfill(Order): Order.objects...`: a model class handed in.
                    None if arg
                        .parameter
                        .name
                        .starts_with(|c: char| c.is_ascii_uppercase()) =>
                    {
                        Value::ModelClass(None)
                    }
                    None => Value::Unknown,
                },
            };
            let binding = self.semantic.bind(arg.parameter.name.as_str(), value);
            if i < positional.len() {
                positional_bindings.push(binding);
            }
        }
        for arg in [&args.vararg, &args.kwarg].into_iter().flatten() {
            self.semantic.bind(arg.name.as_str(), Value::Unknown);
        }
        self.semantic.functions[id].parameter_reads = vec![Vec::new(); positional_bindings.len()];
        self.semantic.functions[id].positional_bindings = positional_bindings.clone();
        let loops = std::mem::take(&mut self.semantic.loops);
        // A parameter annotated with an enumeration of this file holds one of its members.
        let enum_parameters = args
            .posonlyargs
            .iter()
            .chain(&args.args)
            .chain(&args.kwonlyargs)
            .enumerate()
            .filter(|(i, arg)| {
                *i < 32
                    && arg
                        .parameter
                        .annotation
                        .as_deref()
                        .is_some_and(|annotation| {
                            let name = match annotation {
                                Expr::Name(n) => n.id.as_str(),
                                Expr::Attribute(a) => a.attr.as_str(),
                                _ => "",
                            };
                            self.enum_classes.contains(name)
                        })
            })
            .fold(0u32, |mask, (i, _)| mask | (1 << i));
        // Only a keyed store into a module- or class-level container asks which locals
        // are bounded (`bounded_key`), and one defined later is not known while this
        // body is walked: without any, the fixpoint over the body's assignments (a
        // sixth of a cold run's CPU on the bench corpus) is not worked out.
        let bounded = if self.containers.is_empty() {
            HashSet::default()
        } else {
            self.bounded_locals_of(
                &self.semantic.functions[id].parameters,
                constant_parameters | enum_parameters,
                body,
            )
        };
        self.bounded_locals.push(bounded);
        // A function defined under an `if` has its own branches.
        let conditional = std::mem::take(&mut self.conditional_depth);
        // Its `return`s leave it, not the body that defines it.
        let exits = self.exits;
        // A validator of a read-only serializer field never runs: nothing in it costs.
        let never_called = class.as_ref().is_some_and(|(class, _)| {
            name.strip_prefix("validate_").is_some_and(|field| {
                self.read_only_fields
                    .get(class)
                    .is_some_and(|fields| fields.iter().any(|f| f == field))
            })
        });
        if !never_called {
            self.visit_body(body);
        }
        self.exits = exits;
        self.conditional_depth = conditional;
        self.bounded_locals.pop();
        self.semantic.loops = loops;
        self.semantic.pop_scope();
        // Only module functions are called by name; a parameter is "only derived from"
        // when nothing in the body loads its rows.
        let derived_parameters = if class.is_none() && parent.is_none() {
            positional_bindings
                .iter()
                .map(|binding| {
                    let uses = self.semantic.use_counts(*binding);
                    uses.evaluations == 0 && uses.cache_fills == 0 && uses.indexes == 0
                })
                .collect()
        } else {
            Vec::new()
        };
        let info = &self.semantic.functions[id];
        let returns_queryset = !info.returns.is_empty() && info.returns.iter().all(|r| *r);
        let is_direct = match (&class, parent) {
            (Some(_), _) => true,
            (None, None) => true,
            (None, Some(_)) => false,
        };
        if is_direct {
            self.semantic.index.add_function(FunctionFact {
                class: class.map(|(class, _)| class),
                name: name.to_string(),
                returns_queryset,
                returns_prefetch: info.returns_prefetch,
                returns_few_rows: returns_queryset && !info.returns_many_rows,
                derived_parameters,
                parameter_reads: info.parameter_reads.clone(),
                property: is_property,
            });
        }
    }

    fn is_task_decorator(&self, decorator: &Expr) -> bool {
        let target = match decorator {
            Expr::Call(call) => call.func.as_ref(),
            other => other,
        };
        let name = match target {
            Expr::Name(name) => match self.semantic.resolve(name.id.as_str()) {
                Some(id) => match &self.semantic.binding(id).value {
                    Value::Imported { name, .. } => name.clone(),
                    _ => name.id.to_string(),
                },
                None => name.id.to_string(),
            },
            Expr::Attribute(attribute) => attribute.attr.to_string(),
            _ => return false,
        };
        batch::is_task_decorator(&name, &self.settings.batch_decorators)
    }

    fn visit_class(&mut self, class: &ast::StmtClassDef) {
        for decorator in &class.decorator_list {
            self.visit_expr(&decorator.expression);
        }
        for base in class.bases() {
            self.visit_expr_as(base, Use::Derive);
        }
        for keyword in class.keywords() {
            self.visit_expr(&keyword.value);
        }
        let name = class.name.to_string();
        // Metaclasses (`type`, Django's `ModelBase`, `ABCMeta`) run while classes are defined.
        let metaclass_base = |base: &Expr| {
            let last = match base {
                Expr::Name(n) => n.id.as_str(),
                Expr::Attribute(a) => a.attr.as_str(),
                _ => return false,
            };
            matches!(last, "type" | "ModelBase" | "ABCMeta")
                || last.ends_with("Meta")
                || last.ends_with("Metaclass")
        };
        if class.bases().iter().any(metaclass_base) {
            self.metaclasses.insert(name.clone());
        }
        if self.is_enum_class(class) {
            self.enum_classes.insert(name.clone());
        }
        let constants: HashSet<String> = class
            .body
            .iter()
            .filter_map(|stmt| match stmt {
                Stmt::Assign(assign) => match (assign.targets.as_slice(), assign.value.as_ref()) {
                    ([Expr::Name(target)], value) if is_constant(value) => {
                        Some(target.id.to_string())
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect();
        self.class_constants.insert(name.clone(), constants);
        let read_only = crate::semantic::parameters::read_only_serializer_fields(class);
        // Only serializers keep an entry; a later class of the same name replaces it.
        if read_only.is_empty() {
            self.read_only_fields.remove(&name);
        } else {
            self.read_only_fields.insert(name.clone(), read_only);
        }
        let qualified = qualify(self.semantic.index.module(), &name);
        self.semantic.bind(&name, Value::Class(qualified.clone()));
        if self.enabled(Rule::UnpaginatedListView) {
            rules::unpaginated_list_view::class_shape(self, class);
        }
        let kind = self.semantic.index.class_kind(&qualified);
        rules::growing_global_container::instance_containers(self, class, &qualified);
        self.semantic.push_scope(ScopeKind::Class {
            name: name.clone(),
            kind,
        });
        self.visit_body(&class.body);
        self.semantic.pop_scope();
    }

    /// A dotted name qualified through this file's imports: `models.Model` with
    /// `from django.db import models` is `django.db.models.Model`.
    pub(crate) fn qualified_name(&self, expr: &Expr) -> Option<String> {
        dotted_name(expr, &|name| match self.semantic.resolve(name) {
            Some(id) => match &self.semantic.binding(id).value {
                Value::Imported { module, name } => join_module(module, name),
                Value::Module(module) => module.clone(),
                Value::Class(qualified) => qualified.clone(),
                _ => name.to_string(),
            },
            None => name.to_string(),
        })
    }

    fn visit_for(&mut self, target: &Expr, iter: &Expr, body: &[Stmt], orelse: &[Stmt]) {
        let iterated = self.semantic.infer(iter);
        let keeps_every_row = loops::collects_every_row(body, target);
        rules::iteration(self, iter, &iterated, true, keeps_every_row);
        rules::loop_statement(self, iter, &iterated, body, target);
        self.visit_expr(iter);
        let before = self.semantic.snapshot();
        self.enter_loop(target, iter, &iterated);
        self.conditional_depth += 1;
        // `break`/`continue` in the body end this loop, not the body around it.
        let loop_exits = self.exits.1;
        self.visit_body(body);
        self.exits.1 = loop_exits;
        self.conditional_depth -= 1;
        rules::loop_end(self, Some((iter, &iterated)));
        self.semantic.pop_loop();
        self.visit_body(orelse);
        let after = self.semantic.snapshot();
        self.semantic.merge(vec![before, after]);
    }

    /// Pushes the loop frame and binds the loop variables.
    fn enter_loop(&mut self, target: &Expr, iter: &Expr, iterated: &Value) {
        let queryset = match iterated {
            Value::Queryset(info) | Value::Iterator(info) => Some(info.clone()),
            _ => None,
        };
        let element = match &queryset {
            Some(info) if !info.yields_values => Value::Instance(InstanceInfo {
                model: info.model.clone(),
                prefetch: info.prefetch.clone(),
                loop_variable: true,
                caller_may_prefetch: info.caller_may_prefetch || info.prefetch_unknown,
                through_prefetch: false,
                select_related: info.select_related.clone(),
                select_all: info.select_all,
            }),
            _ => self.semantic.loop_element(iter),
        };
        self.semantic.push_loop(queryset.clone(), iter.range());
        let mut names = Vec::new();
        collect_names(target, &mut names);
        if queryset.is_some()
            && let Some(frame) = self.semantic.loops.last_mut()
        {
            frame.variables = names.iter().map(|n| n.to_string()).collect();
        }
        match target {
            Expr::Name(name) => {
                self.semantic.bind(name.id.as_str(), element);
            }
            other => self.visit_store(other, &Value::Unknown, None),
        }
    }

    /// Binds the names of an assignment target; visits the expressions inside
    /// attribute and subscript targets.
    fn visit_store(&mut self, target: &Expr, value: &Value, value_expr: Option<&Expr>) {
        match target {
            Expr::Name(name) => {
                if self.semantic.declared_global_here(name.id.as_str()) {
                    rules::growing_global_container::rebinding(self, target);
                }
                let binding = self.semantic.bind(name.id.as_str(), value.clone());
                if let Some(Expr::Dict(_) | Expr::Tuple(_)) = value_expr {
                    let shape = rules::growing_global_container::literal_shape(
                        value_expr.unwrap_or(target),
                    );
                    self.shapes.insert(binding, shape);
                }
            }
            Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
                let values: Option<&Vec<Expr>> = match value_expr {
                    Some(Expr::Tuple(t)) if t.elts.len() == elts.len() => Some(&t.elts),
                    _ => None,
                };
                for (i, element) in elts.iter().enumerate() {
                    let element_value = values
                        .map(|v| self.semantic.infer(&v[i]))
                        .unwrap_or_default();
                    self.visit_store(element, &element_value, values.map(|v| &v[i]));
                }
            }
            Expr::Starred(starred) => self.visit_store(&starred.value, &Value::Unknown, None),
            Expr::Subscript(subscript) => {
                rules::iterator_without_server_side_cursor::subscript_setting(
                    self, subscript, value_expr,
                );
                rules::instance_keyed_container::check_subscript_write(self, subscript);
                rules::growing_global_container::subscript_store(self, subscript, value_expr);
                self.visit_target_parts(target);
            }
            Expr::Attribute(attribute) => {
                rules::attribute_store(self, attribute);
                rules::growing_global_container::rebinding(self, target);
                if process::python::recycles_celery_children(attribute.attr.as_str()) {
                    self.process.celery_recycling = true;
                }
                self.visit_target_parts(target);
            }
            other => self.visit_target_parts(other),
        }
    }

    fn visit_target_parts(&mut self, target: &Expr) {
        match target {
            Expr::Attribute(attribute) => self.visit_expr_as(&attribute.value, Use::Derive),
            Expr::Subscript(subscript) => {
                self.visit_expr_as(&subscript.value, Use::Derive);
                self.visit_expr(&subscript.slice);
            }
            Expr::Name(_) => {}
            other => self.visit_expr(other),
        }
    }

    /// An expression whose truth value is taken.
    pub(crate) fn visit_test(&mut self, test: &Expr) {
        if self.depth > MAX_WALK_DEPTH {
            return;
        }
        match test {
            Expr::BoolOp(boolop) => {
                for value in &boolop.values {
                    self.visit_test(value);
                }
            }
            Expr::UnaryOp(unary) if unary.op == ast::UnaryOp::Not => {
                self.visit_test(&unary.operand)
            }
            // `if x := qs:` binds first; the rules then judge `x` like any other name.
            Expr::Named(named) => {
                let value = self.semantic.infer(&named.value);
                self.visit_expr_as(&named.value, Use::Derive);
                self.visit_store(&named.target, &value, Some(&named.value));
                rules::boolean_context(self, test);
                self.visit_expr_as(&named.target, Use::CacheFill);
            }
            _ => {
                rules::boolean_context(self, test);
                self.visit_expr_as(test, Use::CacheFill);
            }
        }
    }

    pub(crate) fn visit_expr(&mut self, expr: &Expr) {
        self.visit_expr_as(expr, Use::Evaluate);
    }

    pub(crate) fn use_name(&mut self, name: &str, use_: Use) {
        for watch in &mut self.name_watches {
            if watch.names.iter().any(|watched| watched == name) {
                watch.seen = true;
            }
        }
        let Some(binding) = self.semantic.resolve(name) else {
            return;
        };
        match use_ {
            Use::Evaluate => self.semantic.mark_evaluated(binding),
            // A truth test or `in` repeated on every pass of a loop over a queryset bound
            // before the loop loads it once and reads the cache after: the rows are used.
            Use::CacheFill if self.semantic.repeats_in_loop(binding) => {
                self.semantic.mark_evaluated(binding)
            }
            Use::CacheFill => self.semantic.mark_cache_fill(binding),
            Use::Index => self.semantic.mark_indexed(binding),
            Use::Derive => {}
        }
    }

    fn visit_expr_as(&mut self, expr: &Expr, use_: Use) {
        if self.depth > MAX_WALK_DEPTH {
            return;
        }
        self.depth += 1;
        match expr {
            Expr::Name(name) => {
                if name.ctx == ast::ExprContext::Load {
                    self.use_name(name.id.as_str(), use_);
                }
            }
            Expr::BoolOp(boolop) => {
                // In a value position `a and b` tests `a`; `a or b` may return `a` itself.
                let last = boolop.values.len().saturating_sub(1);
                for (i, value) in boolop.values.iter().enumerate() {
                    if boolop.op == ast::BoolOp::And && i < last {
                        let pure = std::mem::replace(&mut self.pure_test, false);
                        self.visit_test(value);
                        self.pure_test = pure;
                    } else {
                        self.visit_expr_as(value, use_);
                    }
                }
            }
            Expr::Named(named) => {
                let value = self.semantic.infer(&named.value);
                self.visit_expr_as(&named.value, use_);
                self.visit_store(&named.target, &value, Some(&named.value));
            }
            Expr::BinOp(binop) => {
                let operand_use = match binop.op {
                    ast::Operator::BitOr | ast::Operator::BitAnd => Use::Derive,
                    _ => Use::Evaluate,
                };
                self.visit_expr_as(&binop.left, operand_use);
                self.visit_expr_as(&binop.right, operand_use);
            }
            Expr::UnaryOp(unary) => {
                if unary.op == ast::UnaryOp::Not {
                    self.visit_test(&unary.operand);
                } else {
                    self.visit_expr(&unary.operand);
                }
            }
            Expr::Lambda(lambda) => {
                let parameters = lambda.parameters.as_deref();
                for default in parameters
                    .into_iter()
                    .flat_map(|p| p.iter_non_variadic_params())
                    .filter_map(|p| p.default.as_deref())
                {
                    self.visit_expr(default);
                }
                // A lambda's body runs when, and if, someone calls it.
                self.conditional_depth += 1;
                self.semantic.push_scope(ScopeKind::Lambda);
                for parameter in parameters.into_iter().flat_map(|p| p.iter()) {
                    self.semantic
                        .bind(parameter.name().as_str(), Value::Unknown);
                }
                let loops = std::mem::take(&mut self.semantic.loops);
                self.visit_expr(&lambda.body);
                self.semantic.loops = loops;
                self.semantic.pop_scope();
                self.conditional_depth -= 1;
            }
            Expr::If(ifexp) => {
                self.visit_test(&ifexp.test);
                self.visit_expr_as(&ifexp.body, use_);
                self.visit_expr_as(&ifexp.orelse, use_);
            }
            Expr::Dict(dict) => {
                for item in &dict.items {
                    if let Some(key) = &item.key {
                        self.visit_expr(key);
                    }
                    self.visit_expr(&item.value);
                }
            }
            Expr::Set(ast::ExprSet { elts, .. })
            | Expr::List(ast::ExprList { elts, .. })
            | Expr::Tuple(ast::ExprTuple { elts, .. }) => {
                for element in elts {
                    self.visit_expr(element);
                }
            }
            Expr::ListComp(comp) => {
                self.visit_comprehension(expr, &comp.generators, &[&comp.elt]);
            }
            Expr::SetComp(comp) => {
                self.visit_comprehension(expr, &comp.generators, &[&comp.elt]);
            }
            Expr::Generator(comp) => {
                self.visit_comprehension(expr, &comp.generators, &[&comp.elt]);
            }
            Expr::DictComp(comp) => match &comp.key {
                Some(key) => self.visit_comprehension(expr, &comp.generators, &[key, &comp.value]),
                None => self.visit_comprehension(expr, &comp.generators, &[&comp.value]),
            },
            Expr::Await(e) => self.visit_expr(&e.value),
            Expr::Yield(e) => {
                if let Some(value) = &e.value {
                    self.visit_expr(value);
                }
            }
            Expr::YieldFrom(e) => self.visit_expr(&e.value),
            Expr::Compare(compare) => {
                rules::comparison(self, compare);
                self.visit_expr_as(&compare.left, Use::Derive);
                for (op, comparator) in compare.ops.iter().zip(&compare.comparators) {
                    let comparator_use = match op {
                        // `x in rows` on a list searches every row.
                        ast::CmpOp::In | ast::CmpOp::NotIn if self.holds_rows(comparator) => {
                            Use::Evaluate
                        }
                        ast::CmpOp::In | ast::CmpOp::NotIn => Use::CacheFill,
                        _ => Use::Derive,
                    };
                    self.visit_expr_as(comparator, comparator_use);
                }
            }
            Expr::Call(call) => self.visit_call(call),
            Expr::FString(e) => self.visit_interpolations(e.value.elements()),
            Expr::TString(e) => self.visit_interpolations(e.value.elements()),
            Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
            | Expr::NumberLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NoneLiteral(_)
            | Expr::EllipsisLiteral(_)
            | Expr::IpyEscapeCommand(_) => {}
            Expr::Attribute(attribute) => {
                if !std::mem::take(&mut self.inside_attribute) {
                    rules::attribute(self, attribute);
                }
                self.inside_attribute = matches!(attribute.value.as_ref(), Expr::Attribute(_));
                self.visit_expr_as(&attribute.value, Use::Derive);
                self.inside_attribute = false;
            }
            Expr::Subscript(subscript) => {
                // `qs[1:]` needs every row; `qs[0]` and `qs[:n]` build a small query, or
                // read the result cache when a truth test or `len()` filled it.
                let open_ended =
                    matches!(subscript.slice.as_ref(), Expr::Slice(slice) if slice.upper.is_none());
                // A list of rows read at a computed position (`rows[i]` in a loop over
                // positions) may be read whole.
                let computed_on_rows = !literal::is_fixed_position(&subscript.slice)
                    && self.holds_rows(&subscript.value);
                let value_use = if open_ended || computed_on_rows {
                    Use::Evaluate
                } else {
                    Use::Index
                };
                rules::subscript(self, subscript);
                self.visit_expr_as(&subscript.value, value_use);
                self.visit_expr(&subscript.slice);
            }
            Expr::Starred(starred) => self.visit_expr(&starred.value),
            Expr::Slice(slice) => {
                for part in [&slice.lower, &slice.upper, &slice.step]
                    .into_iter()
                    .flatten()
                {
                    self.visit_expr(part);
                }
            }
        }
        self.depth -= 1;
    }

    fn visit_call(&mut self, call: &ast::ExprCall) {
        if let (Expr::Name(name), [generator @ Expr::Generator(_)]) =
            (call.func.as_ref(), &call.arguments.args[..])
            && call.arguments.keywords.is_empty()
            && matches!(
                name.id.as_str(),
                "set" | "frozenset" | "list" | "tuple" | "sorted" | "dict"
            )
        {
            self.collected_generators.push(generator.range());
        }
        let watching = rules::query_in_loop::enter_call(self, call);
        rules::call(self, call);
        let mut arg_use = Use::Evaluate;
        match call.func.as_ref() {
            Expr::Name(name) => {
                match name.id.as_str() {
                    // The length of a list of rows needs every row (`len(rows) == 1`
                    // before `rows[0]` asks more than the front).
                    "len"
                        if call
                            .arguments
                            .args
                            .first()
                            .is_some_and(|a| self.holds_rows(a)) => {}
                    "len" => arg_use = Use::CacheFill,
                    "bool" => {
                        for arg in &call.arguments.args {
                            self.visit_test(arg);
                        }
                        self.end_call(call, watching);
                        return;
                    }
                    _ => {}
                }
                if name.id.as_str() == "prefetch_related_objects" {
                    self.semantic.prefetch_related_objects(call);
                }
                match self.semantic.current_function() {
                    Some(function) => self.semantic.functions[function]
                        .calls
                        .push(name.id.to_string()),
                    None => {
                        self.module_calls.insert(name.id.to_string());
                    }
                }
                self.use_name(name.id.as_str(), Use::Derive);
            }
            Expr::Attribute(attribute) => {
                let method = attribute.attr.as_str();
                let on_conf = matches!(attribute.value.as_ref(), Expr::Attribute(a) if a.attr.as_str() == "conf");
                if method == "update"
                    && on_conf
                    && process::python::update_recycles_celery_children(call)
                {
                    self.process.celery_recycling = true;
                }
                if method == "RunPython" {
                    let passed = call
                        .arguments
                        .args
                        .iter()
                        .chain(call.arguments.keywords.iter().map(|k| &k.value));
                    for arg in passed {
                        if let Expr::Name(name) = arg {
                            self.run_python_functions.insert(name.id.to_string());
                        }
                    }
                }
                let receiver_use = if QUERYSET_METHODS.contains(&method)
                    || INSTANCE_METHODS.contains(&method)
                    || SINGLE_RESULT_METHODS.contains(&method)
                    || NON_EVALUATING_METHODS.contains(&method)
                    || self.semantic.index.is_queryset_method(method)
                {
                    Use::Derive
                } else {
                    Use::Evaluate
                };
                self.visit_expr_as(&attribute.value, receiver_use);
            }
            other => self.visit_expr(other),
        }
        for (position, arg) in call.arguments.args.iter().enumerate() {
            let derived = arg_use == Use::Evaluate
                && self.holds_queryset(arg)
                && !call.arguments.args[..=position]
                    .iter()
                    .any(|a| matches!(a, Expr::Starred(_)))
                && self.callee_only_derives(call, position);
            self.visit_expr_as(arg, if derived { Use::Derive } else { arg_use });
        }
        for keyword in &call.arguments.keywords {
            self.visit_expr(&keyword.value);
        }
        self.end_call(call, watching);
    }

    /// A name bound to a queryset. The parameter summary is asked only for those: the
    /// one case where its answer changes a finding, and each answer learnt while the
    /// index settles costs a re-check.
    fn holds_queryset(&self, arg: &Expr) -> bool {
        let Expr::Name(name) = arg else {
            return false;
        };
        self.semantic
            .resolve(name.id.as_str())
            .is_some_and(|id| matches!(self.semantic.binding(id).value, Value::Queryset(_)))
    }

    /// A name bound to a list of a queryset's rows (`rows = list(qs)`).
    fn holds_rows(&self, expr: &Expr) -> bool {
        let Expr::Name(name) = expr else {
            return false;
        };
        self.semantic
            .resolve(name.id.as_str())
            .is_some_and(|id| matches!(self.semantic.binding(id).value, Value::Rows(_)))
    }

    /// Whether the project function called only derives queries from its positional
    /// parameter at `position`, so the queryset passed there is not evaluated.
    fn callee_only_derives(&self, call: &ast::ExprCall, position: usize) -> bool {
        let Expr::Name(name) = call.func.as_ref() else {
            return false;
        };
        let Some(id) = self.semantic.resolve(name.id.as_str()) else {
            return false;
        };
        let index = &self.semantic.index;
        match &self.semantic.binding(id).value {
            Value::Function(qualname) if !qualname.contains('.') => {
                index.function_only_derives(index.module(), qualname, position)
            }
            Value::Imported { module, name } => index.function_only_derives(module, name, position),
            _ => false,
        }
    }

    fn end_call(&mut self, call: &ast::ExprCall, watching: bool) {
        if watching {
            rules::query_in_loop::exit_call(self, call);
        }
    }

    fn visit_comprehension(
        &mut self,
        expr: &Expr,
        generators: &[ast::Comprehension],
        elts: &[&Expr],
    ) {
        let Some((first, rest)) = generators.split_first() else {
            return;
        };
        // The first iterable is evaluated in the enclosing scope, the moment the
        // comprehension is built.
        let iterated = self.semantic.infer(&first.iter);
        // A list, set or dict of every whole row (or its serialization) keeps the rows'
        // data anyway; one of `b.title` per row does not.
        let collected = !matches!(expr, Expr::Generator(_))
            || self.collected_generators.contains(&expr.range());
        let values_fields = iterated
            .queryset()
            .map(|info| info.values_fields.as_slice())
            .unwrap_or_default();
        let keeps_every_row = collected
            && first.ifs.is_empty()
            && elts.iter().any(|elt| {
                loops::holds_the_row(elt, &first.target)
                    || loops::holds_every_value(elt, &first.target, values_fields)
            });
        rules::iteration(self, &first.iter, &iterated, false, keeps_every_row);
        rules::comprehension(self, expr, &first.iter, &iterated);
        self.visit_expr(&first.iter);
        self.semantic.push_scope(ScopeKind::Comprehension);
        let mut pushed = 0;
        self.enter_loop(&first.target, &first.iter, &iterated);
        pushed += 1;
        for test in &first.ifs {
            self.visit_test(test);
        }
        for generator in rest {
            let iterated = self.semantic.infer(&generator.iter);
            rules::iteration(self, &generator.iter, &iterated, false, false);
            self.visit_expr(&generator.iter);
            self.enter_loop(&generator.target, &generator.iter, &iterated);
            pushed += 1;
            for test in &generator.ifs {
                self.visit_test(test);
            }
        }
        for elt in elts {
            self.visit_expr(elt);
        }
        for i in (0..pushed).rev() {
            let inline = (i == 0).then_some((&first.iter, &iterated));
            rules::loop_end(self, inline);
            self.semantic.pop_loop();
        }
        self.semantic.pop_scope();
    }
}

impl Checker<'_> {
    /// A module- or class-level container or cache definition: recorded, and bound
    /// to a value that points at it.
    fn definition(&mut self, name: &str, value: &Expr, range: TextRange) -> Option<Value> {
        let class = match self.semantic.scope_kind() {
            ScopeKind::Module => None,
            ScopeKind::Class { name, .. } => Some(qualify(self.semantic.index.module(), name)),
            _ => return None,
        };
        // A class defined inside a function is made anew on each call, and its
        // attributes with it: not a container that lives as long as the process.
        if class.is_some() && self.semantic.current_function().is_some() {
            return None;
        }
        if self.semantic.in_main_guard {
            return None;
        }
        let kind = rules::growing_global_container::container_definition(self, value)?;
        let id = self.containers.len();
        self.containers
            .push(Container::new(name, class.clone(), range, kind));
        // `self.X = {}` in `__init__` shadows a class attribute `X`: the instance's
        // container, registered before the class body is walked, keeps the name.
        if let Some(class) = class {
            self.class_containers
                .entry((class, name.to_string()))
                .or_insert(id);
        }
        Some(Value::Container(id))
    }

    /// Module-level assignments the process rules and constants care about.
    fn module_assignment(&mut self, name: &str, value: &Expr, range: TextRange) {
        if !matches!(self.semantic.scope_kind(), ScopeKind::Module) {
            return;
        }
        if let Some(constant) = self.constant_int(value) {
            self.constants.insert(name.to_string(), constant);
        }
        if process::python::recycles_celery_children(name) {
            self.process.celery_recycling = true;
        }
        match name {
            "INSTALLED_APPS" | "ROOT_URLCONF" => self.process.settings_markers = true,
            "DATABASES" => {
                self.process.settings_markers = true;
                rules::iterator_without_server_side_cursor::databases_setting(self, value);
            }
            "REST_FRAMEWORK" => {
                self.process.rest_framework = Some(
                    rules::unpaginated_list_view::rest_framework_pagination(value),
                );
            }
            // Only unconditional assignments decide; one under an `if` is not read.
            "DEBUG" if self.depth == 1 => {
                self.process.debug = Some((process::python::debug_value(value), self.span(range)));
            }
            _ => {}
        }
    }
}

/// `__name__ == "__main__"`
fn is_main_guard(test: &Expr) -> bool {
    let Expr::Compare(compare) = test else {
        return false;
    };
    let is_name = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == "__name__");
    let is_main = |e: &Expr| literal::string(e) == Some("__main__");
    *compare.ops == [ast::CmpOp::Eq]
        && ((is_name(&compare.left) && is_main(&compare.comparators[0]))
            || (is_main(&compare.left) && is_name(&compare.comparators[0])))
}

fn collect_names<'e>(target: &'e Expr, names: &mut Vec<&'e str>) {
    match target {
        Expr::Name(name) => names.push(name.id.as_str()),
        Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
            for element in elts {
                collect_names(element, names);
            }
        }
        Expr::Starred(starred) => collect_names(&starred.value, names),
        _ => {}
    }
}

/// `QuerySet`, `QuerySet[Book]`, `models.QuerySet`, `"QuerySet[Book]"` and the
/// Manager forms as annotations. `QuerySet | None` is not: its truth test is a None check.
fn annotation_value(annotation: &Expr) -> Option<Value> {
    let name = match annotation {
        Expr::Subscript(subscript) => return annotation_value(&subscript.value),
        Expr::Name(name) => name.id.to_string(),
        Expr::Attribute(attribute) => attribute.attr.to_string(),
        Expr::StringLiteral(s) => s
            .value
            .to_str()
            .split('[')
            .next()
            .unwrap_or("")
            .rsplit('.')
            .next()
            .unwrap_or("")
            .trim()
            .to_string(),
        _ => return None,
    };
    match name.as_str() {
        "QuerySet" => Some(Value::Queryset(QuerysetInfo::default())),
        "Manager" | "BaseManager" | "RelatedManager" => {
            Some(Value::Manager(QuerysetInfo::default()))
        }
        _ => None,
    }
}

/// A literal constant: a string, number, bool, None, or a tuple of them.
fn is_constant(expr: &Expr) -> bool {
    match expr {
        Expr::StringLiteral(_)
        | Expr::NumberLiteral(_)
        | Expr::BooleanLiteral(_)
        | Expr::NoneLiteral(_) => true,
        Expr::Tuple(tuple) => tuple.elts.iter().all(is_constant),
        _ => false,
    }
}
