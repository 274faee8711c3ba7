//! DJM403 growing-global-container: a module- or class-level container that functions
//! keep adding to and nothing ever empties.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;
use ruff_text_size::TextRange;

use crate::checker::Checker;
use crate::diagnostic::Diagnostic;
use crate::registry::Rule;
use crate::semantic::Value;
use crate::semantic::containers::{CacheType, ContainerKind, Shape};

const INSERTING: &[&str] = &[
    "append",
    "extend",
    "insert",
    "add",
    "update",
    "setdefault",
    "appendleft",
    "extendleft",
];
const EVICTING: &[&str] = &["pop", "popitem", "clear", "remove", "discard", "popleft"];
const CACHETOOLS: &[&str] = &["LRUCache", "FIFOCache", "MRUCache"];
const TTL_CACHES: &[&str] = &["TTLCache", "TLRUCache"];
/// Constructor parameters that set a project cache class's capacity.
use crate::semantic::facts::CAPACITY_PARAMETERS;

/// What a module- or class-level value creates, if it is a container or a cache.
pub(crate) fn container_definition(checker: &Checker, value: &Expr) -> Option<ContainerKind> {
    match value {
        Expr::Dict(dict) if dict.items.is_empty() => Some(ContainerKind::Growable),
        Expr::List(list) if list.elts.is_empty() => Some(ContainerKind::Growable),
        Expr::Call(call) => {
            let qualified = checker.qualified_name(&call.func)?;
            let name = crate::semantic::index::last_segment(&qualified);
            let module = qualified.strip_suffix(name).unwrap_or("");
            let empty = call.arguments.args.is_empty() && call.arguments.keywords.is_empty();
            let capacity = |keyword: &str, position: usize| {
                call.arguments
                    .keywords
                    .iter()
                    .find(|k| k.arg.as_deref() == Some(keyword))
                    .map(|k| &k.value)
                    .or(call.arguments.args.get(position))
                    .and_then(|v| checker.constant_int(v))
            };
            match (module, name) {
                ("", "dict" | "list" | "set") if empty => Some(ContainerKind::Growable),
                ("collections." | "", "defaultdict") => Some(ContainerKind::Growable),
                ("collections." | "", "OrderedDict" | "Counter") if empty => {
                    Some(ContainerKind::Growable)
                }
                ("collections." | "", "deque") => {
                    let bounded = call
                        .arguments
                        .keywords
                        .iter()
                        .any(|k| k.arg.as_deref() == Some("maxlen"))
                        || call.arguments.args.len() >= 2;
                    Some(if bounded {
                        ContainerKind::Bounded {
                            cache: CacheType::Deque,
                            capacity: capacity("maxlen", 1),
                        }
                    } else {
                        ContainerKind::Growable
                    })
                }
                (module, name)
                    if module.starts_with("cachetools") && CACHETOOLS.contains(&name) =>
                {
                    Some(ContainerKind::Bounded {
                        cache: CacheType::Cachetools,
                        capacity: capacity("maxsize", 0),
                    })
                }
                (module, "LFUCache" | "RRCache") if module.starts_with("cachetools") => {
                    Some(ContainerKind::Bounded {
                        cache: if name == "LFUCache" {
                            CacheType::LfuCache
                        } else {
                            CacheType::RrCache
                        },
                        capacity: capacity("maxsize", 0),
                    })
                }
                (module, name)
                    if module.starts_with("cachetools") && TTL_CACHES.contains(&name) =>
                {
                    Some(ContainerKind::Bounded {
                        cache: CacheType::TtlCache,
                        capacity: capacity("maxsize", 0),
                    })
                }
                _ => {
                    let position = checker.semantic.index.capacity_parameter(&qualified)?;
                    let by_keyword = call
                        .arguments
                        .keywords
                        .iter()
                        .find(|k| {
                            k.arg
                                .as_deref()
                                .is_some_and(|a| CAPACITY_PARAMETERS.contains(&a))
                        })
                        .map(|k| &k.value);
                    let value = by_keyword.or(call.arguments.args.get(position));
                    Some(ContainerKind::Bounded {
                        cache: CacheType::ProjectClass,
                        capacity: value.and_then(|v| checker.constant_int(v)),
                    })
                }
            }
        }
        _ => None,
    }
}

/// The container an expression names: a module-level name, or `self.X` / `cls.X` /
/// `ClassName.X` for a class attribute.
fn container_id(checker: &Checker, expr: &Expr) -> Option<usize> {
    match expr {
        Expr::Name(name) => {
            let binding = checker.semantic.resolve(name.id.as_str())?;
            match checker.semantic.binding(binding).value {
                Value::Container(id) => Some(id),
                _ => None,
            }
        }
        Expr::Attribute(attribute) => {
            let class = match checker.semantic.infer(&attribute.value) {
                Value::SelfRef(class) => class,
                Value::ModelClass(Some(class)) => class,
                _ => return None,
            };
            checker
                .class_containers
                .get(&(class, attribute.attr.to_string()))
                .copied()
        }
        _ => None,
    }
}

