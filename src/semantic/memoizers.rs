//! Project decorators that memoise (DJM401, DJM402), read off a module's syntax in pass 1
//! so a decorator defined in one module is known where another module applies it.
//!
//! A module-level function (or a class with `__init__` taking the function and a
//! `__call__`) is a memoiser when a function it defines (the wrapper) stores into a dict
//! that outlives the call, keyed by something computed from the wrapper's own
//! parameters, and returns what it read from that dict:
//!
//! ```python
//! def memoize(func):
//!     cache = {}                      # in the decorator's closure
//!     def wrapper(*args):
//!         if args in cache:
//!             return cache[args]      # a hit returns the stored value
//!         cache[args] = func(*args)   # keyed by the wrapper's arguments
//!         return cache[args]
//!     return wrapper
//! ```
//!
//! The dict is a name bound to `{}`, `dict()`, `OrderedDict()` or `defaultdict(...)` in
//! an enclosing function, or an attribute (`wrapper.cache`, `self.cache` set in
//! `__init__` of a decorator class) bound to one in another function than the wrapper.
//! A decorator that stores without returning from the dict (call counters, timings,
//! registries) is not a cache; nor is one keyed only by the decorated function
//! (`cache[func.__name__]`: one entry per decorated function).
//!
//! "Bounded" is the same judgement DJM403 makes of a container: anything in the
//! decorator that removes entries counts (`.pop`, `.popitem`, `.clear`, `del d[k]`, a
//! `len(d)` test, the dict rebound in another function), as does a reference to
//! `d.clear` handed out (`wrapper.cache_clear = cache.clear`). Weak dictionaries are not
//! caches that grow: their entries die with their keys.

use rustc_hash::FxHashSet as HashSet;

use ruff_python_ast::visitor::{Visitor, walk_expr, walk_stmt};
use ruff_python_ast::{self as ast, Expr, Stmt};

/// A module-level decorator that memoises, by name in its module.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct MemoizerFact {
    pub(crate) name: String,
    /// Something in the decorator evicts entries from its dict.
    pub(crate) bounded: bool,
}

/// Methods that take entries out of a dict (DJM403's judgement of eviction).
const EVICTING: &[&str] = &["pop", "popitem", "clear", "remove", "discard", "popleft"];

/// Deeper than this the walk stops (the checker stops at a similar depth).
const MAX_DEPTH: usize = 200;

/// The memoising decorators `body` declares at module level.
pub(crate) fn memoizers(body: &[Stmt]) -> Vec<MemoizerFact> {
    let mut found = Vec::new();
    for stmt in body {
        match stmt {
            Stmt::FunctionDef(function) => {
                // A decorator defines its wrapper inside.
                let nests = function
                    .body
                    .iter()
                    .any(|s| matches!(s, Stmt::FunctionDef(_)));
                if !nests || function.parameters.is_empty() {
                    continue;
                }
                let mut walk = Walk::default();
                walk.function(function, None, false);
                if let Some(bounded) = walk.verdict() {
                    found.push(MemoizerFact {
                        name: function.name.to_string(),
                        bounded,
                    });
                }
            }
            Stmt::ClassDef(class) => {
                let method = |name: &str| {
                    class.body.iter().find_map(|s| match s {
                        Stmt::FunctionDef(f) if f.name.as_str() == name => Some(f),
                        _ => None,
                    })
                };
                let (Some(init), Some(_)) = (method("__init__"), method("__call__")) else {
                    continue;
                };
                let takes_argument = init.parameters.posonlyargs.len()
                    + init.parameters.args.len()
                    + init.parameters.kwonlyargs.len()
                    >= 2;
                if !takes_argument {
                    continue;
                }
                let mut walk = Walk::default();
                for stmt in &class.body {
                    if let Stmt::FunctionDef(f) = stmt {
                        walk.function(f, None, true);
                    }
                }
                if let Some(bounded) = walk.verdict() {
                    found.push(MemoizerFact {
                        name: class.name.to_string(),
                        bounded,
                    });
                }
            }
            _ => {}
        }
    }
    found
}

/// What one function of the decorator does with dicts.
#[derive(Default)]
struct Function {
    parent: Option<usize>,
    parameters: HashSet<String>,
    /// Plain names assigned in this function (not in nested ones), with the names
    /// their values mention.
    assigned: Vec<(String, HashSet<String>)>,
    nonlocal: HashSet<String>,
    /// `D[k] = v`, `D.setdefault(k, v)`: the dict, and the names the key mentions.
    stores: Vec<(String, HashSet<String>)>,
    /// Dicts a `return` reads (`return D[k]`, `return D.get(k)`).
    returned_reads: HashSet<String>,
    /// Names a `return` gives back as they are (`return result`).
    returned_names: HashSet<String>,
    /// Local name -> dicts its value reads (`result = D.get(k)`).
    read_into: Vec<(String, String)>,
}

