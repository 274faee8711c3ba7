//! What a module declares for the project index, read off its syntax before any file is
//! checked: its classes (bases, managers, relations, field counts, cache capacities).
//! Nothing here depends on another file, so the index built from these facts is a
//! function of the tree alone, whatever order the files are read in.
//!
//! Names in bases and field calls are qualified through the module's imports exactly as
//! the checker's semantic model qualifies them, bindings merged after branches the same
//! way, so that the checker and the index agree on what a name means.

use rustc_hash::FxHashMap as HashMap;

use ruff_python_ast::{self as ast, Expr, Stmt};

use crate::semantic::index::{ClassFact, OnDelete, RelationField, RelationKind, last_segment};
use crate::semantic::literal;

/// Parameter names of `__init__` that make instances caches bounded by that argument.
pub(crate) const CAPACITY_PARAMETERS: [&str; 5] =
    ["maxlen", "maxsize", "max_size", "capacity", "max_entries"];

/// `shop` + `models` -> `shop.models`.
pub(crate) fn join_module(module: &str, name: &str) -> String {
    if module.is_empty() {
        name.to_string()
    } else {
        format!("{module}.{name}")
    }
}

/// `from ..models import X` inside `shop.views.api` names `shop.models`.
pub(crate) fn resolve_relative(current: &str, module: Option<&str>, level: u32) -> String {
    let module = module.unwrap_or("");
    if level == 0 {
        return module.to_string();
    }
    let mut parts: Vec<&str> = current.split('.').filter(|p| !p.is_empty()).collect();
    for _ in 0..level {
        parts.pop();
    }
    let package = parts.join(".");
    // `from . import views` names the package itself: no module to join.
    if module.is_empty() {
        return package;
    }
    join_module(&package, module)
}

/// What `from MODULE import NAME` binds: a module when the name looks like one
/// (`from . import views`), else a name declared in that module.
pub(crate) enum ImportedName {
    Module(String),
    Name { module: String, name: String },
}

pub(crate) fn imported_name(
    import: &ast::StmtImportFrom,
    current: &str,
    name: &str,
) -> ImportedName {
    let module = resolve_relative(
        current,
        import.module.as_ref().map(ast::Identifier::as_str),
        import.level,
    );
    if name.chars().next().is_some_and(char::is_lowercase)
        && name != "apps"
        && (module.is_empty() || import.module.is_none())
    {
        ImportedName::Module(join_module(&module, name))
    } else {
        ImportedName::Name {
            module,
            name: name.to_string(),
        }
    }
}

/// The names an `import` or `from ... import` statement binds in module `current`, each
/// with the dotted name it stands for: `import a.b` binds `a` to `a`, `import a.b as c`
/// binds `c` to `a.b`, `from .m import X as Y` binds `Y` to `pkg.m.X`. Star imports bind
/// nothing here. Empty for any other statement.
pub(crate) fn import_bindings<'s>(stmt: &'s Stmt, current: &str) -> Vec<(&'s str, String)> {
    let mut bound = Vec::new();
    match stmt {
        Stmt::Import(import) => {
            for alias in &import.names {
                let module = alias.name.as_str();
                match &alias.asname {
                    Some(asname) => bound.push((asname.as_str(), module.to_string())),
                    None => {
                        let top = module.split('.').next().unwrap_or(module);
                        bound.push((top, top.to_string()));
                    }
                }
            }
        }
        Stmt::ImportFrom(import) => {
            for alias in &import.names {
                let name = alias.name.as_str();
                if name == "*" {
                    continue;
                }
                let name_bound = alias.asname.as_ref().map_or(name, ast::Identifier::as_str);
                let dotted = match imported_name(import, current, name) {
                    ImportedName::Module(module) => module,
                    ImportedName::Name { module, name } => join_module(&module, &name),
                };
                bound.push((name_bound, dotted));
            }
        }
        _ => {}
    }
    bound
}