/// What a stored value looks like; a name is looked through to the literal it was bound to.
fn shape(checker: &Checker, expr: &Expr) -> Shape {
    if let Expr::Name(name) = expr {
        return checker
            .semantic
            .resolve(name.id.as_str())
            .and_then(|binding| checker.shapes.get(&binding).cloned())
            .unwrap_or(Shape::Unknown);
    }
    literal_shape(expr)
}

/// The shape of a literal value (`{"value": v, "expires": time.time() + ttl}`).
pub(crate) fn literal_shape(expr: &Expr) -> Shape {
    match expr {
        Expr::StringLiteral(_) | Expr::FString(_) => Shape::Str,
        Expr::NumberLiteral(ast::ExprNumberLiteral {
            value: ast::Number::Int(_),
            ..
        })
        | Expr::BooleanLiteral(_) => Shape::Int,
        Expr::NumberLiteral(ast::ExprNumberLiteral {
            value: ast::Number::Float(_),
            ..
        }) => Shape::Float,
        Expr::Dict(dict) => Shape::Dict(
            dict.items
                .iter()
                .map(|item| literal_shape(&item.value))
                .collect(),
        ),
        Expr::Tuple(tuple) => Shape::Tuple(tuple.elts.iter().map(literal_shape).collect()),
        Expr::BinOp(binop) => match (literal_shape(&binop.left), literal_shape(&binop.right)) {
            (Shape::Float, _) | (_, Shape::Float) => Shape::Float,
            (left, _) => left,
        },
        Expr::Call(call) => match call.func.as_ref() {
            Expr::Attribute(attribute) if attribute.attr.as_str() == "time" => Shape::Float,
            Expr::Name(name) if name.id.as_str() == "str" => Shape::Str,
            _ => Shape::Unknown,
        },
        _ => Shape::Unknown,
    }
}

/// A store into a container another module defines (`from .caches import quotes`,
/// `quotes[k] = {...}`): its shape goes to the index for that module's DJM404.
fn imported_store(checker: &mut Checker, container: &Expr, value: &Expr) {
    let qualified = match container {
        Expr::Name(name) => match checker
            .semantic
            .resolve(name.id.as_str())
            .map(|b| &checker.semantic.binding(b).value)
        {
            Some(Value::Imported { module, name }) => crate::semantic::index::qualify(module, name),
            _ => return,
        },
        Expr::Attribute(attribute) => match attribute.value.as_ref() {
            Expr::Name(module) => match checker
                .semantic
                .resolve(module.id.as_str())
                .map(|b| &checker.semantic.binding(b).value)
            {
                Some(Value::Module(module)) => {
                    crate::semantic::index::qualify(module, attribute.attr.as_str())
                }
                // `from storefront import caches`: a submodule imported by name.
                Some(Value::Imported { module, name }) => crate::semantic::index::qualify(
                    &crate::semantic::index::qualify(module, name),
                    attribute.attr.as_str(),
                ),
                _ => return,
            },
            _ => return,
        },
        _ => return,
    };
    let bytes = crate::memory::shape_bytes(&shape(checker, value));
    checker.semantic.index.add_store(qualified, bytes as u32);
}

fn insert(checker: &mut Checker, id: usize, range: TextRange, value: Option<&Expr>) {
    let function = checker.semantic.current_function();
    let value_shape = value.map(|value| shape(checker, value));
    let container = &mut checker.containers[id];
    container.insertions.push((range, function));
    container.value_shapes.extend(value_shape);
}

/// `X[k] = v`, `X[k] += v`.
pub(crate) fn subscript_store(
    checker: &mut Checker,
    subscript: &ast::ExprSubscript,
    value: Option<&Expr>,
) {
    if let Some(value) = value {
        imported_store(checker, &subscript.value, value);
    }
    if checker.bounded_key(&subscript.slice) {
        return;
    }
    if let Some(id) = container_id(checker, &subscript.value) {
        insert(checker, id, subscript.range(), value);
    }
}

/// `X += [...]`, `X |= {...}`.
pub(crate) fn augmented(checker: &mut Checker, target: &Expr, range: TextRange) {
    if let Some(id) = container_id(checker, target) {
        insert(checker, id, range, None);
    }
}

/// `del X[k]`, `del X[k][j]`.
pub(crate) fn delete(checker: &mut Checker, target: &Expr) {
    let Expr::Subscript(subscript) = target else {
        return;
    };
    let container = match subscript.value.as_ref() {
        Expr::Subscript(element) => element.value.as_ref(),
        other => other,
    };
    if let Some(id) = container_id(checker, container) {
        checker.containers[id].evicted = true;
    }
}