#[derive(Default)]
struct Walk {
    functions: Vec<Function>,
    current: Option<usize>,
    /// Dicts bound in a function: (dict, function).
    definitions: Vec<(String, usize)>,
    /// Plain names or attributes bound to anything but a fresh dict: (dict, function).
    rebinds: Vec<(String, usize)>,
    /// Dicts something empties or measures.
    evicted: HashSet<String>,
    depth: usize,
}

/// `D` or `a.b` for a dict reference, else None.
fn dict_ref(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(name) => Some(name.id.to_string()),
        Expr::Attribute(attribute) => match attribute.value.as_ref() {
            Expr::Name(owner) => Some(format!("{}.{}", owner.id, attribute.attr)),
            _ => None,
        },
        _ => None,
    }
}

/// A fresh, empty dict: `{}`, `dict()`, `OrderedDict()`, `defaultdict(...)`.
fn fresh_dict(expr: &Expr) -> bool {
    match expr {
        Expr::Dict(dict) => dict.items.is_empty(),
        Expr::Call(call) => {
            let name = match call.func.as_ref() {
                Expr::Name(n) => n.id.as_str(),
                Expr::Attribute(a) => a.attr.as_str(),
                _ => return false,
            };
            match name {
                "dict" | "OrderedDict" => call.arguments.is_empty(),
                "defaultdict" => true,
                _ => false,
            }
        }
        _ => false,
    }
}

/// Every plain name an expression mentions.
fn names(expr: &Expr) -> HashSet<String> {
    struct Names(HashSet<String>, usize);
    impl<'a> Visitor<'a> for Names {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if self.1 > MAX_DEPTH {
                return;
            }
            if let Expr::Name(name) = expr {
                self.0.insert(name.id.to_string());
            }
            self.1 += 1;
            walk_expr(self, expr);
            self.1 -= 1;
        }
    }
    let mut found = Names(HashSet::default(), 0);
    found.visit_expr(expr);
    found.0
}

/// The dicts an expression reads from: `D[k]`, `D.get(k)`, `D.setdefault(k, v)`.
fn reads(expr: &Expr) -> HashSet<String> {
    struct Reads(HashSet<String>, usize);
    impl<'a> Visitor<'a> for Reads {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if self.1 > MAX_DEPTH {
                return;
            }
            match expr {
                Expr::Subscript(subscript) => self.0.extend(dict_ref(&subscript.value)),
                Expr::Call(call) => {
                    if let Expr::Attribute(attribute) = call.func.as_ref()
                        && matches!(
                            attribute.attr.as_str(),
                            "get" | "setdefault" | "__getitem__"
                        )
                    {
                        self.0.extend(dict_ref(&attribute.value));
                    }
                }
                _ => {}
            }
            self.1 += 1;
            walk_expr(self, expr);
            self.1 -= 1;
        }
    }
    let mut found = Reads(HashSet::default(), 0);
    found.visit_expr(expr);
    found.0
}

impl Walk {
    fn function(&mut self, function: &ast::StmtFunctionDef, parent: Option<usize>, method: bool) {
        let parameters = &function.parameters;
        let mut names: Vec<String> = parameters
            .posonlyargs
            .iter()
            .chain(&parameters.args)
            .chain(&parameters.kwonlyargs)
            .map(|p| p.parameter.name.to_string())
            .chain(
                parameters
                    .vararg
                    .iter()
                    .chain(&parameters.kwarg)
                    .map(|p| p.name.to_string()),
            )
            .collect();
        // A method's receiver is the decorator itself, not an argument of the call.
        if method && !names.is_empty() {
            names.remove(0);
        }
        let id = self.functions.len();
        self.functions.push(Function {
            parent,
            parameters: names.into_iter().collect(),
            ..Function::default()
        });
        let outer = self.current.replace(id);
        for stmt in &function.body {
            self.visit_stmt(stmt);
        }
        self.current = outer;
    }

    fn here(&mut self) -> Option<&mut Function> {
        self.current.map(|id| &mut self.functions[id])
    }

    fn assign(&mut self, target: &Expr, value: &Expr) {
        let Some(id) = self.current else {
            return;
        };
        match target {
            Expr::Subscript(subscript) => {
                if let Some(dict) = dict_ref(&subscript.value) {
                    let key = names(&subscript.slice);
                    self.functions[id].stores.push((dict, key));
                }
            }
            Expr::Name(_) | Expr::Attribute(_) => {
                let Some(dict) = dict_ref(target) else {
                    return;
                };
                if fresh_dict(value) {
                    self.definitions.push((dict.clone(), id));
                } else {
                    self.rebinds.push((dict.clone(), id));
                }
                if let Expr::Name(name) = target {
                    let function = &mut self.functions[id];
                    function.assigned.push((name.id.to_string(), names(value)));
                    for read in reads(value) {
                        function.read_into.push((name.id.to_string(), read));
                    }
                }
            }
            Expr::Tuple(t) => t.elts.iter().for_each(|e| self.assign(e, value)),
            Expr::List(l) => l.elts.iter().for_each(|e| self.assign(e, value)),
            _ => {}
        }
    }