/// A dotted name with its first name qualified by `resolve`: `models.Model` ->
/// `django.db.models.Model`; a call's callee gets `()` (`Manager.from_queryset(QS)` as
/// a base). None for anything else, or past 16 links.
pub(crate) fn dotted_name(expr: &Expr, resolve: &dyn Fn(&str) -> String) -> Option<String> {
    fn at(expr: &Expr, resolve: &dyn Fn(&str) -> String, depth: usize) -> Option<String> {
        if depth > 16 {
            return None;
        }
        match expr {
            Expr::Name(name) => Some(resolve(name.id.as_str())),
            Expr::Attribute(attribute) => {
                let receiver = at(&attribute.value, resolve, depth + 1)?;
                Some(format!("{receiver}.{}", attribute.attr))
            }
            Expr::Call(call) => {
                let callee = at(&call.func, resolve, depth + 1)?;
                Some(format!("{callee}()"))
            }
            _ => None,
        }
    }
    at(expr, resolve, 0)
}

/// What the class body declares, read off its syntax. `qualified_name` qualifies a
/// dotted name through the imports in scope (`models.Model` ->
/// `django.db.models.Model`), None for anything that is not a dotted name or call.
pub(crate) fn class_fact(
    class: &ast::StmtClassDef,
    qualified_name: &dyn Fn(&Expr) -> Option<String>,
) -> ClassFact {
    let bases = class.bases().iter().filter_map(qualified_name).collect();
    let mut attribute_calls = Vec::new();
    let mut relation_accessors = Vec::new();
    let mut field_count = 0;
    let mut unique_keys = Vec::new();
    let mut parent_keys = Vec::new();
    let mut relation_fields = Vec::new();
    for stmt in &class.body {
        if let Stmt::ClassDef(meta) = stmt
            && meta.name.as_str() == "Meta"
        {
            unique_keys.extend(meta_unique_keys(&meta.body));
        }
        let (target, value) = match stmt {
            Stmt::Assign(assign) if assign.targets.len() == 1 => {
                (&assign.targets[0], assign.value.as_ref())
            }
            Stmt::AnnAssign(ann) => match &ann.value {
                Some(value) => (ann.target.as_ref(), value.as_ref()),
                None => continue,
            },
            _ => continue,
        };
        let (Expr::Name(target), Expr::Call(call)) = (target, value) else {
            continue;
        };
        let Some(callee) = qualified_name(&call.func) else {
            continue;
        };
        let field = last_segment(&callee);
        let related_name = call.arguments.keywords.iter().find_map(|k| {
            if k.arg.as_ref().map(ast::Identifier::as_str) != Some("related_name") {
                return None;
            }
            literal::string(&k.value)
                .filter(|s| !s.ends_with('+') && !s.contains('%'))
                .map(str::to_string)
        });
        match field {
            "ForeignKey" | "ParentalKey" => relation_accessors.extend(related_name),
            "ManyToManyField" | "ParentalManyToManyField" => {
                relation_accessors.push(target.id.to_string());
                relation_accessors.extend(related_name);
            }
            "GenericRelation" | "TaggableManager" | "ClusterTaggableManager" => {
                relation_accessors.push(target.id.to_string())
            }
            _ => {}
        }
        if let Some(relation) = relation_field(target.id.as_str(), field, call, qualified_name) {
            relation_fields.push(relation);
        }
        if field.ends_with("Field") || field == "ForeignKey" || field == "ParentalKey" {
            field_count += 1;
            let flag = |name: &str| {
                call.arguments.keywords.iter().any(|k| {
                    k.arg.as_ref().map(ast::Identifier::as_str) == Some(name)
                        && matches!(
                            k.value,
                            Expr::BooleanLiteral(ast::ExprBooleanLiteral { value: true, .. })
                        )
                })
            };
            if field == "OneToOneField" || flag("unique") || flag("primary_key") {
                unique_keys.push(vec![target.id.to_string()]);
            }
            if matches!(
                field,
                "ForeignKey" | "ParentalKey" | "ManyToManyField" | "ParentalManyToManyField"
            ) {
                parent_keys.push(target.id.to_string());
            }
        }
        let callee = match call.func.as_ref() {
            // `Manager.from_queryset(QS)()` is a manager whatever the names say.
            Expr::Call(inner)
                if qualified_name(&inner.func).is_some_and(|f| f.ends_with("from_queryset")) =>
            {
                "from_queryset()".to_string()
            }
            _ => callee,
        };
        attribute_calls.push((target.id.to_string(), callee));
    }
    let capacity_parameter = class.body.iter().find_map(|stmt| match stmt {
        Stmt::FunctionDef(f) if f.name.as_str() == "__init__" => {
            let is_capacity = |arg: &ast::ParameterWithDefault| {
                CAPACITY_PARAMETERS.contains(&arg.parameter.name.as_str())
            };
            f.parameters
                .posonlyargs
                .iter()
                .chain(&f.parameters.args)
                .skip(1)
                .position(is_capacity)
                .map(|p| p as u32)
                // keyword-only: never given by position
                .or_else(|| {
                    f.parameters
                        .kwonlyargs
                        .iter()
                        .any(is_capacity)
                        .then_some(u32::MAX - 1)
                })
        }
        _ => None,
    });
    ClassFact {
        capacity_parameter,
        module: String::new(),
        name: class.name.to_string(),
        bases,
        attribute_calls,
        relation_accessors,
        field_count,
        unique_keys,
        parent_keys,
        relation_fields,
    }
}

