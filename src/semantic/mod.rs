//! The one semantic model every rule asks: scopes and bindings (the reaching binding in
//! straight-line code, merged after branches), how each binding's value is used, the loop
//! and function context, and the queryset inference of rules.md §0.

pub(crate) mod batch;
pub(crate) mod callgraph;
pub(crate) mod containers;
pub(crate) mod facts;
pub(crate) mod index;
pub(crate) mod literal;
pub(crate) mod value;

use std::collections::{HashMap, HashSet};

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::TextRange;

use index::{ClassKind, IndexView};
use value::{INSTANCE_METHODS, QUERYSET_METHODS};
pub(crate) use value::{InstanceInfo, QuerysetInfo, Value};

pub(crate) type BindingId = usize;
pub(crate) type FunctionId = usize;

/// Inference gives up on chains deeper than this; real code never comes close.
const MAX_INFERENCE_DEPTH: usize = 64;

pub(crate) struct Binding {
    pub(crate) value: Value,
    /// Ids of the loops that were running when the binding was made.
    pub(crate) loops: Vec<u32>,
}

/// How the bindings in one equivalence class (a binding and those merged with it after
/// branches) were used. Union-find keeps merges cheap.
#[derive(Clone, Copy, Default)]
struct UseClass {
    parent: usize,
    /// Uses that evaluate the queryset and keep its rows (iteration, `list()`, return,
    /// passing it on, ...).
    evaluations: u32,
    /// Truth tests, `len()` and `in`: they fill the result cache.
    cache_fills: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ScopeKind {
    Module,
    Class { name: String, kind: ClassKind },
    Function(FunctionId),
    Lambda,
    Comprehension,
}

pub(crate) struct Scope {
    pub(crate) kind: ScopeKind,
    names: HashMap<String, BindingId>,
    globals: HashSet<String>,
}

pub(crate) struct FunctionInfo {
    pub(crate) name: String,
    pub(crate) class: Option<(String, ClassKind)>,
    pub(crate) parent: Option<FunctionId>,
    /// Decorated as a task (`@shared_task`, `@app.task`, ... and `batch-decorators`).
    pub(crate) task: bool,
    /// Names of module functions this function calls.
    pub(crate) calls: Vec<String>,
    /// Whether each `return <value>` returned a queryset.
    pub(crate) returns: Vec<bool>,
    pub(crate) parameters: Vec<String>,
    /// Names it returns (`return cls`): a registering decorator returns its argument.
    pub(crate) returned_names: Vec<String>,
}

/// A loop (`for`, comprehension generator or `while`) being walked.
pub(crate) struct LoopFrame {
    pub(crate) id: u32,
    /// What the loop iterates when it is a queryset or a queryset's `.iterator()`.
    pub(crate) queryset: Option<QuerysetInfo>,
    /// The loop's variables (names bound by its target) when it iterates a queryset.
    pub(crate) variables: Vec<String>,
    pub(crate) iter_range: TextRange,
    pub(crate) function: Option<FunctionId>,
}

pub(crate) struct SemanticModel<'a> {
    pub(crate) index: IndexView<'a>,
    bindings: Vec<Binding>,
    uses: Vec<UseClass>,
    scopes: Vec<Scope>,
    pub(crate) loops: Vec<LoopFrame>,
    next_loop_id: u32,
    pub(crate) functions: Vec<FunctionInfo>,
    /// Inside `if __name__ == "__main__":`, which runs as a script, not on import.
    pub(crate) in_main_guard: bool,
}

impl<'a> SemanticModel<'a> {
    pub(crate) fn new(index: IndexView<'a>) -> Self {
        SemanticModel {
            index,
            bindings: Vec::new(),
            uses: Vec::new(),
            scopes: vec![Scope {
                kind: ScopeKind::Module,
                names: HashMap::new(),
                globals: HashSet::new(),
            }],
            loops: Vec::new(),
            next_loop_id: 0,
            functions: Vec::new(),
            in_main_guard: false,
        }
    }

    // ----- scopes -----

    pub(crate) fn push_scope(&mut self, kind: ScopeKind) {
        self.scopes.push(Scope {
            kind,
            names: HashMap::new(),
            globals: HashSet::new(),
        });
    }