/// `X.append(...)`, `X[k].append(...)`, `X.pop(...)`.
pub(crate) fn method_call(checker: &mut Checker, call: &ast::ExprCall) {
    let Expr::Attribute(attribute) = call.func.as_ref() else {
        return;
    };
    let method = attribute.attr.as_str();
    // `cache.put(key, value)` / `cache.set(key, value)` on an imported cache object.
    if matches!(method, "put" | "set" | "setdefault" | "__setitem__")
        && let Some(value) = call.arguments.args.get(1)
    {
        imported_store(checker, &attribute.value, value);
    }
    let (receiver, key) = match attribute.value.as_ref() {
        // An element: `X[k].append(v)` grows X, `X[k].remove(v)` shrinks it.
        Expr::Subscript(element) => (element.value.as_ref(), Some(element.slice.as_ref())),
        other => (other, call.arguments.args.first()),
    };
    let Some(id) = container_id(checker, receiver) else {
        return;
    };
    if EVICTING.contains(&method) {
        checker.containers[id].evicted = true;
    } else if INSERTING.contains(&method) {
        // Keyed insertions only: a list grows whatever its index (`insert(0, x)`).
        let element = matches!(attribute.value.as_ref(), Expr::Subscript(_));
        let keyed = matches!(method, "add" | "setdefault") || (element && method != "append");
        if keyed && key.is_some_and(|key| checker.bounded_key(key)) {
            return;
        }
        let value = if method == "setdefault" {
            call.arguments.args.get(1)
        } else {
            None
        };
        insert(checker, id, call.range(), value);
    }
}

/// Keys that are classes (`type(x)`, `x.__class__`, `cls`, `model`): as many as the
/// program defines, all known once it is imported.
pub(crate) fn keyed_by_class(key: &Expr) -> bool {
    match key {
        Expr::Call(call) => matches!(call.func.as_ref(), Expr::Name(n) if n.id.as_str() == "type"),
        Expr::Attribute(attribute) => {
            attribute.attr.as_str() == "__class__" || class_like_name(attribute.attr.as_str())
        }
        // A name bound to a class, and a tuple of keys, are bounded by
        // `Checker::bounded_key` itself.
        Expr::Name(name) => class_like_name(name.id.as_str()),
        _ => false,
    }
}

/// `cls`, `model`, `model_class`, `serializer_class`, `filter_class`, `form_cls`, ...
pub(crate) fn class_like_name(name: &str) -> bool {
    matches!(
        name,
        "cls" | "klass" | "kls" | "model" | "class_" | "content_type"
    ) || name.ends_with("_class")
        || name.ends_with("_cls")
        || name.ends_with("_model")
        || name.ends_with("_type")
}

/// `global X; X = {}` in a function empties the container; `self.X = ...` in a method
/// gives each instance its own (or, for a container `__init__` sets, empties it).
pub(crate) fn rebinding(checker: &mut Checker, target: &Expr) {
    let Some(id) = container_id(checker, target) else {
        return;
    };
    match target {
        Expr::Name(_) if checker.semantic.current_function().is_some() => {
            checker.containers[id].evicted = true
        }
        Expr::Attribute(_) if checker.containers[id].instance && !in_init(checker) => {
            checker.containers[id].evicted = true
        }
        // `__init__` binding its own container.
        Expr::Attribute(_) if checker.containers[id].instance => {}
        Expr::Attribute(_) => checker.containers[id].shadowed = true,
        _ => {}
    }
}

/// Whether the walk is in an `__init__` (of the class `self` names, as `container_id`
/// resolved it).
fn in_init(checker: &Checker) -> bool {
    checker
        .semantic
        .current_function()
        .is_some_and(|f| checker.semantic.functions[f].name == "__init__")
}