/// A relation field declared as `name = <field>(target, on_delete=..., ...)`.
fn relation_field(
    name: &str,
    field: &str,
    call: &ast::ExprCall,
    qualified_name: &dyn Fn(&Expr) -> Option<String>,
) -> Option<RelationField> {
    let kind = match field {
        "ForeignKey" | "ParentalKey" => RelationKind::ForeignKey,
        "OneToOneField" => RelationKind::OneToOne,
        "ManyToManyField" | "ParentalManyToManyField" => RelationKind::ManyToMany,
        "GenericRelation" => RelationKind::Generic,
        _ => return None,
    };
    let keyword = |wanted: &str| {
        call.arguments
            .keywords
            .iter()
            .find(|k| k.arg.as_ref().map(ast::Identifier::as_str) == Some(wanted))
            .map(|k| &k.value)
    };
    let target = call.arguments.args.first().or_else(|| keyword("to"));
    let target = match target {
        Some(expr) => match literal::string(expr) {
            Some(text) => text.to_string(),
            None => qualified_name(expr).unwrap_or_default(),
        },
        None => String::new(),
    };
    let on_delete = match keyword("on_delete").or_else(|| call.arguments.args.get(1)) {
        Some(Expr::Call(set)) => match qualified_name(&set.func) {
            Some(callee) if last_segment(&callee) == "SET" => OnDelete::Collects,
            _ => OnDelete::Other,
        },
        Some(expr) => match qualified_name(expr) {
            Some(action)
                if matches!(
                    last_segment(&action),
                    "CASCADE" | "SET_NULL" | "SET_DEFAULT"
                ) =>
            {
                OnDelete::Collects
            }
            _ => OnDelete::Other,
        },
        None => OnDelete::Other,
    };
    let related_name = keyword("related_name")
        .and_then(literal::string)
        .map(str::to_string);
    Some(RelationField {
        name: name.to_string(),
        target,
        kind,
        on_delete,
        related_name,
    })
}

/// `unique_together = ("a", "b")` or `(("a", "b"), ...)`, and
/// `constraints = [UniqueConstraint(fields=[...], name=...)]` without a `condition`
/// (a conditional constraint holds only for some rows) or expressions.
fn meta_unique_keys(body: &[Stmt]) -> Vec<Vec<String>> {
    let strings = |expr: &Expr| -> Option<Vec<String>> {
        let elements = match expr {
            Expr::List(list) => &list.elts,
            Expr::Tuple(tuple) => &tuple.elts,
            _ => return None,
        };
        elements
            .iter()
            .map(|e| literal::string(e).map(str::to_string))
            .collect()
    };
    let mut keys = Vec::new();
    for stmt in body {
        let Stmt::Assign(assign) = stmt else { continue };
        let [Expr::Name(target)] = assign.targets.as_slice() else {
            continue;
        };
        let elements = match assign.value.as_ref() {
            Expr::List(list) => &list.elts,
            Expr::Tuple(tuple) => &tuple.elts,
            _ => continue,
        };
        match target.id.as_str() {
            "unique_together" => match strings(&assign.value) {
                Some(flat) if !flat.is_empty() => keys.push(flat),
                _ => keys.extend(elements.iter().filter_map(strings)),
            },
            "constraints" => {
                for element in elements {
                    let Expr::Call(call) = element else { continue };
                    let is_unique = match call.func.as_ref() {
                        Expr::Name(name) => name.id.as_str() == "UniqueConstraint",
                        Expr::Attribute(attribute) => attribute.attr.as_str() == "UniqueConstraint",
                        _ => false,
                    };
                    let keyword = |name: &str| {
                        call.arguments
                            .keywords
                            .iter()
                            .find(|k| k.arg.as_ref().map(ast::Identifier::as_str) == Some(name))
                    };
                    if !is_unique
                        || keyword("condition").is_some()
                        || !call.arguments.args.is_empty()
                    {
                        continue;
                    }
                    if let Some(fields) = keyword("fields").and_then(|k| strings(&k.value)) {
                        keys.push(fields);
                    }
                }
            }
            _ => {}
        }
    }
    keys
}