    pub(crate) fn pop_scope(&mut self) {
        if self.scopes.len() > 1 {
            self.scopes.pop();
        }
    }

    pub(crate) fn scope_kind(&self) -> &ScopeKind {
        &self.scopes.last().expect("module scope").kind
    }

    /// Module level or a class body outside any function: code that runs at import.
    pub(crate) fn at_import_time(&self) -> bool {
        !self.in_main_guard
            && self
                .scopes
                .iter()
                .all(|scope| matches!(scope.kind, ScopeKind::Module | ScopeKind::Class { .. }))
    }

    pub(crate) fn current_function(&self) -> Option<FunctionId> {
        self.scopes.iter().rev().find_map(|scope| match scope.kind {
            ScopeKind::Function(id) => Some(id),
            _ => None,
        })
    }

    /// The class whose method is being walked (the innermost class scope).
    pub(crate) fn current_class(&self) -> Option<(String, ClassKind)> {
        self.scopes
            .iter()
            .rev()
            .find_map(|scope| match &scope.kind {
                ScopeKind::Class { name, kind } => Some((name.clone(), *kind)),
                _ => None,
            })
    }

    /// Whether the current scope declared `global name`.
    pub(crate) fn declared_global_here(&self, name: &str) -> bool {
        self.scopes
            .last()
            .is_some_and(|scope| scope.globals.contains(name))
    }

