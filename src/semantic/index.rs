//! The project-wide index: what the checked tree declares (models, their managers and
//! relations, QuerySet and Manager subclasses, views, commands, functions that return
//! querysets), built from the facts every file contributes.
//!
//! Files are checked before the index is complete (one parse per file), so every
//! question a file asks is recorded with its answer. When the final index answers one of
//! them differently, that file is checked again (see `lib.rs`).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

/// Facts one file contributes to the index.
#[derive(Clone, Debug, Default)]
pub(crate) struct FileFacts {
    pub(crate) module: String,
    pub(crate) classes: Vec<ClassFact>,
    pub(crate) functions: Vec<FunctionFact>,
}

#[derive(Clone, Debug)]
pub(crate) struct ClassFact {
    pub(crate) name: String,
    /// Base classes, qualified through the file's imports where possible
    /// (`django.db.models.Model`), else as written (`TimeStampedModel`).
    pub(crate) bases: Vec<String>,
    /// Class attributes bound to a call: (attribute, callee as written or qualified).
    pub(crate) attribute_calls: Vec<(String, String)>,
    /// Accessors this class contributes that give related managers on instances:
    /// ManyToManyField names, `related_name`s of ForeignKey and ManyToManyField fields.
    pub(crate) relation_accessors: Vec<String>,
    pub(crate) field_count: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct FunctionFact {
    /// Enclosing class for methods.
    pub(crate) class: Option<String>,
    pub(crate) name: String,
    pub(crate) returns_queryset: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ClassKind {
    Other = 0,
    Model = 1,
    QuerySet = 2,
    Manager = 3,
    View = 4,
    Command = 5,
}

impl ClassKind {
    fn from_u32(value: u32) -> ClassKind {
        match value {
            1 => ClassKind::Model,
            2 => ClassKind::QuerySet,
            3 => ClassKind::Manager,
            4 => ClassKind::View,
            5 => ClassKind::Command,
            _ => ClassKind::Other,
        }
    }
}

/// A question a file asked the index. Answers are small integers (bools, kinds, counts).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Lookup {
    ClassKind(String),
    ModelManager(String, String),
    ModelFieldCount(String),
    Relation(String),
    QuerysetMethod(String),
    Function(String, String),
    Method(String, String),
}

#[derive(Default)]
pub(crate) struct ProjectIndex {
    classes: HashMap<String, Vec<ClassFact>>,
    kinds: HashMap<String, ClassKind>,
    relations: HashSet<String>,
    queryset_methods: HashSet<String>,
    /// function name -> (module, returns a queryset)
    functions: HashMap<String, Vec<(String, bool)>>,
    /// (class, method) -> returns a queryset
    methods: HashMap<(String, String), bool>,
}

/// The last dotted segment: `models.Model` -> `Model`.
pub(crate) fn last_segment(dotted: &str) -> &str {
    dotted.rsplit('.').next().unwrap_or(dotted)
}

/// What a base class that is not declared in the checked tree makes of a class.
fn external_base_kind(base: &str) -> ClassKind {
    if base.contains("from_queryset(") {
        return ClassKind::Manager;
    }
    let name = last_segment(base);
    let module = base.strip_suffix(name).unwrap_or("");
    if name == "Model"
        || name == "AbstractUser"
        || name == "AbstractBaseUser"
        || (name.ends_with("Model") && (module.contains("models") || module.starts_with("django")))
    {
        ClassKind::Model
    } else if name.ends_with("QuerySet") {
        ClassKind::QuerySet
    } else if name.ends_with("Manager") && !name.ends_with("ContextManager") {
        ClassKind::Manager
    } else if name == "BaseCommand" || (name.ends_with("Command") && module.contains("management"))
    {
        ClassKind::Command
    } else if name.ends_with("View")
        || name.ends_with("ViewSet")
        || name.ends_with("ViewSetMixin")
        || name.ends_with("ModelAdmin")
        || name.ends_with("Inline")
        || name.ends_with("ObjectMixin")
        || name.ends_with("ModelMixin")
    {
        ClassKind::View
    } else {
        ClassKind::Other
    }
}

impl ProjectIndex {
    pub(crate) fn build<'a>(all: impl IntoIterator<Item = &'a FileFacts>) -> ProjectIndex {
        let mut index = ProjectIndex::default();
        let mut function_facts = Vec::new();
        for facts in all {
            for class in &facts.classes {
                index
                    .classes
                    .entry(class.name.clone())
                    .or_default()
                    .push(class.clone());
            }
            for function in &facts.functions {
                function_facts.push((facts.module.clone(), function.clone()));
            }
        }
        index.resolve_kinds();
        for (module, function) in function_facts {
            index.add_function(&module, &function);
        }
        index
    }