/// `self.X = {}` (or `[]`, `set()`, `defaultdict(...)`, ...) in `__init__` of a
/// module-level class: one container per instance. It lives as long as the process
/// when the class's only instance is made at import (`recorder = Recorder()`), which
/// `growing_global_container` checks once the file is walked. A class this file
/// derives from has instances of its subclasses too: counted as made elsewhere.
pub(crate) fn instance_containers(
    checker: &mut Checker,
    class: &ast::StmtClassDef,
    qualified: &str,
) {
    for base in class.bases() {
        if let Some(base) = checker.qualified_name(base) {
            checker.instantiations.entry(base).or_default().1 += 1;
        }
    }
    let at_module_level = matches!(
        checker.semantic.scope_kind(),
        crate::semantic::ScopeKind::Module
    );
    if !at_module_level || checker.semantic.in_main_guard {
        return;
    }
    let Some(init) = class.body.iter().find_map(|stmt| match stmt {
        ast::Stmt::FunctionDef(f) if f.name.as_str() == "__init__" => Some(f),
        _ => None,
    }) else {
        return;
    };
    let Some(receiver) = init.parameters.args.first() else {
        return;
    };
    let receiver = receiver.parameter.name.as_str();
    for stmt in &init.body {
        let (target, value) = match stmt {
            ast::Stmt::Assign(assign) if assign.targets.len() == 1 => {
                (&assign.targets[0], assign.value.as_ref())
            }
            ast::Stmt::AnnAssign(ann) => match &ann.value {
                Some(value) => (ann.target.as_ref(), value.as_ref()),
                None => continue,
            },
            _ => continue,
        };
        let Expr::Attribute(attribute) = target else {
            continue;
        };
        if !matches!(attribute.value.as_ref(), Expr::Name(n) if n.id.as_str() == receiver) {
            continue;
        }
        let key = (qualified.to_string(), attribute.attr.to_string());
        if checker.class_containers.contains_key(&key) {
            continue;
        }
        if container_definition(checker, value) != Some(ContainerKind::Growable) {
            continue;
        }
        let mut container = crate::semantic::containers::Container::new(
            attribute.attr.as_str(),
            Some(qualified.to_string()),
            stmt.range(),
            ContainerKind::Growable,
        );
        container.instance = true;
        checker
            .class_containers
            .insert(key, checker.containers.len());
        checker.containers.push(container);
    }
}

/// `Recorder()`: an instance of a class of this file, made at import or elsewhere.
/// Another module that refers to the class may make instances too: the index says
/// (`referenced_elsewhere`), asked only for a singleton candidate.
pub(crate) fn instantiation(checker: &mut Checker, call: &ast::ExprCall) {
    let Expr::Name(name) = call.func.as_ref() else {
        return;
    };
    // `cls()` in a class's own methods (a factory classmethod) makes another instance.
    let class = if name.id.as_str() == "cls" {
        let Some((class, _)) = checker.semantic.current_class() else {
            return;
        };
        crate::semantic::index::qualify(checker.semantic.index.module(), &class)
    } else {
        let Some(binding) = checker.semantic.resolve(name.id.as_str()) else {
            return;
        };
        let Value::Class(class) = &checker.semantic.binding(binding).value else {
            return;
        };
        class.clone()
    };
    let at_import =
        checker.semantic.current_function().is_none() && !checker.semantic.in_main_guard;
    let counts = checker.instantiations.entry(class).or_default();
    if at_import {
        counts.0 += 1;
    } else {
        counts.1 += 1;
    }
}

/// DJM403, once the file is walked.
pub(crate) fn growing_global_container(checker: &mut Checker) {
    // A management command is a process of its own that ends with the command.
    if checker.in_management_command() {
        return;
    }
    let mut found = Vec::new();
    for container in &checker.containers {
        if container.kind != ContainerKind::Growable || container.evicted || container.shadowed {
            continue;
        }
        // An instance's container outlives requests only on the one instance made at
        // import (a singleton); `__init__` runs once for it.
        let singleton = container.instance
            && container.class.as_ref().is_some_and(|class| {
                checker
                    .instantiations
                    .get(class)
                    .copied()
                    .unwrap_or_default()
                    == (1, 0)
                    && !checker.semantic.index.referenced_elsewhere(class)
            });
        if container.instance && !singleton {
            continue;
        }
        let sites: Vec<TextRange> = container
            .insertions
            .iter()
            .filter(|(_, function)| {
                function.is_some_and(|f| {
                    let once_in_init =
                        container.instance && checker.semantic.functions[f].name == "__init__";
                    !(checker.is_registrar(f) || checker.runs_only_once(f) || once_in_init)
                })
            })
            .map(|(range, _)| *range)
            .collect();
        if sites.is_empty() {
            continue;
        }
        let name = match &container.class {
            Some(class) => format!(
                "{}.{}",
                crate::semantic::index::last_segment(class),
                container.name
            ),
            None => container.name.clone(),
        };
        let mut diagnostic = Diagnostic::new(
            Rule::GrowingGlobalContainer,
            format!(
                "`{name}` lives as long as the process and {} add to it, but nothing ever removes an entry: it grows with every distinct key until the worker is restarted",
                if sites.len() == 1 { "one function does" } else { "functions" }
            ),
            container.definition,
        )
        .with_help("bound it (`cachetools.LRUCache(maxsize=...)`, `deque(maxlen=...)`), evict entries, or keep it per request");
        for site in sites.iter().take(5) {
            diagnostic
                .secondary
                .push((*site, "added to here".to_string()));
        }
        found.push(diagnostic);
    }
    for diagnostic in found {
        checker.report(diagnostic);
    }
}