    pub(crate) fn declare_global(&mut self, name: &str) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.globals.insert(name.to_string());
        }
    }

    // ----- bindings -----

    pub(crate) fn bind(&mut self, name: &str, value: Value) -> BindingId {
        let id = self.bindings.len();
        self.bindings.push(Binding {
            value,
            loops: self.loops.iter().map(|frame| frame.id).collect(),
        });
        self.uses.push(UseClass {
            parent: id,
            ..UseClass::default()
        });
        let declared_global = self
            .scopes
            .last()
            .is_some_and(|scope| scope.globals.contains(name));
        let scope = if declared_global {
            &mut self.scopes[0]
        } else {
            self.scopes.last_mut().expect("module scope")
        };
        scope.names.insert(name.to_string(), id);
        id
    }

    pub(crate) fn unbind(&mut self, name: &str) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.names.remove(name);
        }
    }

    /// The binding a load of `name` sees here: the current scope, enclosing functions
    /// (class bodies are skipped, as Python does), then the module.
    pub(crate) fn resolve(&self, name: &str) -> Option<BindingId> {
        let innermost = self.scopes.len() - 1;
        for (depth, scope) in self.scopes.iter().enumerate().rev() {
            if depth != innermost && matches!(scope.kind, ScopeKind::Class { .. }) {
                continue;
            }
            if scope.globals.contains(name) {
                return self.scopes[0].names.get(name).copied();
            }
            if let Some(id) = scope.names.get(name) {
                return Some(*id);
            }
        }
        None
    }

    pub(crate) fn binding(&self, id: BindingId) -> &Binding {
        &self.bindings[id]
    }

    /// The current scope's names, to restore and merge around branches.
    pub(crate) fn snapshot(&self) -> HashMap<String, BindingId> {
        self.scopes.last().expect("module scope").names.clone()
    }

    pub(crate) fn restore(&mut self, names: HashMap<String, BindingId>) {
        self.scopes.last_mut().expect("module scope").names = names;
    }

    /// After branches: a name bound differently in some branch gets a merged binding,
    /// a queryset only if every branch left a queryset there.
    pub(crate) fn merge(&mut self, branches: Vec<HashMap<String, BindingId>>) {
        let mut names: Vec<&String> = branches.iter().flat_map(|b| b.keys()).collect();
        names.sort();
        names.dedup();
        let mut merged = HashMap::new();
        for name in names {
            let mut ids: Vec<Option<BindingId>> =
                branches.iter().map(|b| b.get(name).copied()).collect();
            ids.dedup();
            let present: Vec<BindingId> = ids.iter().flatten().copied().collect();
            if ids.len() == 1 && present.len() == 1 {
                merged.insert(name.clone(), present[0]);
                continue;
            }
            let values: Vec<&Value> = present.iter().map(|id| &self.bindings[*id].value).collect();
            let value = merge_values(&values);
            let id = self.bindings.len();
            let loops = present
                .iter()
                .map(|id| self.bindings[*id].loops.clone())
                .max_by_key(|loops| loops.len())
                .unwrap_or_default();
            self.bindings.push(Binding { value, loops });
            self.uses.push(UseClass {
                parent: id,
                ..UseClass::default()
            });
            for other in present {
                self.union(id, other);
            }
            merged.insert(name.clone(), id);
        }
        self.restore(merged);
    }

    fn find(&mut self, mut id: usize) -> usize {
        while self.uses[id].parent != id {
            let grandparent = self.uses[self.uses[id].parent].parent;
            self.uses[id].parent = grandparent;
            id = grandparent;
        }
        id
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        self.uses[b].parent = a;
        self.uses[a].evaluations += self.uses[b].evaluations;
        self.uses[a].cache_fills += self.uses[b].cache_fills;
    }

    pub(crate) fn mark_evaluated(&mut self, id: BindingId) {
        let root = self.find(id);
        self.uses[root].evaluations += 1;
    }

    pub(crate) fn mark_cache_fill(&mut self, id: BindingId) {
        let root = self.find(id);
        self.uses[root].cache_fills += 1;
    }

    /// (evaluations, cache fills) of the binding's class, final once the file is walked.
    pub(crate) fn use_counts(&mut self, id: BindingId) -> (u32, u32) {
        let root = self.find(id);
        (self.uses[root].evaluations, self.uses[root].cache_fills)
    }

    /// Whether a use here runs again on every pass of a loop the binding was made
    /// outside of.
    pub(crate) fn repeats_in_loop(&self, id: BindingId) -> bool {
        let made_in = &self.bindings[id].loops;
        self.enclosing_loops()
            .iter()
            .any(|frame| !made_in.contains(&frame.id))
    }

    // ----- loops and functions -----

    pub(crate) fn push_loop(&mut self, queryset: Option<QuerysetInfo>, iter_range: TextRange) {
        self.next_loop_id += 1;
        let function = self.current_function();
        self.loops.push(LoopFrame {
            id: self.next_loop_id,
            queryset,
            variables: Vec::new(),
            iter_range,
            function,
        });
    }

    pub(crate) fn pop_loop(&mut self) {
        self.loops.pop();
    }

    /// The loops enclosing this point inside the current function (or module body).
    pub(crate) fn enclosing_loops(&self) -> &[LoopFrame] {
        let function = self.current_function();
        let start = self
            .loops
            .iter()
            .rposition(|frame| frame.function != function)
            .map_or(0, |i| i + 1);
        &self.loops[start..]
    }

    /// The variables of the enclosing loops over querysets (and names derived from them).
    pub(crate) fn queryset_loop_variables(&self) -> Vec<String> {
        self.enclosing_loops()
            .iter()
            .filter(|frame| frame.queryset.is_some())
            .flat_map(|frame| frame.variables.iter().cloned())
            .collect()
    }

    pub(crate) fn push_function(&mut self, info: FunctionInfo) -> FunctionId {
        self.functions.push(info);
        self.functions.len() - 1
    }

    // ----- inference -----

    pub(crate) fn infer(&self, expr: &Expr) -> Value {
        self.infer_at(expr, 0)
    }

    fn infer_at(&self, expr: &Expr, depth: usize) -> Value {
        if depth > MAX_INFERENCE_DEPTH {
            return Value::Unknown;
        }
        match expr {
            Expr::Name(name) => self.infer_name(name.id.as_str()),
            Expr::Attribute(attribute) => {
                let receiver = self.infer_at(&attribute.value, depth + 1);
                self.infer_attribute(&attribute.value, receiver, attribute.attr.as_str())
            }
            Expr::Call(call) => self.infer_call(call, depth),
            Expr::Subscript(subscript) => match self.infer_at(&subscript.value, depth + 1) {
                Value::Queryset(mut info) => match subscript.slice.as_ref() {
                    Expr::Slice(slice) => {
                        info.bounded |= slice.upper.is_some();
                        info.prefetched = false;
                        Value::Queryset(info)
                    }
                    _ => Value::Instance(InstanceInfo {
                        model: info.model,
                        prefetch: info.prefetch,
                        ..InstanceInfo::default()
                    }),
                },
                _ => Value::Unknown,
            },
            Expr::BinOp(binop)
                if matches!(binop.op, ast::Operator::BitOr | ast::Operator::BitAnd) =>
            {
                match (
                    self.infer_at(&binop.left, depth + 1),
                    self.infer_at(&binop.right, depth + 1),
                ) {
                    (Value::Queryset(left), Value::Queryset(_)) => Value::Queryset(QuerysetInfo {
                        model: left.model,
                        ..QuerysetInfo::default()
                    }),
                    _ => Value::Unknown,
                }
            }
            Expr::Named(named) => self.infer_at(&named.value, depth + 1),
            _ => Value::Unknown,
        }
    }

    fn infer_name(&self, name: &str) -> Value {
        match self.resolve(name) {
            Some(id) => match &self.bindings[id].value {
                Value::Imported { module, name } if starts_upper(name) => {
                    Value::ModelClass(Some(index::qualify(module, name)))
                }
                Value::Class(qualified) => Value::ModelClass(Some(qualified.clone())),
                // `User = get_user_model()`, `Page = swapper.load_model(...)`
                Value::Unknown if starts_upper(name) => Value::ModelClass(None),
                value => value.clone(),
            },
            // Builtins, star imports: a capitalised name is taken for a class.
            None if starts_upper(name) => Value::ModelClass(Some(name.to_string())),
            None => Value::Unknown,
        }
    }

    fn infer_attribute(&self, receiver_expr: &Expr, receiver: Value, attr: &str) -> Value {
        match receiver {
            Value::ModelClass(model) => {
                let standard = matches!(attr, "objects" | "_default_manager" | "_base_manager");
                let custom = model
                    .as_deref()
                    .is_some_and(|model| self.index.model_manager(model, attr));
                if standard || custom {
                    return Value::Manager(QuerysetInfo {
                        model,
                        ..QuerysetInfo::default()
                    });
                }
                Value::Unknown
            }
            Value::Module(module) if starts_upper(attr) => {
                Value::ModelClass(Some(index::qualify(&module, attr)))
            }
            Value::SelfRef(class) if attr == "queryset" => {
                if self.index.class_kind(&class) == ClassKind::View {
                    Value::Queryset(QuerysetInfo::default())
                } else {
                    Value::Unknown
                }
            }
            Value::Unknown if is_manager_attribute(attr) && names_a_model_class(receiver_expr) => {
                Value::Manager(QuerysetInfo::default())
            }
            receiver => {
                // Related managers live on instances: anything not known to be a class,
                // a module, a queryset or a manager.
                let instance_like = matches!(
                    receiver,
                    Value::Instance(_) | Value::Unknown | Value::SelfRef(_)
                );
                let self_is_model = match &receiver {
                    Value::SelfRef(class) => self.index.class_kind(class) == ClassKind::Model,
                    _ => true,
                };
                if !instance_like || !self_is_model || matches!(receiver_expr, Expr::Call(_)) {
                    return Value::Unknown;
                }
                let is_relation =
                    (attr.ends_with("_set") && attr.len() > 4) || self.index.is_relation(attr);
                if !is_relation {
                    return Value::Unknown;
                }
                let (prefetched, caller_may_prefetch) = match &receiver {
                    Value::Instance(instance) => (
                        instance.prefetch.iter().any(|p| p == attr) || instance.caller_may_prefetch,
                        false,
                    ),
                    // A relation of an object handed in: the caller may have prefetched it
                    // and its own relations ("attributes__values").
                    _ => (false, true),
                };
                Value::Manager(QuerysetInfo {
                    prefetched,
                    related: true,
                    caller_may_prefetch,
                    ..QuerysetInfo::default()
                })
            }
        }
    }

    fn infer_call(&self, call: &ast::ExprCall, depth: usize) -> Value {
        match call.func.as_ref() {
            Expr::Attribute(attribute) => {
                let method = attribute.attr.as_str();
                let receiver = self.infer_at(&attribute.value, depth + 1);
                self.infer_method_call(call, receiver, method)
            }
            Expr::Name(name) => match name.id.as_str() {
                "super" => Value::Super,
                "Prefetch" if matches!(self.infer_name("Prefetch"), Value::ModelClass(_)) => {
                    prefetch_object(call)
                }
                "get_object_or_404" => Value::Instance(InstanceInfo::default()),
                _ => match self.infer_name(name.id.as_str()) {
                    Value::Function(qualname) => self.function_call(self.index.module(), &qualname),
                    Value::Imported { module, name } => self.function_call(&module, &name),
                    _ => Value::Unknown,
                },
            },
            _ => Value::Unknown,
        }
    }

    fn function_call(&self, module: &str, name: &str) -> Value {
        if self.index.function_returns_queryset(module, name) {
            Value::Queryset(QuerysetInfo::default())
        } else {
            Value::Unknown
        }
    }

    fn infer_method_call(&self, call: &ast::ExprCall, receiver: Value, method: &str) -> Value {
        // `apps.get_model("shop", "Order")`, whatever `apps` is bound to (in a method of
        // the Migration class it is the first parameter).
        if method == "get_model" && !call.arguments.args.is_empty() {
            return get_model(call);
        }
        match receiver {
            Value::Queryset(info) | Value::Manager(info) => {
                self.queryset_method_result(call, info, method)
            }
            Value::SelfRef(class) => {
                let kind = self.index.class_kind(&class);
                if method == "get_queryset" && matches!(kind, ClassKind::View | ClassKind::Manager)
                    || self.index.method_returns_queryset(&class, method)
                {
                    return Value::Queryset(QuerysetInfo::default());
                }
                match kind {
                    ClassKind::QuerySet | ClassKind::Manager => {
                        self.queryset_method_result(call, QuerysetInfo::default(), method)
                    }
                    _ => Value::Unknown,
                }
            }
            Value::Super if method == "get_queryset" => match self.current_class() {
                Some((_, ClassKind::View | ClassKind::Manager | ClassKind::QuerySet)) => {
                    Value::Queryset(QuerysetInfo::default())
                }
                _ => Value::Unknown,
            },
            Value::Module(module) => {
                if method == "get_model" && module.ends_with("apps") {
                    return get_model(call);
                }
                if method == "Prefetch" {
                    return prefetch_object(call);
                }
                self.function_call(&module, method)
            }
            Value::Imported { module, name } if name == "apps" || module.ends_with(".apps") => {
                if method == "get_model" {
                    get_model(call)
                } else {
                    Value::Unknown
                }
            }
            Value::Unknown if method == "get_model" => get_model(call),
            Value::ModelClass(model) if method == "get_model" => {
                let _ = model;
                get_model(call)
            }
            _ => Value::Unknown,
        }
    }
    fn queryset_method_result(
        &self,
        call: &ast::ExprCall,
        mut info: QuerysetInfo,
        method: &str,
    ) -> Value {
        if method == "iterator" {
            info.chunk_size = has_chunk_size(call);
            return Value::Iterator(info);
        }
        if INSTANCE_METHODS.contains(&method) {
            return Value::Instance(InstanceInfo {
                model: info.model,
                prefetch: info.prefetch,
                ..InstanceInfo::default()
            });
        }
        if QUERYSET_METHODS.contains(&method) || self.index.is_queryset_method(method) {
            // `.all()` on a prefetched related manager is still served from the cache;
            // anything else builds a new query.
            info.prefetched &= method == "all";
            info.caller_may_prefetch &= method == "all";
            match method {
                "only" | "defer" => info.narrowed = true,
                "filter" | "exclude" if in_memory_in_lookup(call, self) => {
                    info.batch_bounded = true
                }
                _ => {}
            }
            match method {
                "values" | "values_list" => info.yields_values = true,
                "prefetch_related" => {
                    for arg in &call.arguments.args {
                        match arg {
                            // `prefetch_related(None)` clears the lookups added so far.
                            Expr::NoneLiteral(_) => info.prefetch.clear(),
                            _ => info.prefetch.extend(self.prefetch_name(arg)),
                        }
                    }
                }
                _ => {}
            }
            return Value::Queryset(info);
        }
        Value::Unknown
    }

    /// `"books"`, `"books__tags"`, or a `Prefetch` (inline or by name) -> `books`.
    fn prefetch_name(&self, arg: &Expr) -> Option<String> {
        match arg {
            Expr::StringLiteral(s) => {
                let s = s.value.to_str();
                Some(s.split("__").next().unwrap_or(s).to_string())
            }
            other => match self.infer(other) {
                Value::Prefetch(name) => Some(name),
                _ => None,
            },
        }
    }
}