    /// Whether the walked decorator memoises: Some(bounded) when it does.
    fn verdict(&self) -> Option<bool> {
        let mut found: Option<bool> = None;
        for (w, wrapper) in self.functions.iter().enumerate() {
            let derived = self.derived(w);
            let from_dict = |dict: &str| {
                wrapper.returned_reads.contains(dict)
                    || wrapper
                        .read_into
                        .iter()
                        .any(|(name, read)| read == dict && wrapper.returned_names.contains(name))
            };
            for (dict, key) in &wrapper.stores {
                if key.is_disjoint(&derived) || !from_dict(dict) || !self.outlives(dict, w) {
                    continue;
                }
                let bounded = self.evicted.contains(dict)
                    || self.rebinds.iter().any(|(d, f)| {
                        d == dict && (dict.contains('.') || self.functions[*f].nonlocal.contains(d))
                    })
                    || self
                        .definitions
                        .iter()
                        .filter(|(d, _)| d == dict)
                        .map(|(_, f)| *f)
                        .collect::<HashSet<_>>()
                        .len()
                        > 1;
                found = Some(found.unwrap_or(true) && bounded);
            }
        }
        found
    }

    /// The wrapper's parameters and the locals computed from them.
    fn derived(&self, w: usize) -> HashSet<String> {
        let function = &self.functions[w];
        let mut derived = function.parameters.clone();
        for _ in 0..8 {
            let before = derived.len();
            for (name, mentions) in &function.assigned {
                if !mentions.is_disjoint(&derived) {
                    derived.insert(name.clone());
                }
            }
            if derived.len() == before {
                break;
            }
        }
        derived
    }

    /// Whether `dict` as seen from function `w` lives longer than one call of `w`: a
    /// name bound to a fresh dict in an enclosing function (and not a local of `w`), or
    /// an attribute bound to one in another function than `w` and those inside it.
    fn outlives(&self, dict: &str, w: usize) -> bool {
        let ancestors = |mut f: usize| {
            let mut found = Vec::new();
            while let Some(parent) = self.functions[f].parent {
                found.push(parent);
                f = parent;
            }
            found
        };
        let above = ancestors(w);
        let wrapper = &self.functions[w];
        if dict.contains('.') {
            // Set in `__init__` or in the decorator body, used in the wrapper.
            self.definitions
                .iter()
                .any(|(d, f)| d == dict && *f != w && !ancestors(*f).contains(&w))
        } else {
            let local = wrapper.assigned.iter().any(|(name, _)| name == dict)
                && !wrapper.nonlocal.contains(dict);
            !local
                && self
                    .definitions
                    .iter()
                    .any(|(d, f)| d == dict && above.contains(f))
        }
    }
}

