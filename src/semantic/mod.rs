//! The one semantic model every rule asks: scopes and bindings (the reaching binding in
//! straight-line code, merged after branches), how each binding's value is used, the loop
//! and function context, and the queryset inference of rules.md §0.

pub(crate) mod batch;
pub(crate) mod callgraph;
pub(crate) mod containers;
pub(crate) mod contrib;
pub(crate) mod facts;
pub(crate) mod index;
pub(crate) mod literal;
pub(crate) mod loops;
pub(crate) mod memoizers;
pub(crate) mod parameters;
pub(crate) mod returns;
pub(crate) mod schedule;
pub(crate) mod value;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

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
    /// `qs[0]`, `qs[:n]`: one row, or a few, read from the result cache when it is
    /// filled, else a small query.
    indexes: u32,
}

/// How a binding's queryset is used over the whole file, once the walk is over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct UseCounts {
    pub(crate) evaluations: u32,
    pub(crate) cache_fills: u32,
    pub(crate) indexes: u32,
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
    /// A returned queryset prefetches relations.
    pub(crate) returns_prefetch: bool,
    /// A returned queryset may load many rows (`QuerysetInfo::loads_few_rows` is false).
    pub(crate) returns_many_rows: bool,
    pub(crate) parameters: Vec<String>,
    /// Names it returns (`return cls`): a registering decorator returns its argument.
    pub(crate) returned_names: Vec<String>,
    /// `async def`: querysets are evaluated with `await qs.acount()`, `async for`.
    pub(crate) is_async: bool,
    /// The bindings of its positional parameters (`self` included), in order.
    pub(crate) positional_bindings: Vec<BindingId>,
    /// For each positional parameter, the attribute chains read through it (DJM205).
    pub(crate) parameter_reads: Vec<Vec<String>>,
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
    /// Depth of `if prev != key: prev = key` bodies being walked: code there runs once
    /// per group of rows (`is_change_guard`).
    pub(crate) change_guards: u32,
}

impl<'a> SemanticModel<'a> {
    pub(crate) fn new(index: IndexView<'a>) -> Self {
        SemanticModel {
            index,
            bindings: Vec::new(),
            uses: Vec::new(),
            scopes: vec![Scope {
                kind: ScopeKind::Module,
                names: HashMap::default(),
                globals: HashSet::default(),
            }],
            loops: Vec::new(),
            next_loop_id: 0,
            functions: Vec::new(),
            in_main_guard: false,
            change_guards: 0,
        }
    }

    // ----- scopes -----