fn get_model(call: &ast::ExprCall) -> Value {
    let name = call
        .arguments
        .args
        .last()
        .and_then(literal::string)
        .map(|s| s.rsplit('.').next().unwrap_or(s).to_string());
    Value::ModelClass(name)
}

/// `Prefetch("books", queryset=..., to_attr="x")`: rows cached under `x`, else `books`.
fn prefetch_object(call: &ast::ExprCall) -> Value {
    let string = |expr: &Expr| literal::string(expr).map(str::to_string);
    let to_attr = call
        .arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_deref() == Some("to_attr"))
        .and_then(|k| string(&k.value));
    let lookup = call
        .arguments
        .args
        .first()
        .or_else(|| {
            call.arguments
                .keywords
                .iter()
                .find(|k| k.arg.as_deref() == Some("lookup"))
                .map(|k| &k.value)
        })
        .and_then(string);
    match to_attr.or_else(|| lookup.map(|l| l.split("__").next().unwrap_or(&l).to_string())) {
        Some(name) => Value::Prefetch(name),
        None => Value::Unknown,
    }
}

/// `.iterator(chunk_size=2000)` or `.iterator(2000)`; `chunk_size=None` is the default.
pub(crate) fn has_chunk_size(call: &ast::ExprCall) -> bool {
    let is_none = |expr: &Expr| literal::is_none(expr);
    call.arguments.args.first().is_some_and(|arg| !is_none(arg))
        || call
            .arguments
            .keywords
            .iter()
            .any(|k| k.arg.as_deref() == Some("chunk_size") && !is_none(&k.value))
}