    fn add_function(&mut self, module: &str, function: &FunctionFact) {
        match &function.class {
            Some(class) => {
                let entry = self
                    .methods
                    .entry((class.clone(), function.name.clone()))
                    .or_insert(true);
                *entry &= function.returns_queryset;
                let kind = self.kinds.get(class).copied();
                if function.returns_queryset
                    && matches!(kind, Some(ClassKind::QuerySet | ClassKind::Manager))
                {
                    self.queryset_methods.insert(function.name.clone());
                }
            }
            None => self
                .functions
                .entry(function.name.clone())
                .or_default()
                .push((module.to_string(), function.returns_queryset)),
        }
    }

    /// Kinds flow from bases to subclasses across files; iterate to a fixpoint.
    fn resolve_kinds(&mut self) {
        loop {
            let mut changed = false;
            for (name, classes) in &self.classes {
                let mut best = ClassKind::Other;
                for class in classes {
                    for base in &class.bases {
                        let base_name = last_segment(base);
                        let kind = match self.kinds.get(base_name) {
                            Some(kind) if self.classes.contains_key(base_name) => *kind,
                            _ => external_base_kind(base),
                        };
                        if best == ClassKind::Other {
                            best = kind;
                        }
                    }
                }
                if self.kinds.get(name).copied().unwrap_or(ClassKind::Other) != best {
                    self.kinds.insert(name.clone(), best);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        self.relations = self
            .classes
            .values()
            .flatten()
            .filter(|class| self.kinds.get(&class.name) == Some(&ClassKind::Model))
            .flat_map(|class| class.relation_accessors.iter().cloned())
            .collect();
    }

    fn class_kind(&self, name: &str) -> ClassKind {
        if self.classes.contains_key(name) {
            self.kinds.get(name).copied().unwrap_or(ClassKind::Other)
        } else {
            external_base_kind(name)
        }
    }

    /// Visits `class` and its project base classes, nearest first, at most once each.
    fn with_ancestors(&self, class: &str, mut visit: impl FnMut(&ClassFact) -> bool) -> bool {
        let mut seen = HashSet::new();
        let mut queue = vec![class.to_string()];
        while let Some(name) = queue.pop() {
            if !seen.insert(name.clone()) || seen.len() > 64 {
                continue;
            }
            for fact in self.classes.get(&name).into_iter().flatten() {
                if visit(fact) {
                    return true;
                }
                queue.extend(fact.bases.iter().map(|b| last_segment(b).to_string()));
            }
        }
        false
    }

    fn is_manager_callee(&self, callee: &str) -> bool {
        callee.ends_with(".as_manager")
            || callee.contains("from_queryset(")
            || matches!(self.class_kind(last_segment(callee)), ClassKind::Manager)
    }

    fn answer(&self, lookup: &Lookup) -> u32 {
        match lookup {
            Lookup::ClassKind(name) => self.class_kind(name) as u32,
            Lookup::ModelManager(model, attr) => self.with_ancestors(model, |class| {
                class
                    .attribute_calls
                    .iter()
                    .any(|(name, callee)| name == attr && self.is_manager_callee(callee))
            }) as u32,
            Lookup::ModelFieldCount(model) => {
                let mut count = 0;
                self.with_ancestors(model, |class| {
                    count += class.field_count;
                    false
                });
                count
            }
            Lookup::Relation(name) => self.relations.contains(name) as u32,
            Lookup::QuerysetMethod(name) => self.queryset_methods.contains(name) as u32,
            Lookup::Function(module, name) => {
                let mut matched = self
                    .functions
                    .get(name)
                    .into_iter()
                    .flatten()
                    .filter(|(defined_in, _)| modules_match(module, defined_in))
                    .peekable();
                let any = matched.peek().is_some();
                (any && matched.all(|(_, returns)| *returns)) as u32
            }
            Lookup::Method(class, method) => self.with_ancestors(class, |fact| {
                self.methods.get(&(fact.name.clone(), method.clone())) == Some(&true)
            }) as u32,
        }
    }
}

/// `from shop.services import f` names module `shop.services`; the tree may have been
/// checked from inside or outside the top package, so either may be a dotted suffix
/// of the other.
fn modules_match(imported: &str, defined: &str) -> bool {
    fn is_suffix(long: &str, short: &str) -> bool {
        long == short || long.ends_with(&format!(".{short}"))
    }
    is_suffix(imported, defined) || is_suffix(defined, imported)
}

/// What one file sees while it is checked: its own facts so far on top of the project
/// index, with every answer recorded.
pub(crate) struct IndexView<'a> {
    global: &'a ProjectIndex,
    local: ProjectIndex,
    local_facts: FileFacts,
    recorded: RefCell<HashMap<Lookup, u32>>,
}

impl<'a> IndexView<'a> {
    pub(crate) fn new(global: &'a ProjectIndex, module: String) -> Self {
        IndexView {
            global,
            local: ProjectIndex::default(),
            local_facts: FileFacts {
                module,
                ..FileFacts::default()
            },
            recorded: RefCell::new(HashMap::new()),
        }
    }

    pub(crate) fn module(&self) -> &str {
        &self.local_facts.module
    }

    pub(crate) fn add_class(&mut self, class: ClassFact) {
        self.local
            .classes
            .entry(class.name.clone())
            .or_default()
            .push(class.clone());
        self.local.resolve_kinds();
        self.local_facts.classes.push(class);
    }

    pub(crate) fn add_function(&mut self, function: FunctionFact) {
        let module = self.local_facts.module.clone();
        self.local.add_function(&module, &function);
        self.local_facts.functions.push(function);
    }

    pub(crate) fn into_facts(self) -> (FileFacts, Vec<(Lookup, u32)>) {
        let recorded = self.recorded.into_inner().into_iter().collect();
        (self.local_facts, recorded)
    }

    fn ask(&self, lookup: Lookup) -> u32 {
        if let Some(answer) = self.recorded.borrow().get(&lookup) {
            return *answer;
        }
        let answer = answer_layered(&self.local, self.global, &lookup);
        self.recorded.borrow_mut().insert(lookup, answer);
        answer
    }

    pub(crate) fn class_kind(&self, name: &str) -> ClassKind {
        ClassKind::from_u32(self.ask(Lookup::ClassKind(name.to_string())))
    }
    pub(crate) fn model_manager(&self, model: &str, attr: &str) -> bool {
        self.ask(Lookup::ModelManager(model.to_string(), attr.to_string())) != 0
    }
    pub(crate) fn model_field_count(&self, model: &str) -> u32 {
        self.ask(Lookup::ModelFieldCount(model.to_string()))
    }
    pub(crate) fn is_relation(&self, name: &str) -> bool {
        self.ask(Lookup::Relation(name.to_string())) != 0
    }
    pub(crate) fn is_queryset_method(&self, name: &str) -> bool {
        self.ask(Lookup::QuerysetMethod(name.to_string())) != 0
    }
    pub(crate) fn function_returns_queryset(&self, module: &str, name: &str) -> bool {
        self.ask(Lookup::Function(module.to_string(), name.to_string())) != 0
    }
    pub(crate) fn method_returns_queryset(&self, class: &str, method: &str) -> bool {
        self.ask(Lookup::Method(class.to_string(), method.to_string())) != 0
    }
}

/// The file's own declarations win over same-named ones elsewhere, except where the
/// file knows nothing about the name.
fn answer_layered(local: &ProjectIndex, global: &ProjectIndex, lookup: &Lookup) -> u32 {
    let local_answer = local.answer(lookup);
    if local_answer != 0 {
        return local_answer;
    }
    let known_locally = match lookup {
        Lookup::ClassKind(name) | Lookup::ModelManager(name, _) | Lookup::ModelFieldCount(name) => {
            local.classes.contains_key(name)
        }
        _ => false,
    };
    if known_locally {
        // A local class may still inherit from a class declared elsewhere.
        let merged = global.answer(lookup);
        return merged.max(local_answer);
    }
    global.answer(lookup)
}

/// Whether a file checked with the recorded answers would see the same under `index`.
pub(crate) fn answers_still_hold(
    index: &ProjectIndex,
    facts: &FileFacts,
    recorded: &[(Lookup, u32)],
) -> bool {
    let local = ProjectIndex::build([facts]);
    recorded
        .iter()
        .all(|(lookup, answer)| answer_layered(&local, index, lookup) == *answer)
}