impl<'a> Visitor<'a> for Walk {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        match stmt {
            Stmt::FunctionDef(function) => {
                for decorator in &function.decorator_list {
                    self.visit_expr(&decorator.expression);
                }
                let parent = self.current;
                self.function(function, parent, false);
            }
            Stmt::ClassDef(_) => {}
            Stmt::Assign(assign) => {
                self.visit_expr(&assign.value);
                for target in &assign.targets {
                    self.assign(target, &assign.value);
                }
                // `rv = cache[key] = f(*args)`: `rv` holds what the dict holds.
                if let Some(id) = self.current {
                    let stored: Vec<String> = assign
                        .targets
                        .iter()
                        .filter_map(|t| match t {
                            Expr::Subscript(s) => dict_ref(&s.value),
                            _ => None,
                        })
                        .collect();
                    for target in &assign.targets {
                        if let Expr::Name(name) = target {
                            for dict in &stored {
                                self.functions[id]
                                    .read_into
                                    .push((name.id.to_string(), dict.clone()));
                            }
                        }
                    }
                }
            }
            Stmt::AnnAssign(ann) => {
                if let Some(value) = &ann.value {
                    self.visit_expr(value);
                    self.assign(&ann.target, value);
                }
            }
            Stmt::AugAssign(aug) => {
                self.visit_expr(&aug.value);
                if let (Some(id), Expr::Name(name)) = (self.current, aug.target.as_ref()) {
                    self.functions[id]
                        .assigned
                        .push((name.id.to_string(), names(&aug.value)));
                }
            }
            Stmt::For(f) => {
                if let (Some(id), Expr::Name(name)) = (self.current, f.target.as_ref()) {
                    self.functions[id]
                        .assigned
                        .push((name.id.to_string(), names(&f.iter)));
                }
                walk_stmt(self, stmt);
            }
            Stmt::Nonlocal(nonlocal) => {
                let names: Vec<String> = nonlocal.names.iter().map(|n| n.to_string()).collect();
                if let Some(function) = self.here() {
                    function.nonlocal.extend(names);
                }
            }
            Stmt::Global(global) => {
                let names: Vec<String> = global.names.iter().map(|n| n.to_string()).collect();
                if let Some(function) = self.here() {
                    function.nonlocal.extend(names);
                }
            }
            Stmt::Delete(delete) => {
                for target in &delete.targets {
                    if let Expr::Subscript(subscript) = target {
                        self.evicted.extend(dict_ref(&subscript.value));
                    }
                }
                walk_stmt(self, stmt);
            }
            Stmt::Return(ret) => {
                if let Some(value) = &ret.value {
                    let read = reads(value);
                    let returned = match value.as_ref() {
                        Expr::Name(name) => Some(name.id.to_string()),
                        _ => None,
                    };
                    if let Some(function) = self.here() {
                        function.returned_reads.extend(read);
                        function.returned_names.extend(returned);
                    }
                }
                walk_stmt(self, stmt);
            }
            _ => walk_stmt(self, stmt),
        }
        self.depth -= 1;
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        match expr {
            Expr::Attribute(attribute) if EVICTING.contains(&attribute.attr.as_str()) => {
                self.evicted.extend(dict_ref(&attribute.value));
            }
            Expr::Call(call) => match call.func.as_ref() {
                Expr::Name(name) if name.id.as_str() == "len" => {
                    if let Some(first) = call.arguments.args.first() {
                        self.evicted.extend(dict_ref(first));
                    }
                }
                Expr::Attribute(attribute) if attribute.attr.as_str() == "setdefault" => {
                    if let (Some(id), Some(dict), Some(key)) = (
                        self.current,
                        dict_ref(&attribute.value),
                        call.arguments.args.first(),
                    ) {
                        self.functions[id].stores.push((dict, names(key)));
                    }
                }
                _ => {}
            },
            _ => {}
        }
        walk_expr(self, expr);
        self.depth -= 1;
    }
}

/// Decorated names (`memoize`) a module declares as memoisers, for tests.
#[cfg(test)]
fn memoizer_names(source: &str) -> std::collections::HashMap<String, bool> {
    let parsed = crate::parse::parse_module(source);
    memoizers(&parsed.body)
        .into_iter()
        .map(|fact| (fact.name, fact.bounded))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::memoizer_names;

    #[test]
    fn closure_and_attribute_memoisers() {
        let found = memoizer_names(
            r#"
def memoize(func):
    cache = {}
    def wrapper(*args, **kwargs):
        key = (args, frozenset(kwargs.items()))
        if key in cache:
            return cache[key]
        result = cache[key] = func(*args, **kwargs)
        return result
    return wrapper

def bounded(func):
    cache = {}
    def wrapper(*args):
        if len(cache) > 100:
            cache.clear()
        try:
            return cache[args]
        except KeyError:
            value = cache[args] = func(*args)
            return value
    return wrapper

def counted(func):
    calls = {}
    def wrapper(*args):
        calls[args] = calls.get(args, 0) + 1
        return func(*args)
    return wrapper

def per_function(func):
    cache = {}
    def wrapper(*args):
        if func.__name__ not in cache:
            cache[func.__name__] = func(*args)
        return cache[func.__name__]
    return wrapper

def attribute(func):
    def wrapper(arg):
        value = wrapper.memo.get(arg)
        if value is None:
            value = wrapper.memo[arg] = func(arg)
        return value
    wrapper.memo = {}
    return wrapper

class memoized:
    def __init__(self, func):
        self.func = func
        self.cache = {}
    def __call__(self, *args):
        if args not in self.cache:
            self.cache[args] = self.func(*args)
        return self.cache[args]

def local_only(func):
    def wrapper(*args):
        cache = {}
        cache[args] = func(*args)
        return cache[args]
    return wrapper
"#,
        );
        assert_eq!(found.get("memoize"), Some(&false));
        assert_eq!(found.get("bounded"), Some(&true));
        assert_eq!(found.get("counted"), None);
        assert_eq!(found.get("per_function"), None);
        assert_eq!(found.get("attribute"), Some(&false));
        assert_eq!(found.get("memoized"), Some(&false));
        assert_eq!(found.get("local_only"), None);
    }
}