/// `filter(pk__in=ids)` with `ids` a list in memory (or a literal): at most that many
/// rows, the batching idiom. `pk__in=<queryset>` is a subquery and bounds nothing.
fn in_memory_in_lookup(call: &ast::ExprCall, model: &SemanticModel) -> bool {
    call.arguments.keywords.iter().any(|keyword| {
        keyword
            .arg
            .as_deref()
            .is_some_and(|arg| arg.ends_with("__in"))
            && match &keyword.value {
                Expr::List(_) | Expr::Tuple(_) | Expr::Set(_) => true,
                value => !matches!(model.infer(value), Value::Queryset(_) | Value::Manager(_)),
            }
    })
}

fn is_manager_attribute(attr: &str) -> bool {
    matches!(attr, "objects" | "_default_manager" | "_base_manager")
}

/// `model`, `self.model`, `queryset.model`, `model_class`, `related_model`, `klass`:
/// how generic Django code names a model class it was handed.
fn names_a_model_class(expr: &Expr) -> bool {
    let name = match expr {
        Expr::Name(name) => name.id.as_str(),
        Expr::Attribute(attribute) => attribute.attr.as_str(),
        _ => return false,
    };
    matches!(name, "model" | "model_class" | "klass" | "model_cls") || name.ends_with("_model")
}

fn starts_upper(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
}

fn merge_values(values: &[&Value]) -> Value {
    let Some(Value::Queryset(first)) = values.first().copied() else {
        return Value::Unknown;
    };
    let mut merged = first.clone();
    for value in &values[1..] {
        let Value::Queryset(info) = value else {
            return Value::Unknown;
        };
        if merged.model != info.model {
            merged.model = None;
        }
        merged.prefetch.retain(|p| info.prefetch.contains(p));
        merged.bounded &= info.bounded;
        merged.yields_values |= info.yields_values;
        merged.prefetched &= info.prefetched;
    }
    Value::Queryset(merged)
}