/// Deeper than this the walk stops: the checker stops at the same depth.
const MAX_DEPTH: usize = 400;

/// The classes `body` declares, at any depth (a class in a function counts), except
/// `Meta` classes. `module` is the dotted module name of the file.
pub(crate) fn declarations(body: &[Stmt], module: &str) -> Vec<ClassFact> {
    let mut walk = Declarations {
        module,
        scopes: vec![Scope::default()],
        next_id: 0,
        classes: Vec::new(),
        depth: 0,
    };
    walk.body(body);
    walk.classes
}

/// What a name means for qualification: a dotted name, or the name as written.
#[derive(Clone, PartialEq)]
enum Meaning {
    Qualified(String),
    AsWritten,
}

#[derive(Default)]
struct Scope {
    is_class: bool,
    /// name -> (binding id, meaning); ids tell "the same binding in every branch".
    names: HashMap<String, (usize, Meaning)>,
}

struct Declarations<'m> {
    module: &'m str,
    scopes: Vec<Scope>,
    next_id: usize,
    classes: Vec<ClassFact>,
    depth: usize,
}

type Snapshot = HashMap<String, (usize, Meaning)>;

impl Declarations<'_> {
    fn bind(&mut self, name: &str, meaning: Meaning) {
        self.next_id += 1;
        let scope = self.scopes.last_mut().expect("module scope");
        scope
            .names
            .insert(name.to_string(), (self.next_id, meaning));
    }

    fn resolve(&self, name: &str) -> Option<&Meaning> {
        let innermost = self.scopes.len() - 1;
        self.scopes
            .iter()
            .enumerate()
            .rev()
            .filter(|(depth, scope)| *depth == innermost || !scope.is_class)
            .find_map(|(_, scope)| scope.names.get(name).map(|(_, meaning)| meaning))
    }

    fn qualified_name(&self, expr: &Expr) -> Option<String> {
        dotted_name(expr, &|name| match self.resolve(name) {
            Some(Meaning::Qualified(qualified)) => qualified.clone(),
            _ => name.to_string(),
        })
    }

    fn snapshot(&self) -> Snapshot {
        self.scopes.last().expect("module scope").names.clone()
    }

    fn restore(&mut self, names: Snapshot) {
        self.scopes.last_mut().expect("module scope").names = names;
    }

    /// After branches: a name keeps its meaning where every branch holds the same
    /// binding; anything else means nothing known (the checker's merge does the same).
    fn merge(&mut self, branches: Vec<Snapshot>) {
        let mut merged = Snapshot::default();
        let names: std::collections::BTreeSet<&String> =
            branches.iter().flat_map(|b| b.keys()).collect();
        for name in names {
            let mut found: Vec<Option<&(usize, Meaning)>> =
                branches.iter().map(|b| b.get(name)).collect();
            found.dedup_by(|a, b| a.map(|x| x.0) == b.map(|x| x.0));
            match found.as_slice() {
                [Some(binding)] => {
                    merged.insert(name.clone(), (*binding).clone());
                }
                _ => {
                    self.next_id += 1;
                    merged.insert(name.clone(), (self.next_id, Meaning::AsWritten));
                }
            }
        }
        self.restore(merged);
    }

    fn body(&mut self, body: &[Stmt]) {
        for stmt in body {
            self.stmt(stmt);
        }
    }

    fn targets(&mut self, target: &Expr) {
        match target {
            Expr::Name(name) => self.bind(name.id.as_str(), Meaning::AsWritten),
            Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
                for element in elts {
                    self.targets(element);
                }
            }
            Expr::Starred(starred) => self.targets(&starred.value),
            _ => {}
        }
    }

    fn stmt(&mut self, stmt: &Stmt) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        match stmt {
            Stmt::FunctionDef(function) => {
                self.bind(function.name.as_str(), Meaning::AsWritten);
                self.scopes.push(Scope::default());
                self.body(&function.body);
                self.scopes.pop();
            }
            Stmt::ClassDef(class) => {
                let name = class.name.as_str();
                let qualified = join_module(self.module, name);
                self.bind(name, Meaning::Qualified(qualified));
                if name != "Meta" {
                    let fact = class_fact(class, &|expr| self.qualified_name(expr));
                    self.classes.push(fact);
                }
                self.scopes.push(Scope {
                    is_class: true,
                    ..Scope::default()
                });
                self.body(&class.body);
                self.scopes.pop();
            }
            Stmt::Import(_) | Stmt::ImportFrom(_) => {
                for (name, qualified) in import_bindings(stmt, self.module) {
                    self.bind(name, Meaning::Qualified(qualified));
                }
            }
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    self.targets(target);
                }
            }
            Stmt::AnnAssign(ann) => {
                if ann.value.is_some() {
                    self.targets(&ann.target);
                }
            }
            Stmt::AugAssign(aug) => self.targets(&aug.target),
            Stmt::For(f) => {
                let before = self.snapshot();
                self.targets(&f.target);
                self.body(&f.body);
                self.body(&f.orelse);
                let after = self.snapshot();
                self.merge(vec![before, after]);
            }
            Stmt::While(w) => {
                let before = self.snapshot();
                self.body(&w.body);
                self.body(&w.orelse);
                let after = self.snapshot();
                self.merge(vec![before, after]);
            }
            Stmt::If(i) => self.if_chain(&i.body, &i.elif_else_clauses),
            Stmt::With(w) => {
                for item in &w.items {
                    if let Some(vars) = &item.optional_vars {
                        self.targets(vars);
                    }
                }
                self.body(&w.body);
            }
            Stmt::Match(m) => {
                let before = self.snapshot();
                let mut branches = vec![before.clone()];
                for case in &m.cases {
                    self.restore(before.clone());
                    self.body(&case.body);
                    branches.push(self.snapshot());
                }
                self.merge(branches);
            }
            Stmt::Try(t) => {
                let before = self.snapshot();
                self.body(&t.body);
                self.body(&t.orelse);
                let mut branches = vec![before.clone(), self.snapshot()];
                for ast::ExceptHandler::ExceptHandler(handler) in &t.handlers {
                    if let Some(name) = &handler.name {
                        self.bind(name.as_str(), Meaning::AsWritten);
                    }
                    self.body(&handler.body);
                    branches.push(self.snapshot());
                }
                self.merge(branches);
                self.body(&t.finalbody);
            }
            Stmt::Delete(_)
            | Stmt::Return(_)
            | Stmt::TypeAlias(_)
            | Stmt::Raise(_)
            | Stmt::Assert(_)
            | Stmt::Global(_)
            | Stmt::Nonlocal(_)
            | Stmt::Expr(_)
            | Stmt::Pass(_)
            | Stmt::Break(_)
            | Stmt::Continue(_)
            | Stmt::IpyEscapeCommand(_) => {}
        }
        self.depth -= 1;
    }

    fn if_chain(&mut self, body: &[Stmt], clauses: &[ast::ElifElseClause]) {
        let before = self.snapshot();
        self.body(body);
        let after_body = self.snapshot();
        self.restore(before);
        if let Some((clause, rest)) = clauses.split_first() {
            match &clause.test {
                Some(_) => self.if_chain(&clause.body, rest),
                None => self.body(&clause.body),
            }
        }
        let after_else = self.snapshot();
        self.merge(vec![after_body, after_else]);
    }
}

#[cfg(test)]
mod tests {
    use super::resolve_relative;

    #[test]
    fn relative_imports_name_their_package() {
        assert_eq!(
            resolve_relative("shop.views.api", Some("models"), 2),
            "shop.models"
        );
        assert_eq!(
            resolve_relative("shop.views.api", Some("forms"), 1),
            "shop.views.forms"
        );
        // `from . import mocks` in `pkg.tests` names `pkg`, not `pkg.` (`pkg..mocks` once
        // joined with the imported name).
        assert_eq!(resolve_relative("pkg.tests", None, 1), "pkg");
        assert_eq!(
            resolve_relative("shop.models", Some("django.db"), 0),
            "django.db"
        );
    }
}