    pub(crate) fn push_scope(&mut self, kind: ScopeKind) {
        self.scopes.push(Scope {
            kind,
            names: HashMap::default(),
            globals: HashSet::default(),
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
    /// A module of a `migrations` package: run once per deployment by `migrate`.
    pub(crate) fn in_migration(&self) -> bool {
        self.index
            .module()
            .split('.')
            .any(|part| part == "migrations")
    }

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
    /// Inside an `async def` (a lambda or comprehension in one included): the fixes
    /// there are `await qs.aexists()`, `await qs.acount()`, `.aiterator()`.
    pub(crate) fn in_async_function(&self) -> bool {
        self.current_function()
            .is_some_and(|id| self.functions[id].is_async)
    }

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
        let mut merged = HashMap::default();
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
        self.uses[a].indexes += self.uses[b].indexes;
    }

    pub(crate) fn mark_evaluated(&mut self, id: BindingId) {
        let root = self.find(id);
        self.uses[root].evaluations += 1;
    }

    pub(crate) fn mark_cache_fill(&mut self, id: BindingId) {
        let root = self.find(id);
        self.uses[root].cache_fills += 1;
    }

    pub(crate) fn mark_indexed(&mut self, id: BindingId) {
        let root = self.find(id);
        self.uses[root].indexes += 1;
    }

    /// The uses of the binding's class (a binding and those merged with it after
    /// branches), final once the file is walked.
    pub(crate) fn use_counts(&mut self, id: BindingId) -> UseCounts {
        let root = self.find(id);
        let class = &self.uses[root];
        UseCounts {
            evaluations: class.evaluations,
            cache_fills: class.cache_fills,
            indexes: class.indexes,
        }
    }

    /// One id for every binding of a class: findings on the same rows share it.
    pub(crate) fn use_class(&mut self, id: BindingId) -> usize {
        self.find(id)
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
                        caller_may_prefetch: info.prefetch_unknown,
                        ..InstanceInfo::default()
                    }),
                },
                _ => Value::Unknown,
            },
            // `|`, `&` and (Django 4.2) `^` combine two querysets into one.
            Expr::BinOp(binop)
                if matches!(
                    binop.op,
                    ast::Operator::BitOr | ast::Operator::BitAnd | ast::Operator::BitXor
                ) =>
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
            Expr::ListComp(comp) => self.comprehension_rows(comp, depth),
            _ => Value::Unknown,
        }
    }

    /// `list(qs)`, `tuple(qs)`, `list(qs.iterator())`: every row, in memory.
    fn rows_of(&self, call: &ast::ExprCall, depth: usize) -> Value {
        let ([argument], []) = (&*call.arguments.args, &*call.arguments.keywords) else {
            return Value::Unknown;
        };
        match self.infer_at(argument, depth + 1) {
            Value::Queryset(info) | Value::Iterator(info) => Value::Rows(info),
            _ => Value::Unknown,
        }
    }

    /// `[x for x in qs]` (one generator, no condition): every row, in memory; its items
    /// are the instances only when the element is the loop variable itself.
    fn comprehension_rows(&self, comp: &ast::ExprListComp, depth: usize) -> Value {
        let [generator] = comp.generators.as_slice() else {
            return Value::Unknown;
        };
        if !generator.ifs.is_empty() || generator.is_async {
            return Value::Unknown;
        }
        match self.infer_at(&generator.iter, depth + 1) {
            Value::Queryset(mut info) | Value::Iterator(mut info) => {
                let whole_row = matches!(
                    (comp.elt.as_ref(), &generator.target),
                    (Expr::Name(elt), Expr::Name(target)) if elt.id == target.id
                );
                info.yields_values |= !whole_row;
                Value::Rows(info)
            }
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
        if let Some(value) = parameters::framework_attribute(self, receiver_expr, &receiver, attr) {
            return value;
        }
        match receiver {
            Value::ModelClass(model) => {
                let standard = is_manager_attribute(attr);
                let custom = model
                    .as_deref()
                    .is_some_and(|model| self.index.model_manager(model, attr));
                if !standard && !custom {
                    return Value::Unknown;
                }
                // `cls` of a form, `schemas.Book` of a module that is not Django's: a
                // class the tree declares, and not as a model.
                if model
                    .as_deref()
                    .is_some_and(|model| self.index.is_not_a_model(model))
                {
                    return Value::Unknown;
                }
                let few_rows = model
                    .as_deref()
                    .is_some_and(|model| self.index.has_few_rows(model));
                Value::Manager(QuerysetInfo {
                    model,
                    few_rows,
                    ..QuerysetInfo::default()
                })
            }
            Value::Module(module) if starts_upper(attr) => {
                Value::ModelClass(Some(index::qualify(&module, attr)))
            }
            // `import shop.models` binds `shop`; `shop.models.Book` names the class.
            Value::Module(module) => Value::Module(index::qualify(&module, attr)),
            // `self.__class__.objects` in a model method; as for `type(self)`, a class
            // that is not a model finds no manager below (`is_not_a_model`).
            Value::SelfRef(class) if attr == "__class__" => Value::ModelClass(Some(class)),
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
                let through = match &receiver {
                    Value::Instance(instance) => lookups_through(&instance.prefetch, attr),
                    _ => None,
                };
                let is_relation =
                    (attr.ends_with("_set") && attr.len() > 4) || self.index.is_relation(attr);
                if !is_relation {
                    // `position.item` with `prefetch_related("item__questions")`: a row
                    // whose own relations are cached.
                    return match (through, &receiver) {
                        (Some(rest), Value::Instance(instance)) => {
                            let unknown = rest.iter().any(|p| p == "*");
                            Value::Instance(InstanceInfo {
                                prefetch: rest.into_iter().filter(|p| p != "*").collect(),
                                caller_may_prefetch: instance.caller_may_prefetch || unknown,
                                through_prefetch: true,
                                ..InstanceInfo::default()
                            })
                        }
                        _ => Value::Unknown,
                    };
                }
                let (prefetched, caller_may_prefetch) = match &receiver {
                    Value::Instance(instance) => {
                        (through.is_some() || instance.caller_may_prefetch, false)
                    }
                    // A relation of an object handed in: the caller may have prefetched it
                    // and its own relations ("attributes__values").
                    _ => (false, true),
                };
                let rest = through.unwrap_or_default();
                let parent = match &receiver {
                    Value::Instance(instance) => instance.model.clone().unwrap_or_default(),
                    Value::SelfRef(class) => class.clone(),
                    _ => String::new(),
                };
                Value::Manager(QuerysetInfo {
                    prefetched,
                    related: true,
                    accessor: Some((parent, attr.to_string())),
                    caller_may_prefetch,
                    of_object_handed_in: caller_may_prefetch,
                    prefetch_unknown: rest.iter().any(|p| p == "*"),
                    prefetch: rest.into_iter().filter(|p| p != "*").collect(),
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
                    self.prefetch_object(call)
                }
                // One row of the model, manager or queryset it is handed.
                "get_object_or_404" => {
                    let model = call.arguments.args.first().and_then(|arg| {
                        match self.infer_at(arg, depth + 1) {
                            Value::ModelClass(model) => model,
                            Value::Manager(info) | Value::Queryset(info) => info.model,
                            _ => None,
                        }
                    });
                    Value::Instance(InstanceInfo {
                        model,
                        ..InstanceInfo::default()
                    })
                }
                // `type(self).objects` in a model method.
                "type" if self.resolve("type").is_none() => match call.arguments.args.as_ref() {
                    [arg] if call.arguments.keywords.is_empty() => {
                        // As `self.__class__` in `infer_attribute`.
                        match self.infer_at(arg, depth + 1) {
                            Value::SelfRef(class) => Value::ModelClass(Some(class)),
                            _ => Value::Unknown,
                        }
                    }
                    _ => Value::Unknown,
                },
                // A project's model loader named like Django's (`get_model("wishlists",
                // "WishList")`, django-oscar's way to make every model overridable),
                // handed the app label and the model name as Django's is.
                "get_model"
                    if call.arguments.args.len() == 2
                        && call
                            .arguments
                            .args
                            .iter()
                            .all(|a| literal::string(a).is_some())
                        && matches!(
                            self.resolve("get_model").map(|id| &self.bindings[id].value),
                            None | Some(Value::Imported { .. })
                        ) =>
                {
                    get_model(call).unwrap_or_default()
                }
                "get_user_model" if self.names_django("get_user_model") => {
                    Value::ModelClass(Some(index::USER_MODEL.to_string()))
                }
                "list" | "tuple" if self.resolve(name.id.as_str()).is_none() => {
                    self.rows_of(call, depth)
                }
                _ => match self.infer_name(name.id.as_str()) {
                    Value::Function(qualname) => self.function_call(self.index.module(), &qualname),
                    Value::Imported { module, name } => self.function_call(&module, &name),
                    _ => Value::Unknown,
                },
            },
            _ => Value::Unknown,
        }
    }

    /// Whether `name` here is Django's function of that name: imported from Django, or
    /// not bound at all (a star import).
    fn names_django(&self, name: &str) -> bool {
        match self.resolve(name).map(|id| &self.bindings[id].value) {
            None => true,
            Some(Value::Imported { module, .. }) => module.starts_with("django"),
            Some(_) => false,
        }
    }

    /// What a loop over `iter` binds its variable to when the loop is not over a
    /// queryset: a model class for `apps.get_models()` and for a list, tuple or set
    /// written out of model classes (`for model in (Book, Author):`).
    pub(crate) fn loop_element(&self, iter: &Expr) -> Value {
        match iter {
            Expr::Call(call) if matches!(call.func.as_ref(), Expr::Attribute(a) if a.attr.as_str() == "get_models") => {
                Value::ModelClass(None)
            }
            Expr::List(ast::ExprList { elts, .. })
            | Expr::Tuple(ast::ExprTuple { elts, .. })
            | Expr::Set(ast::ExprSet { elts, .. })
                if !elts.is_empty() =>
            {
                let mut models = Vec::new();
                for element in elts {
                    match self.infer(element) {
                        Value::ModelClass(model)
                            if !model
                                .as_deref()
                                .is_some_and(|m| self.index.class_kind(m) != ClassKind::Model) =>
                        {
                            models.push(model)
                        }
                        _ => return Value::Unknown,
                    }
                }
                models.dedup();
                match models.as_slice() {
                    [model] => Value::ModelClass(model.clone()),
                    _ => Value::ModelClass(None),
                }
            }
            _ => Value::Unknown,
        }
    }

    fn function_call(&self, module: &str, name: &str) -> Value {
        match self.index.function_queryset(module, name) {
            Some(returned) => Value::Queryset(QuerysetInfo {
                prefetch_unknown: returned.prefetch,
                few_rows: returned.few_rows,
                ..QuerysetInfo::default()
            }),
            None => Value::Unknown,
        }
    }

    fn infer_method_call(&self, call: &ast::ExprCall, receiver: Value, method: &str) -> Value {
        // `apps.get_model("shop", "Order")`, whatever `apps` is bound to (in a method of
        // the Migration class it is the first parameter).
        if method == "get_model"
            && let Some(model) = get_model(call)
        {
            return model;
        }
        match receiver {
            Value::Queryset(info) | Value::Manager(info) => {
                self.queryset_method_result(call, info, method)
            }
            // `order.positions.all()` where the lookup `positions__answers` was
            // prefetched: a related manager the index did not know, served from the cache.
            Value::Instance(instance)
                if instance.through_prefetch && QUERYSET_METHODS.contains(&method) =>
            {
                let info = QuerysetInfo {
                    prefetched: true,
                    related: true,
                    prefetch: instance.prefetch,
                    prefetch_unknown: instance.caller_may_prefetch,
                    ..QuerysetInfo::default()
                };
                self.queryset_method_result(call, info, method)
            }
            Value::SelfRef(class) => {
                let kind = self.index.class_kind(&class);
                let declared = self.index.method_queryset(&class, method);
                if declared.is_some()
                    || method == "get_queryset"
                        && matches!(kind, ClassKind::View | ClassKind::Manager)
                {
                    let declared = declared.unwrap_or_default();
                    return Value::Queryset(QuerysetInfo {
                        prefetch_unknown: declared.prefetch,
                        few_rows: declared.few_rows,
                        ..QuerysetInfo::default()
                    });
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
                if method == "Prefetch" {
                    return self.prefetch_object(call);
                }
                self.function_call(&module, method)
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
        // `aiterator()` streams like `iterator()`, for `async for`.
        if method == "iterator" || method == "aiterator" {
            info.chunk_size = has_chunk_size(call);
            return Value::Iterator(info);
        }
        if INSTANCE_METHODS.contains(&method) {
            return Value::Instance(InstanceInfo {
                model: info.model,
                prefetch: info.prefetch,
                caller_may_prefetch: info.prefetch_unknown,
                ..InstanceInfo::default()
            });
        }
        if QUERYSET_METHODS.contains(&method) || self.index.is_queryset_method(method) {
            // `.all()` on a prefetched related manager is still served from the cache;
            // anything else builds a new query, which the lookups through the cached
            // relation do not serve either.
            if method != "all" && info.prefetched {
                info.prefetch.clear();
            }
            info.prefetched &= method == "all";
            info.caller_may_prefetch &= method == "all";
            // Asked of custom methods only: each question is recorded with the file.
            if !QUERYSET_METHODS.contains(&method) && self.index.queryset_method_prefetches(method)
            {
                info.prefetch_unknown = true;
            }
            match method {
                "only" | "defer" => info.narrowed = true,
                "filter" | "exclude" if in_memory_in_lookup(call, self) => {
                    info.batch_bounded = true
                }
                _ => {}
            }
            if method == "filter" {
                self.add_equality_lookups(call, &mut info);
            }
            match method {
                "values" | "values_list" => {
                    info.yields_values = true;
                    info.values_fields = call
                        .arguments
                        .args
                        .iter()
                        .map(|arg| match arg {
                            Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
                            _ => None,
                        })
                        .collect::<Option<Vec<_>>>()
                        .filter(|_| call.arguments.keywords.is_empty() && method == "values")
                        .unwrap_or_default();
                }
                "none" => info.empty = true,
                "fetch_mode" => info.select_all = true,
                "select_for_update" => info.locks_rows = true,
                "select_related" => {
                    info.select_all |= call.arguments.args.is_empty();
                    for arg in &call.arguments.args {
                        match arg {
                            // `select_related(None)` clears the lookups added so far.
                            Expr::NoneLiteral(_) => {
                                info.select_related.clear();
                                info.select_all = false;
                            }
                            Expr::StringLiteral(s) => {
                                info.select_related.push(s.value.to_str().to_string())
                            }
                            _ => info.select_all = true,
                        }
                    }
                }
                "prefetch_related" => {
                    for arg in &call.arguments.args {
                        match arg {
                            // `prefetch_related(None)` clears the lookups added so far.
                            Expr::NoneLiteral(_) => {
                                info.prefetch.clear();
                                info.prefetch_unknown = false;
                            }
                            _ => match self.prefetch_lookups(arg) {
                                Some(lookups) => info.prefetch.extend(lookups),
                                None => info.prefetch_unknown = true,
                            },
                        }
                    }
                }
                _ => {}
            }
            return Value::Queryset(info);
        }
        Value::Unknown
    }

    /// Adds the fields `filter(...)` compares for equality, and decides whether they
    /// pick at most one row: the primary key always does (whatever the model, so on a
    /// related manager too); other unique keys when the model is known.
    fn add_equality_lookups(&self, call: &ast::ExprCall, info: &mut QuerysetInfo) {
        for keyword in &call.arguments.keywords {
            let Some(arg) = keyword.arg.as_deref() else {
                continue;
            };
            // `tenant__isnull=True` beside the other fields of a unique key is how code
            // checks that key where a member is NULL (the database lets NULLs repeat,
            // the application does not): counted as equality, never for the primary key.
            let isnull = arg.ends_with("__isnull") && literal::is_true(&keyword.value);
            let Some(field) = arg
                .strip_suffix("__isnull")
                .filter(|field| isnull && !field.contains("__"))
                .or_else(|| equality_field(arg))
            else {
                continue;
            };
            // Superusers are a handful in any installation: Django's own `createsuperuser`
            // makes them one at a time, and `is_superuser` grants every permission.
            if field == "is_superuser" && literal::is_true(&keyword.value) {
                info.few_rows = true;
            }
            if matches!(field, "pk" | "id") && !isnull {
                info.single_row = true;
            }
            info.filtered_on.push(field.to_string());
            if let Some(relation) = field.strip_suffix("_id") {
                info.filtered_on.push(relation.to_string());
            }
        }
        info.filtered_on.sort();
        info.filtered_on.dedup();
        // `filter(Q(username=u) | Q(email=e))`: each branch an equality on a unique key
        // picks at most one row, so the whole picks at most as many as it has branches.
        if let Some(model) = info.model.as_deref()
            && !call.arguments.args.is_empty()
            && call.arguments.args.iter().all(|arg| {
                let mut branches = Vec::new();
                or_branches(arg, &mut branches);
                branches.iter().all(|branch| {
                    q_equality_fields(branch).is_some_and(|fields| {
                        fields.iter().any(|f| matches!(f.as_str(), "pk" | "id"))
                            || self.index.is_unique_key(model, &fields)
                    })
                })
            })
        {
            info.few_rows = true;
        }
        if !info.single_row
            && let Some(model) = info.model.as_deref()
            && !info.filtered_on.is_empty()
        {
            info.single_row = self.index.is_unique_key(model, &info.filtered_on);
            // `Bookmark.objects.filter(owner=owner)` is `owner.bookmark_set.all()`: one
            // parent's related rows, whichever way it is written.
            for keyword in &call.arguments.keywords {
                let Some(arg) = keyword.arg.as_deref() else {
                    continue;
                };
                let field = arg.strip_suffix("__exact").unwrap_or(arg);
                let key = field.strip_suffix("_id");
                let relation = key.unwrap_or(field);
                if !relation.contains("__") && self.index.is_parent_key(model, relation) {
                    info.related = true;
                    // A key (`course_id=course_id` from the URL) is not an object a
                    // caller chose and may have prefetched: a course's enrollments can
                    // be thousands (fixtures/stories/len_and_in).
                    info.of_object_handed_in |= key.is_none() && is_handed_in(self, &keyword.value);
                }
            }
        } else if !info.single_row
            && info.model.is_none()
            && !info.filtered_on.is_empty()
            && let Some((parent, accessor)) = &info.accessor
        {
            info.single_row =
                self.index
                    .is_unique_through_accessor(parent, accessor, &info.filtered_on);
        }
    }

    /// `Prefetch("books", queryset=..., to_attr="x")`: rows cached under `x`, else under
    /// the lookup; the lookups its queryset prefetches continue from there
    /// (`books__pages`), and `books__*` when they cannot be read.
    fn prefetch_object(&self, call: &ast::ExprCall) -> Value {
        let keyword = |name: &str| call.arguments.find_keyword(name).map(|k| &k.value);
        let to_attr = keyword("to_attr").and_then(literal::string);
        let lookup = call
            .arguments
            .args
            .first()
            .or_else(|| keyword("lookup"))
            .and_then(literal::string);
        let Some(base) = to_attr.or(lookup) else {
            return Value::Unknown;
        };
        let mut lookups = vec![base.to_string()];
        if let Some(queryset) = keyword("queryset").or_else(|| call.arguments.args.get(1)) {
            match self.infer(queryset) {
                Value::Queryset(info) | Value::Manager(info) => {
                    lookups.extend(info.prefetch.iter().map(|p| format!("{base}__{p}")));
                    if info.prefetch_unknown {
                        lookups.push(format!("{base}__*"));
                    }
                }
                _ => {}
            }
        }
        Value::Prefetch(lookups)
    }

    /// `prefetch_related_objects(name, *lookups)`: the rows of the queryset held in
    /// `name` get those lookups prefetched, as if its chain ended in `prefetch_related`.
    pub(crate) fn prefetch_related_objects(&mut self, call: &ast::ExprCall) {
        let Some((Expr::Name(target), lookups)) = call.arguments.args.split_first() else {
            return;
        };
        let Some(id) = self.resolve(target.id.as_str()) else {
            return;
        };
        let read: Vec<Option<Vec<String>>> = lookups
            .iter()
            .map(|arg| self.prefetch_lookups(arg))
            .collect();
        if let Value::Queryset(info) = &mut self.bindings[id].value {
            for lookups in read {
                match lookups {
                    Some(lookups) => info.prefetch.extend(lookups),
                    None => info.prefetch_unknown = true,
                }
            }
        }
    }

    /// The lookups one argument of `prefetch_related` names, whole: `"books"`,
    /// `"books__tags"`, or a `Prefetch` (inline or by name). None when they cannot be
    /// read (`*LOOKUPS`, a constant, a call).
    fn prefetch_lookups(&self, arg: &Expr) -> Option<Vec<String>> {
        match arg {
            Expr::StringLiteral(s) => Some(vec![s.value.to_str().to_string()]),
            other => match self.infer(other) {
                Value::Prefetch(lookups) => Some(lookups),
                _ => None,
            },
        }
    }
}

/// Whether `lookups` prefetch the relation `attr`, and if so the lookups that continue
/// through it: `["books__pages", "books"]` through `books` gives `["pages"]`.
fn lookups_through(lookups: &[String], attr: &str) -> Option<Vec<String>> {
    let mut found = false;
    let mut rest = Vec::new();
    for lookup in lookups {
        let (first, tail) = match lookup.split_once("__") {
            Some((first, tail)) => (first, Some(tail)),
            None => (lookup.as_str(), None),
        };
        if first == attr {
            found = true;
            rest.extend(tail.map(str::to_string));
        }
    }
    found.then_some(rest)
}

/// The model class a `get_model` call names by `model_name=` or else its last positional
/// argument (`("shop", "Order")`, `("shop.Order")`, `("shop", model_name="Order")`): the
/// part after the last dot, unknown when not a literal. None when no argument names it.
fn get_model(call: &ast::ExprCall) -> Option<Value> {
    // `get_model("shop", model_name="Order")`: the keyword names the model, the
    // positional argument the app.
    let last = call
        .arguments
        .find_keyword("model_name")
        .map(|k| &k.value)
        .or_else(|| call.arguments.args.last())?;
    // `apps.get_model(settings.AUTH_USER_MODEL)`
    if let Expr::Attribute(attribute) = last
        && attribute.attr.as_str() == "AUTH_USER_MODEL"
    {
        return Some(Value::ModelClass(Some(index::USER_MODEL.to_string())));
    }
    let name = literal::string(last).map(|s| s.rsplit('.').next().unwrap_or(s).to_string());
    Some(Value::ModelClass(name))
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

/// Whether the object a filter compares a key to (`filter(owner=owner)`) was handed in
/// (a parameter, `self.x`, `request.user`), not fetched here (`.get()`,
/// `get_object_or_404`, a loop over a queryset): as with `obj.rel.all()`, its rows are
/// one object's, and the caller chose the object.
fn is_handed_in(semantic: &SemanticModel, value: &Expr) -> bool {
    match value {
        // A key (`obj.pk`, `book.author_id`) names a row, it is not the object.
        Expr::Attribute(attribute)
            if matches!(attribute.attr.as_str(), "pk" | "id")
                || attribute.attr.ends_with("_id") =>
        {
            false
        }
        Expr::Attribute(attribute) => {
            !matches!(semantic.infer(value), Value::Instance(_))
                && is_handed_in(semantic, &attribute.value)
        }
        Expr::Name(_) => !matches!(semantic.infer(value), Value::Instance(_)),
        _ => false,
    }
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

/// The last name of a decorator, called or not: `receiver` for `@receiver(post_save)`,
/// `action` for `@admin.action(...)`.
pub(crate) fn decorator_name(decorator: &Expr) -> &str {
    match decorator {
        Expr::Name(name) => name.id.as_str(),
        Expr::Attribute(attribute) => attribute.attr.as_str(),
        Expr::Call(call) => decorator_name(&call.func),
        _ => "",
    }
}

fn starts_upper(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
}

fn merge_values(values: &[&Value]) -> Value {
    // `qs = Order.objects.none()` in one branch and a real query in the other: after
    // the `if`, the rows are the real query's.
    let non_empty: Vec<&Value> = values
        .iter()
        .copied()
        .filter(|value| !matches!(value, Value::Queryset(info) if info.empty))
        .collect();
    let values = if non_empty.is_empty() {
        values
    } else {
        non_empty.as_slice()
    };
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
        merged.single_row &= info.single_row;
        merged.few_rows &= info.few_rows;
        // What bounds the rows holds after the `if` only if it holds in every branch;
        // kept from the first branch alone, the answer depended on the branches' order.
        merged.batch_bounded &= info.batch_bounded;
        merged.related &= info.related;
        merged.of_object_handed_in &= info.of_object_handed_in;
        merged.locks_rows &= info.locks_rows;
        merged.narrowed &= info.narrowed;
        merged.caller_may_prefetch |= info.caller_may_prefetch;
        merged.admin_selection |= info.admin_selection;
        merged.yields_values |= info.yields_values;
        merged.prefetched &= info.prefetched;
        merged.prefetch_unknown |= info.prefetch_unknown;
        merged
            .select_related
            .retain(|p| info.select_related.contains(p));
        merged.select_all &= info.select_all;
    }
    Value::Queryset(merged)
}

/// The operands of an `a | b | c` chain, left to right; the expression itself otherwise.
fn or_branches<'e>(expr: &'e Expr, out: &mut Vec<&'e Expr>) {
    match expr {
        Expr::BinOp(binop) if binop.op == ast::Operator::BitOr => {
            or_branches(&binop.left, out);
            or_branches(&binop.right, out);
        }
        other => out.push(other),
    }
}

/// The fields a `Q(...)` (or `models.Q(...)`) compares for equality, sorted, when
/// every argument is such a keyword (`Q(code=c)`, `Q(email__iexact=e)`); None for any
/// other expression or lookup.
fn q_equality_fields(expr: &Expr) -> Option<Vec<String>> {
    let Expr::Call(call) = expr else {
        return None;
    };
    let is_q = match call.func.as_ref() {
        Expr::Name(name) => name.id.as_str() == "Q",
        Expr::Attribute(attribute) => attribute.attr.as_str() == "Q",
        _ => false,
    };
    if !is_q || !call.arguments.args.is_empty() || call.arguments.keywords.is_empty() {
        return None;
    }
    let mut fields = Vec::new();
    for keyword in &call.arguments.keywords {
        fields.push(equality_field(keyword.arg.as_deref()?)?.to_string());
    }
    fields.sort();
    fields.dedup();
    Some(fields)
}

/// The field a lookup compares for equality: `code`, `code__exact`, `code__iexact`
/// (`iexact` on a unique field matches rows differing only in case: one or two); None
/// for any other lookup or a path through a relation.
fn equality_field(lookup: &str) -> Option<&str> {
    let field = lookup
        .strip_suffix("__exact")
        .or_else(|| lookup.strip_suffix("__iexact"))
        .unwrap_or(lookup);
    (!field.contains("__")).then_some(field)
}
