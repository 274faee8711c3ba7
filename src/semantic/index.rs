//! The project-wide index: what the checked tree declares (models, their managers and
//! relations, QuerySet and Manager subclasses, views, commands, functions that return
//! querysets), built from the facts every file contributes.
//!
//! Classes come from every file's declarations (`facts.rs`), read before any file is
//! checked, so the class part of the index is complete and fixed for the whole run.
//! So are the custom QuerySet and Manager methods that return querysets, read off the
//! shapes of their returns (`returns.rs`). Which other functions and methods return
//! querysets is learnt while files are checked; every question a
//! file asks is recorded with its answer, and a file whose answers change when the
//! function part is rebuilt is checked again until nothing changes (see `lib.rs`).
//! Facts are ordered by module before they are indexed: the index, and so every answer,
//! is a function of the tree alone, whatever the order files were read in.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::cell::RefCell;

use crate::semantic::returns::{self, ReturnShape};

/// Facts one file contributes to the index.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct FileFacts {
    pub(crate) module: String,
    pub(crate) classes: Vec<ClassFact>,
    pub(crate) functions: Vec<FunctionFact>,
    /// What the process rules need from this file (settings, Celery configuration).
    pub(crate) process: crate::process::PythonFacts,
    /// Values stored into containers imported from other modules: (qualified name of
    /// the container, bytes the largest value costs), for DJM404's estimate.
    pub(crate) stores: Vec<(String, u32)>,
    /// Who refers to whom, read with the classes (`callgraph.rs`).
    #[serde(default)]
    pub(crate) graph: crate::semantic::callgraph::GraphFacts,
    /// Module-level decorators that memoise (`memoizers.rs`), read with the classes.
    #[serde(default)]
    pub(crate) memoizers: Vec<crate::semantic::memoizers::MemoizerFact>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct ClassFact {
    /// The module that declares it (filled in when the fact joins an index).
    pub(crate) module: String,
    pub(crate) name: String,
    /// Base classes, qualified through the file's imports where possible
    /// (`django.db.models.Model`, `shop.models.TimeStamped`), else as written.
    pub(crate) bases: Vec<String>,
    /// Class attributes bound to a call: (attribute, callee qualified or as written).
    pub(crate) attribute_calls: Vec<(String, String)>,
    /// Accessors this class contributes that give related managers on instances:
    /// ManyToManyField names, `related_name`s of ForeignKey and ManyToManyField fields.
    pub(crate) relation_accessors: Vec<String>,
    pub(crate) field_count: u32,
    /// Sets of fields whose values pick at most one row: `primary_key=True`,
    /// `unique=True` and `OneToOneField` fields, `Meta.unique_together`, and
    /// `UniqueConstraint(fields=[...])` without a `condition`.
    pub(crate) unique_keys: Vec<Vec<String>>,
    /// `ForeignKey`, `ParentalKey` and `ManyToManyField` fields: equality on one picks
    /// one parent's related rows.
    pub(crate) parent_keys: Vec<String>,
    /// The position (after `self`) of a capacity parameter of `__init__`
    /// (`maxsize`, `capacity`, ...): instances are caches with that bound.
    pub(crate) capacity_parameter: Option<u32>,
    /// Relation fields (`ForeignKey`, `OneToOneField`, `ParentalKey`, `ManyToManyField`,
    /// `GenericRelation`) with their target and `on_delete`: DJM205 follows forward keys
    /// from a row, DJM206 finds what a delete must collect.
    #[serde(default)]
    pub(crate) relation_fields: Vec<RelationField>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum RelationKind {
    ForeignKey,
    OneToOne,
    ManyToMany,
    Generic,
}

/// What `on_delete` says: whether deleting the target must visit this model's rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum OnDelete {
    /// `CASCADE`, `SET_NULL`, `SET_DEFAULT`, `SET(...)`: the collector loads the rows.
    Collects,
    /// `DO_NOTHING`, `PROTECT`, `RESTRICT`, or not read.
    Other,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct RelationField {
    pub(crate) name: String,
    /// The target model: qualified through the imports, or as written (`"Author"`,
    /// `"library.Author"`, `"self"`).
    pub(crate) target: String,
    pub(crate) kind: RelationKind,
    pub(crate) on_delete: OnDelete,
    /// `related_name`, when a string, as written (`+` hides the reverse accessor,
    /// `%(class)s` names one per concrete model: see `accessor_name`).
    pub(crate) related_name: Option<String>,
}

impl RelationField {
    /// The reverse accessor the relation gives its target, when the declaration says
    /// it: the `related_name`, else `default` (`<model>_set`, `<model>`). None when it
    /// hides it (`+`) or names it per concrete model (`%(class)s`), which is not read.
    pub(crate) fn accessor_name<'a>(&'a self, default: &'a str) -> Option<&'a str> {
        match self.related_name.as_deref() {
            Some(name) if name.ends_with('+') || name.contains('%') => None,
            Some(name) => Some(name),
            None => Some(default),
        }
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct FunctionFact {
    /// Enclosing class for methods.
    pub(crate) class: Option<String>,
    pub(crate) name: String,
    pub(crate) returns_queryset: bool,
    /// Some returned queryset prefetches relations (`prefetch_related`, readable or
    /// not): rows of what it returns may have their relations in the prefetch cache.
    pub(crate) returns_prefetch: bool,
    /// Every returned queryset loads a few rows (a slice, one row, one of Django's small
    /// tables): so does what a call returns.
    #[serde(default)]
    pub(crate) returns_few_rows: bool,
    /// For each positional parameter of a module-level function: whether the body only
    /// derives new queries from it (`.filter()`, `.iterator()`, `.count()`, ...) and
    /// never evaluates it (iterates, `len()`, a truth test, returns it, passes it on).
    pub(crate) derived_parameters: Vec<bool>,
    /// For each positional parameter (`self` included for methods): the attribute
    /// chains read through it (`author.name`), for DJM205 across one call.
    #[serde(default)]
    pub(crate) parameter_reads: Vec<Vec<String>>,
    /// Decorated `@property` or `@cached_property`: read as an attribute.
    #[serde(default)]
    pub(crate) property: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
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

/// A question a file asked the index. Class references are qualified (`shop.models.Book`)
/// when the file's imports say where the class comes from, bare (`Book`) otherwise.
/// Answers are small integers (bools, kinds, counts).
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub(crate) enum Lookup {
    ClassKind(String),
    ModelManager(String, String),
    ModelFieldCount(String),
    Relation(String),
    QuerysetMethod(String),
    Function(String, String),
    Method(String, String),
    /// 1 + the capacity parameter's position, 0 when the class takes none.
    Capacity(String),
    /// Bytes of the largest value other modules store into a module-level container.
    StoredValueBytes(String),
    /// Whether equality on these fields (sorted, comma-joined) picks at most one row
    /// of the model: 1 when one of its unique keys is among them.
    UniqueKey(String, String),
    /// Whether equality on these fields (sorted, comma-joined) picks at most one row of
    /// what the related manager (second) of an instance of the model (first, empty
    /// when not known) holds: 1 when every relation that accessor may be has a unique
    /// key among them and its own key field (`wishlist.lines.filter(product=p)` with
    /// `unique_together = ("wishlist", "product")`).
    UniqueThroughAccessor(String, String, String),
    /// Whether the model (or a model base) declares this field as a key to a parent
    /// (`ForeignKey`, `ManyToManyField`).
    ParentKey(String, String),
    /// What `attr` of an instance of the model loads (`row_relation`): 0 nothing known,
    /// else 1 + the relation kind, plus the related model's `name_hash` shifted by 2.
    RowRelation(String, String),
    /// Why deleting the model's rows needs Django's collector (`COLLECTS_*` bits).
    DeleteCollects(String),
    /// The attribute chains module function (module, name) reads through its positional
    /// parameter at this position: 0 none, else 1 + their `name_hash`.
    FunctionReads(String, String, u32),
    /// Those a method (class, method, own or inherited) reads through its parameter at
    /// this position (0 is `self`): 0 none, else 2 + their `name_hash` * 2 + property.
    MethodReads(String, String, u32),
    /// Whether the function (module, name) only derives queries from its positional
    /// parameter at this position: passing a queryset there does not evaluate it.
    ParameterDerived(String, String, u32),
    /// `module.qualname` runs in a batch job (the call graph).
    Batch(String),
    /// `module.qualname` only runs in one-shot processes (the call graph).
    OneShot(String),
    /// Bit i: every caller of module function `module.name` passes a constant as its
    /// i-th parameter (the call graph).
    BoundedParameters(String),
    /// 1 when the reference names classes of the tree (or of Django's own models) and
    /// none of them is a model: `cls`, `models.Schema` in a module that is not Django's.
    NotAModel(String),
    /// 1 when every model the reference may mean is one of Django's tables that hold a
    /// few rows in any project (`contrib::FEW_ROWS`).
    FewRows(String),
    /// A decorator (qualified) the tree declares as a memoiser: 0 not one, 1 one that
    /// evicts, 2 one that never does.
    Memoizer(String),
    /// 1 when a module other than the class's own refers to the class (qualified):
    /// it may make instances there (DJM403's singletons).
    ReferencedElsewhere(String),
}

/// What every `return` of a project function or method hands back, when each is a
/// queryset.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct ReturnedQueryset {
    /// Some returned queryset prefetches relations, readable or not.
    pub(crate) prefetch: bool,
    /// Every returned queryset loads a few rows (`QuerysetInfo::loads_few_rows`).
    pub(crate) few_rows: bool,
}

impl ReturnedQueryset {
    /// A lookup answer: 0 is "not always a queryset", so bit 0 is always set.
    fn encode(self) -> u32 {
        1 | (self.prefetch as u32) << 1 | (self.few_rows as u32) << 2
    }
    fn decode(answer: u32) -> Option<Self> {
        (answer != 0).then_some(Self {
            prefetch: answer & 2 != 0,
            few_rows: answer & 4 != 0,
        })
    }
}

/// Whether a method is a property, and the chains it reads through each parameter.
type MethodReads = (bool, Vec<Vec<String>>);

/// What the index knows of one module function declaration.
struct FunctionSummary {
    module: String,
    returns_queryset: bool,
    returns_prefetch: bool,
    returns_few_rows: bool,
    derived_parameters: Vec<bool>,
    parameter_reads: Vec<Vec<String>>,
}

/// The project index. Its class part (every field but the function tables) is a
/// function of what the files declare: the cache keeps it, and a run in which no file
/// declares anything else reuses it (`build_reusing`) instead of building it again.
#[derive(Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct ProjectIndex {
    classes: Vec<ClassFact>,
    by_name: HashMap<String, Vec<usize>>,
    /// The kind of each class in `classes`.
    kinds: Vec<ClassKind>,
    /// The project classes each class's bases may mean, in the order of its bases:
    /// resolved once, because every ancestor walk (kinds, the call graph's inherited
    /// methods, the user model) asks them again and again (a sixth of a one-file-changed
    /// run's CPU before). Empty until `resolve_kinds`.
    class_bases: Vec<Vec<usize>>,
    relations: HashSet<String>,
    /// Methods of QuerySet/Manager subclasses that return querysets -> whether one of
    /// them prefetches: read off the declarations (`returns::queryset_methods`), so
    /// the answer is known before any file is checked.
    queryset_methods: HashMap<String, bool>,
    /// function name -> its declarations
    #[serde(skip)]
    functions: HashMap<String, Vec<FunctionSummary>>,
    /// (qualified class, method) -> (returns a queryset, one returned queryset prefetches)
    #[serde(skip)]
    methods: HashMap<(String, String), (bool, bool, bool)>,
    /// (qualified class, method) -> (a property, the chains read through each parameter)
    #[serde(skip)]
    method_reads: HashMap<(String, String), MethodReads>,
    /// The first segments of the modules declaring classes: the project's packages.
    packages: HashSet<String>,
    /// container name -> (module, bytes of the largest value stored into it)
    #[serde(skip)]
    stores: HashMap<String, Vec<(String, u32)>>,
    /// Batch context and one-shot code, from every file's references.
    graph: crate::semantic::callgraph::CallGraph,
    /// The modules of Django's own models the index holds from `contrib.rs`.
    stubs: HashSet<String>,
    /// decorator name -> (module, evicts) for every memoising decorator declared.
    memoizers: HashMap<String, Vec<(String, bool)>>,
    /// Class-like name (capitalised last segment) -> (module part of the reference's
    /// target, module the reference is in), from every file's call graph references.
    class_references: HashMap<String, Vec<(String, String)>>,
    /// `user_model`, found once: it walks every class.
    #[serde(skip)]
    user_model: std::sync::OnceLock<Vec<usize>>,
    /// Model -> the reverse one-to-one accessors other models give it, with the model
    /// declaring the `OneToOneField`.
    reverse_one_to_one: HashMap<usize, Vec<(String, usize)>>,
    /// Model -> why deleting its rows needs Django's collector (`COLLECTS_*` bits).
    collects: HashMap<usize, u32>,
    /// Some `pre_delete`/`post_delete` receiver listens to every sender.
    any_sender_delete_receiver: bool,
}

/// Reverse one-to-one accessors, delete collection bits, any-sender delete receiver.
type Relations = (
    HashMap<usize, Vec<(String, usize)>>,
    HashMap<usize, u32>,
    bool,
);

/// Class-like names (a capitalised last segment) -> (module part of the reference's
/// target, module the reference is in), from every file's call graph references.
fn class_references<'a>(
    all: impl IntoIterator<Item = &'a FileFacts>,
) -> HashMap<String, Vec<(String, String)>> {
    let mut found: HashMap<String, Vec<(String, String)>> = HashMap::default();
    for facts in all {
        for reference in &facts.graph.references {
            let (module, name) = split_last(&reference.target);
            if !name.starts_with(|c: char| c.is_ascii_uppercase()) {
                continue;
            }
            // A file refers to a class from many functions: one pair says it does.
            let pairs = found.entry(name.to_string()).or_default();
            if pairs
                .last()
                .is_none_or(|(m, from)| m != module || *from != facts.module)
            {
                pairs.push((module.to_string(), facts.module.clone()));
            }
        }
    }
    found
}

/// Other models' keys to it with `CASCADE`/`SET_NULL`/`SET_DEFAULT`/`SET()`, or a
/// many-to-many relation (its through rows are collected).
pub(crate) const COLLECTS_DEPENDENTS: u32 = 1;
/// A `GenericRelation`: the tagged rows are collected.
pub(crate) const COLLECTS_GENERIC: u32 = 2;
/// `pre_delete`/`post_delete` receivers for this sender.
pub(crate) const COLLECTS_SIGNALS: u32 = 4;
/// `pre_delete`/`post_delete` receivers for every sender.
pub(crate) const COLLECTS_ANY_SIGNALS: u32 = 8;

/// What an attribute of a model instance is, when it loads one related row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RowRelation {
    ForeignKey,
    OneToOne,
    ReverseOneToOne,
}

/// A stable 30-bit hash (FNV-1a): answers that name a model record its hash, so a
/// changed target changes the recorded answer.
fn name_hash(text: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in text.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash & 0x3fff_ffff
}

/// How inference names the model `get_user_model()` and `settings.AUTH_USER_MODEL`
/// give (`user_model`); its last segment is what messages show.
pub(crate) const USER_MODEL: &str = "AUTH_USER_MODEL.User";

/// `shop.models` + `Book` -> `shop.models.Book`.
pub(crate) fn qualify(module: &str, name: &str) -> String {
    if module.is_empty() {
        name.to_string()
    } else {
        format!("{module}.{name}")
    }
}

/// The last dotted segment: `models.Model` -> `Model`.
pub(crate) fn last_segment(dotted: &str) -> &str {
    dotted.rsplit('.').next().unwrap_or(dotted)
}

/// A dotted name split before its last segment: `shop.models.Book` -> (`shop.models`,
/// `Book`); `Book` -> (``, `Book`).
pub(crate) fn split_last(dotted: &str) -> (&str, &str) {
    match dotted.rsplit_once('.') {
        Some((module, name)) => (module, name),
        None => ("", dotted),
    }
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
    /// The index of every file's facts: the classes (ordered by module, so the same
    /// tree gives the same index in any file order), then the functions.
    pub(crate) fn build<'a>(
        all: impl IntoIterator<Item = &'a FileFacts> + Clone + Send + Sync,
    ) -> ProjectIndex {
        Self::build_reusing(all, None, None)
    }

    /// Like `build`, from `saved` when it is known: an index whose class part was built
    /// from the same declarations (the cache's, when no file declares anything else
    /// now). Only its function tables are built, from `all`.
    ///
    /// `owned`, in `all`'s order, holds each file's classes when the caller took them
    /// out of the facts to hand them over: they move into the index rather than being
    /// copied (a cold run's classes, twice, were part of its peak memory).
    pub(crate) fn build_reusing<'a>(
        all: impl IntoIterator<Item = &'a FileFacts> + Clone + Send + Sync,
        saved: Option<ProjectIndex>,
        mut owned: Option<Vec<Vec<ClassFact>>>,
    ) -> ProjectIndex {
        if let Some(mut index) = saved {
            index.set_functions(all);
            return index;
        }
        let mut index = ProjectIndex::default();
        let mut by_module: Vec<(Option<usize>, &FileFacts)> = all
            .clone()
            .into_iter()
            .enumerate()
            .map(|(i, f)| (Some(i), f))
            .collect();
        // Django's own models, unless the tree is Django itself and declares them.
        let declared: HashSet<&str> = by_module.iter().map(|(_, f)| f.module.as_str()).collect();
        let stubs: Vec<&FileFacts> = crate::semantic::contrib::facts()
            .iter()
            .filter(|stub| !declared.contains(stub.module.as_str()))
            .collect();
        index.stubs = stubs.iter().map(|stub| stub.module.clone()).collect();
        by_module.extend(stubs.into_iter().map(|stub| (None, stub)));
        by_module.sort_by(|a, b| a.1.module.cmp(&b.1.module));
        for (i, facts) in by_module {
            let classes = match (i, owned.as_mut()) {
                (Some(i), Some(owned)) => std::mem::take(&mut owned[i]),
                _ => facts.classes.clone(),
            };
            for class in classes {
                index.push_class(&facts.module, class);
            }
        }
        index.resolve_kinds();
        index.queryset_methods = index.declared_queryset_methods(all.clone());
        for facts in all.clone() {
            for memoizer in &facts.memoizers {
                index
                    .memoizers
                    .entry(memoizer.name.clone())
                    .or_default()
                    .push((facts.module.clone(), memoizer.bounded));
            }
        }
        // Three independent reads of the classes and the facts, at once: the index is
        // built while every other thread waits for it.
        let (graph, (class_references, relations)) = rayon::join(
            || index.graph(all.clone()),
            || {
                rayon::join(
                    || class_references(all.clone()),
                    || index.relations(all.clone()),
                )
            },
        );
        index.graph = graph;
        index.class_references = class_references;
        (
            index.reverse_one_to_one,
            index.collects,
            index.any_sender_delete_receiver,
        ) = relations;
        index.set_functions(all);
        index
    }

    /// The QuerySet and Manager methods whose every return is a queryset, read off the
    /// shapes of their returns: the answers to `Lookup::QuerysetMethod`.
    fn declared_queryset_methods<'a>(
        &self,
        all: impl IntoIterator<Item = &'a FileFacts>,
    ) -> HashMap<String, bool> {
        let mut methods: Vec<(&str, &[ReturnShape])> = Vec::new();
        for facts in all {
            for function in &facts.graph.functions {
                let (Some(class), Some(shapes)) = (&function.class, &function.returns) else {
                    continue;
                };
                if matches!(
                    self.class_kind(&qualify(&facts.module, class)),
                    ClassKind::QuerySet | ClassKind::Manager
                ) {
                    methods.push((last_segment(&function.qualname), shapes));
                }
            }
        }
        returns::queryset_methods(&methods, &|class| {
            self.class_kind(class) == ClassKind::QuerySet
        })
    }

    /// The call graph, from every file's references (ordered by module, like classes).
    fn graph<'a>(
        &self,
        all: impl IntoIterator<Item = &'a FileFacts>,
    ) -> crate::semantic::callgraph::CallGraph {
        let mut files: Vec<(&str, &crate::semantic::callgraph::GraphFacts)> = all
            .into_iter()
            .map(|facts| (facts.module.as_str(), &facts.graph))
            .collect();
        files.sort_by(|a, b| a.0.cmp(b.0));
        let ancestors = |class: &str| {
            let mut found = Vec::new();
            self.with_ancestors(class, |id| {
                found.push(qualify(&self.classes[id].module, &self.classes[id].name));
                false
            });
            found
        };
        crate::semantic::callgraph::CallGraph::build(
            &files,
            &|class| self.class_kind(class),
            &ancestors,
        )
    }

    /// What relation fields point at: reverse one-to-one accessors, which models a
    /// delete must collect (dependents, generic relations, delete receivers), and
    /// whether a delete receiver listens to every sender.
    fn relations<'a>(&self, all: impl IntoIterator<Item = &'a FileFacts>) -> Relations {
        let mut any_sender_delete_receiver = false;
        let mut reverse: HashMap<usize, Vec<(String, usize)>> = HashMap::default();
        let mut collects: HashMap<usize, u32> = HashMap::default();
        for id in 0..self.classes.len() {
            if self.kinds[id] != ClassKind::Model {
                continue;
            }
            for field in &self.classes[id].relation_fields {
                let targets = self.relation_targets(&self.classes[id].module, id, &field.target);
                match field.kind {
                    RelationKind::ForeignKey | RelationKind::OneToOne => {
                        for &target in &targets {
                            if field.on_delete == OnDelete::Collects {
                                *collects.entry(target).or_default() |= COLLECTS_DEPENDENTS;
                            }
                            if field.kind == RelationKind::OneToOne {
                                let default = self.classes[id].name.to_lowercase();
                                // Hidden or per-model names keep the model's name, as
                                // before they were told apart: the answers stay as they were.
                                let accessor = field
                                    .accessor_name(&default)
                                    .unwrap_or(&default)
                                    .to_string();
                                reverse.entry(target).or_default().push((accessor, id));
                            }
                        }
                    }
                    RelationKind::ManyToMany => {
                        *collects.entry(id).or_default() |= COLLECTS_DEPENDENTS;
                        for &target in &targets {
                            *collects.entry(target).or_default() |= COLLECTS_DEPENDENTS;
                        }
                    }
                    RelationKind::Generic => *collects.entry(id).or_default() |= COLLECTS_GENERIC,
                }
            }
        }
        let mut files: Vec<&FileFacts> = all.into_iter().collect();
        files.sort_by(|a, b| a.module.cmp(&b.module));
        for facts in files {
            for sender in &facts.graph.delete_receivers {
                if sender == "*" {
                    any_sender_delete_receiver = true;
                    continue;
                }
                for target in self.relation_targets(&facts.module, usize::MAX, sender) {
                    *collects.entry(target).or_default() |= COLLECTS_SIGNALS;
                }
            }
        }
        (reverse, collects, any_sender_delete_receiver)
    }

    /// The models a relation's target (or a signal's sender) names, seen from `module`:
    /// `"self"` (the class `own`), a name, a dotted name, or a lazy `"app.Model"`.
    fn relation_targets(&self, module: &str, own: usize, target: &str) -> Vec<usize> {
        let ids = if target == "self" {
            if own == usize::MAX {
                Vec::new()
            } else {
                vec![own]
            }
        } else if target.is_empty() {
            Vec::new()
        } else if target.ends_with("AUTH_USER_MODEL") {
            // `ForeignKey(settings.AUTH_USER_MODEL)`: the project's user model.
            self.user_model()
        } else {
            let found = self.candidates(target, module);
            match target.rsplit_once('.') {
                // `"library.Author"`: an app label, then the model.
                Some((app, name)) if found.is_empty() => {
                    let label = last_segment(app);
                    self.by_name
                        .get(name)
                        .into_iter()
                        .flatten()
                        .copied()
                        .filter(|&id| self.classes[id].module.split('.').any(|p| p == label))
                        .collect()
                }
                _ => found,
            }
        };
        ids.into_iter()
            .filter(|&id| self.kinds[id] == ClassKind::Model)
            .collect()
    }

    /// The model declarations a model reference may mean.
    fn model_ids(&self, reference: &str) -> Vec<usize> {
        self.candidates(reference, "")
            .into_iter()
            .filter(|&id| self.kinds[id] == ClassKind::Model)
            .collect()
    }

    /// `attr` of an instance of `model`, when it loads one related row: a forward
    /// `ForeignKey`/`OneToOneField` (declared on the model or a model base) or a reverse
    /// one-to-one; with the related model, qualified, when every declaration agrees.
    pub(crate) fn row_relation(&self, model: &str, attr: &str) -> Option<(RowRelation, String)> {
        let models = self.model_ids(model);
        if models.is_empty() {
            return None;
        }
        let mut found: Option<(RowRelation, String)> = None;
        for model in models {
            let mut this = None;
            self.with_ancestors_of(vec![model], |id| {
                if self.kinds[id] != ClassKind::Model {
                    return false;
                }
                let fact = &self.classes[id];
                if let Some(field) = fact.relation_fields.iter().find(|f| {
                    f.name == attr
                        && matches!(f.kind, RelationKind::ForeignKey | RelationKind::OneToOne)
                }) {
                    let kind = if field.kind == RelationKind::OneToOne {
                        RowRelation::OneToOne
                    } else {
                        RowRelation::ForeignKey
                    };
                    let targets = self.relation_targets(&fact.module, id, &field.target);
                    let target = match targets.as_slice() {
                        [one] => qualify(&self.classes[*one].module, &self.classes[*one].name),
                        _ => String::new(),
                    };
                    this = Some((kind, target));
                    return true;
                }
                if let Some((_, source)) = self
                    .reverse_one_to_one
                    .get(&id)
                    .into_iter()
                    .flatten()
                    .find(|(accessor, _)| accessor == attr)
                {
                    let source = &self.classes[*source];
                    this = Some((
                        RowRelation::ReverseOneToOne,
                        qualify(&source.module, &source.name),
                    ));
                    return true;
                }
                false
            });
            let this = this?;
            found = Some(match found {
                None => this,
                Some((kind, target)) if target == this.1 => (kind, target),
                Some((kind, _)) => (kind, String::new()),
            });
        }
        found
    }

    /// The chains the one declaration of module function `name` reads through its
    /// parameter at `position`; none when several declarations may be meant.
    fn function_reads(
        &self,
        own: Option<&ProjectIndex>,
        module: &str,
        name: &str,
        position: usize,
    ) -> Vec<String> {
        match self
            .function_declarations_with(own, module, name)
            .as_slice()
        {
            [one] => one
                .parameter_reads
                .get(position)
                .cloned()
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Whether a method of `class` (or of a base) is a property, and the chains it reads
    /// through its parameter at `position`.
    fn method_reads(
        &self,
        own: Option<&ProjectIndex>,
        class: &str,
        method: &str,
        position: usize,
    ) -> Option<(bool, Vec<String>)> {
        let mut found = None;
        self.with_ancestors(class, |id| {
            let fact = &self.classes[id];
            let key = (qualify(&fact.module, &fact.name), method.to_string());
            let entry = own
                .and_then(|own| own.method_reads.get(&key))
                .or_else(|| self.method_reads.get(&key));
            match entry {
                Some((property, reads)) => {
                    found = Some((*property, reads.get(position).cloned().unwrap_or_default()));
                    true
                }
                None => false,
            }
        });
        found
    }

    /// Why deleting rows of `model` needs the collector (`COLLECTS_*` bits), 0 when
    /// some declaration it may mean can be fast-deleted.
    fn delete_collects(&self, model: &str) -> u32 {
        let models = self.model_ids(model);
        let mut bits = 0;
        for model in models {
            let mut own = 0;
            self.with_ancestors_of(vec![model], |id| {
                if self.kinds[id] == ClassKind::Model {
                    own |= self.collects.get(&id).copied().unwrap_or(0);
                }
                false
            });
            if self.any_sender_delete_receiver {
                own |= COLLECTS_ANY_SIGNALS;
            }
            if own == 0 {
                return 0;
            }
            bits |= own;
        }
        bits
    }

    /// Replaces what the index knows of functions (and of values stored into other
    /// modules' containers) with what `all` says; the classes stay. Every answer about
    /// functions is order-free (all/any/max), so no sort is needed here. Built on one
    /// thread: building the module functions and the methods on two took as long
    /// (25-37 ms against 29-34 ms a rebuild, bench corpus) and raised a cold run's peak
    /// by about 10 MiB.
    pub(crate) fn set_functions<'a>(&mut self, all: impl IntoIterator<Item = &'a FileFacts>) {
        self.functions.clear();
        self.methods.clear();
        self.method_reads.clear();
        self.stores.clear();
        for facts in all {
            self.add_functions(facts);
        }
    }

    /// Adds what one file's functions return and what it stores to the function tables,
    /// without clearing them: for files checked for the first time in a wave, before
    /// `set_functions` builds the tables again in file order.
    pub(crate) fn add_functions(&mut self, facts: &FileFacts) {
        self.add_stores(facts);
        for function in &facts.functions {
            self.add_function(&facts.module, function);
        }
    }

    fn add_stores(&mut self, facts: &FileFacts) {
        for (qualified, bytes) in &facts.stores {
            let (module, name) = split_last(qualified);
            self.stores
                .entry(name.to_string())
                .or_default()
                .push((module.to_string(), *bytes));
        }
    }

    fn push_class(&mut self, module: &str, mut class: ClassFact) {
        class.module = module.to_string();
        let top = module.split('.').next().unwrap_or(module);
        if !self.stubs.contains(module) && !self.packages.contains(top) {
            self.packages.insert(top.to_string());
        }
        self.by_name
            .entry(class.name.clone())
            .or_default()
            .push(self.classes.len());
        self.classes.push(class);
        self.kinds.push(ClassKind::Other);
    }

    fn add_function(&mut self, module: &str, function: &FunctionFact) {
        match &function.class {
            Some(class) => {
                let qualified = qualify(module, class);
                let entry = self
                    .methods
                    .entry((qualified.clone(), function.name.clone()))
                    .or_insert((true, false, true));
                entry.0 &= function.returns_queryset;
                entry.1 |= function.returns_prefetch;
                entry.2 &= function.returns_few_rows;
                if function
                    .parameter_reads
                    .iter()
                    .any(|reads| !reads.is_empty())
                {
                    self.method_reads.insert(
                        (qualified.clone(), function.name.clone()),
                        (function.property, function.parameter_reads.clone()),
                    );
                }
            }
            None => self
                .functions
                .entry(function.name.clone())
                .or_default()
                .push(FunctionSummary {
                    module: module.to_string(),
                    returns_queryset: function.returns_queryset,
                    returns_prefetch: function.returns_prefetch,
                    returns_few_rows: function.returns_few_rows,
                    derived_parameters: function.derived_parameters.clone(),
                    parameter_reads: function.parameter_reads.clone(),
                }),
        }
    }

    /// The declarations a reference can mean: a qualified reference those in a matching
    /// module; a bare one those in `from_module` if any, else every class of that name.
    fn candidates(&self, reference: &str, from_module: &str) -> Vec<usize> {
        if reference == USER_MODEL {
            return self.user_model();
        }
        let mut ids = self.candidates_as_written(reference, from_module);
        // Django's own declarations answer only references to Django's modules, or bare
        // names the project does not declare itself: a project's `models.User` or
        // `User` is the project's.
        if !self.stubs.is_empty() && !reference.starts_with("django.") {
            let is_stub = |id: &usize| self.stubs.contains(&self.classes[*id].module);
            if ids.iter().any(|id| !is_stub(id)) || reference.contains('.') {
                ids.retain(|id| !is_stub(id));
            }
        }
        ids
    }

    /// The model `settings.AUTH_USER_MODEL` names: the one project model built on
    /// Django's abstract users, else Django's `User`.
    fn user_model(&self) -> Vec<usize> {
        self.user_model
            .get_or_init(|| self.find_user_model())
            .clone()
    }

    fn find_user_model(&self) -> Vec<usize> {
        let abstract_users: Vec<usize> = ["AbstractUser", "AbstractBaseUser"]
            .iter()
            .flat_map(|name| self.by_name.get(*name).into_iter().flatten().copied())
            .filter(|&id| self.stubs.contains(&self.classes[id].module))
            .collect();
        let project_users: Vec<usize> = (0..self.classes.len())
            .filter(|&id| {
                self.kinds[id] == ClassKind::Model
                    && !self.stubs.contains(&self.classes[id].module)
                    && !self.classes[id].name.starts_with("Abstract")
                    && self.with_ancestors_of(vec![id], |a| a != id && abstract_users.contains(&a))
            })
            .collect();
        match project_users.as_slice() {
            [one] => vec![*one],
            [] => self.candidates_as_written("django.contrib.auth.models.User", ""),
            _ => Vec::new(),
        }
    }

    fn candidates_as_written(&self, reference: &str, from_module: &str) -> Vec<usize> {
        let name = last_segment(reference);
        let Some(ids) = self.by_name.get(name) else {
            return Vec::new();
        };
        let module = reference
            .strip_suffix(name)
            .map(|m| m.trim_end_matches('.'))
            .unwrap_or("");
        if !module.is_empty() {
            let defined_in = |id: &usize| self.classes[*id].module.as_str();
            let exact: Vec<usize> = ids
                .iter()
                .copied()
                .filter(|id| modules_match(module, defined_in(id)))
                .collect();
            if !exact.is_empty() {
                return exact;
            }
            // `from shop.models import Order` with Order in shop/models/orders.py,
            // re-exported by the package's __init__.
            let in_submodule: Vec<usize> = ids
                .iter()
                .copied()
                .filter(|id| {
                    let defined = defined_in(id);
                    let under = |prefix: &str| {
                        defined
                            .strip_prefix(prefix)
                            .is_some_and(|rest| rest.starts_with('.'))
                    };
                    under(module) || has_inner_segments(defined, module)
                })
                .collect();
            if !in_submodule.is_empty() {
                return in_submodule;
            }
            // Re-exported from elsewhere in the project: only a name the project declares
            // once is safe, and only when the reference names a package of the project
            // (`django.core.management.base.BaseCommand` is Django's, whatever the tree
            // declares under that name).
            let top = module.split('.').next().unwrap_or(module);
            return if ids.len() == 1 && self.packages.contains(top) {
                ids.clone()
            } else {
                Vec::new()
            };
        }
        let same_module: Vec<usize> = ids
            .iter()
            .copied()
            .filter(|&id| self.classes[id].module == from_module)
            .collect();
        if same_module.is_empty() {
            ids.clone()
        } else {
            same_module
        }
    }

    fn kind_of_candidates(&self, ids: &[usize]) -> ClassKind {
        ids.iter()
            .map(|&id| self.kinds[id])
            .find(|kind| *kind != ClassKind::Other)
            .unwrap_or(ClassKind::Other)
    }

    /// Kinds flow from bases to subclasses across files; iterate to a fixpoint. Which
    /// declarations a base names does not depend on kinds, so it is resolved once.
    fn resolve_kinds(&mut self) {
        enum Base {
            Project(Vec<usize>),
            External(ClassKind),
        }
        use rayon::prelude::*;
        let candidates: Vec<Vec<Vec<usize>>> = (0..self.classes.len())
            .into_par_iter()
            .map(|id| {
                let class = &self.classes[id];
                class
                    .bases
                    .iter()
                    .map(|base| self.candidates(base, &class.module))
                    .collect()
            })
            .collect();
        let bases: Vec<Vec<Base>> = candidates
            .iter()
            .enumerate()
            .map(|(id, of_bases)| {
                self.classes[id]
                    .bases
                    .iter()
                    .zip(of_bases)
                    .map(|(base, ids)| {
                        if base.contains("from_queryset(") {
                            return Base::External(ClassKind::Manager);
                        }
                        let ids: Vec<usize> =
                            ids.iter().copied().filter(|&other| other != id).collect();
                        if ids.is_empty() {
                            Base::External(external_base_kind(base))
                        } else {
                            Base::Project(ids)
                        }
                    })
                    .collect()
            })
            .collect();
        self.class_bases = candidates
            .into_iter()
            .map(|of_bases| of_bases.concat())
            .collect();
        // Django's own classes, when Django's source is part of the tree, are what
        // their names say (`django.core.management.base.BaseCommand` has no base that
        // makes it a command).
        let own_kinds: Vec<ClassKind> = self
            .classes
            .iter()
            .map(|class| {
                if class.module == "django" || class.module.starts_with("django.") {
                    external_base_kind(&qualify(&class.module, &class.name))
                } else {
                    ClassKind::Other
                }
            })
            .collect();
        for _ in 0..64 {
            let mut changed = false;
            for (id, class_bases) in bases.iter().enumerate() {
                // A model base decides, wherever it is listed: `class User(
                // RulesModelMixin, AbstractBaseUser)` is a model, whatever a mixin's
                // name suggests.
                let kinds = class_bases.iter().map(|base| match base {
                    Base::External(kind) => *kind,
                    Base::Project(ids) => self.kind_of_candidates(ids),
                });
                let kind = if kinds.clone().any(|kind| kind == ClassKind::Model) {
                    ClassKind::Model
                } else {
                    kinds
                        .clone()
                        .find(|kind| *kind != ClassKind::Other)
                        .unwrap_or(own_kinds[id])
                };
                if self.kinds[id] != kind {
                    self.kinds[id] = kind;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        self.relations = (0..self.classes.len())
            .filter(|&id| self.kinds[id] == ClassKind::Model)
            .flat_map(|id| self.classes[id].relation_accessors.iter().cloned())
            .collect();
    }

    fn class_kind(&self, reference: &str) -> ClassKind {
        let ids = self.candidates(reference, "");
        if ids.is_empty() {
            external_base_kind(reference)
        } else {
            self.kind_of_candidates(&ids)
        }
    }

    /// Visits the classes `reference` may mean and their project bases, nearest first,
    /// at most once each, until `visit` says stop.
    fn with_ancestors(&self, reference: &str, visit: impl FnMut(usize) -> bool) -> bool {
        self.with_ancestors_of(self.candidates(reference, ""), visit)
    }

    /// Like `with_ancestors`, from the given declarations.
    fn with_ancestors_of(
        &self,
        mut queue: Vec<usize>,
        mut visit: impl FnMut(usize) -> bool,
    ) -> bool {
        let mut seen = HashSet::default();
        while let Some(id) = queue.pop() {
            if !seen.insert(id) || seen.len() > 256 {
                continue;
            }
            if visit(id) {
                return true;
            }
            match self.class_bases.get(id) {
                Some(bases) => queue.extend(bases),
                None => {
                    let class = &self.classes[id];
                    for base in &class.bases {
                        queue.extend(self.candidates(base, &class.module));
                    }
                }
            }
        }
        false
    }

    /// The declarations of module function `name` that an import from `module` may mean.
    /// `function_declarations`, with those of `own` (one file's functions, not in this
    /// index yet) added.
    fn function_declarations_with<'s>(
        &'s self,
        own: Option<&'s ProjectIndex>,
        module: &str,
        name: &str,
    ) -> Vec<&'s FunctionSummary> {
        let mut found = self.function_declarations(module, name);
        if let Some(own) = own {
            found.extend(own.function_declarations(module, name));
        }
        found
    }

    fn function_declarations(&self, module: &str, name: &str) -> Vec<&FunctionSummary> {
        self.functions
            .get(name)
            .into_iter()
            .flatten()
            .filter(|summary| modules_match(module, &summary.module))
            .collect()
    }

    /// `Lookup::UniqueThroughAccessor`. The relations `accessor` may be on an instance
    /// of the project model `parent`: a `ForeignKey` whose reverse accessor it is (its
    /// `related_name`, else `<model>_set`), whose rows are its model's with the key
    /// field equal to the instance; a `ManyToManyField` of that name, whose rows are its
    /// target's; one whose reverse accessor it is, whose rows are its model's. Every one
    /// must have a unique key among `fields` (and the key field, for a `ForeignKey`),
    /// and one at least must exist. With `parent` not known nothing is claimed: the
    /// accessor may be a relation the index cannot see (an installed package's, a
    /// `GenericRelation`, a `default_related_name`), so is one row nowhere. Relations
    /// named per concrete model (`%(class)s`) or hidden (`+`) are never matched.
    fn unique_through_accessor(&self, parent: &str, accessor: &str, fields: &[&str]) -> bool {
        if parent.is_empty() {
            return false;
        }
        let mut parents: HashSet<usize> = HashSet::default();
        self.with_ancestors_of(self.model_ids(parent), |id| {
            parents.insert(id);
            false
        });
        if parents.is_empty() {
            return false;
        }
        let is_parent = |ids: &[usize]| ids.iter().any(|id| parents.contains(id));
        let unique = |id: usize, with: &[&str]| {
            self.with_ancestors_of(vec![id], |ancestor| {
                self.kinds[ancestor] == ClassKind::Model
                    && self.classes[ancestor]
                        .unique_keys
                        .iter()
                        .any(|key| key.iter().all(|f| with.contains(&f.as_str())))
            })
        };
        let mut found = false;
        for (id, class) in self.classes.iter().enumerate() {
            if self.kinds[id] != ClassKind::Model || class.relation_fields.is_empty() {
                continue;
            }
            let default = format!("{}_set", class.name.to_ascii_lowercase());
            for field in &class.relation_fields {
                // With no reverse accessor (or one not read), only the forward one of a
                // ManyToManyField can be what `accessor` names.
                let reverse = field.accessor_name(&default).unwrap_or("");
                let holds = match field.kind {
                    RelationKind::ForeignKey if reverse == accessor => {
                        let targets = self.relation_targets(&class.module, id, &field.target);
                        if !is_parent(&targets) {
                            continue;
                        }
                        let mut with = fields.to_vec();
                        with.push(field.name.as_str());
                        unique(id, &with)
                    }
                    RelationKind::ManyToMany if field.name == accessor => {
                        if !is_parent(&[id]) {
                            continue;
                        }
                        let targets = self.relation_targets(&class.module, id, &field.target);
                        !targets.is_empty() && targets.iter().all(|&t| unique(t, fields))
                    }
                    RelationKind::ManyToMany if reverse == accessor => {
                        let targets = self.relation_targets(&class.module, id, &field.target);
                        if !is_parent(&targets) {
                            continue;
                        }
                        unique(id, fields)
                    }
                    _ => continue,
                };
                if !holds {
                    return false;
                }
                found = true;
            }
        }
        found
    }

    /// Whether every model declaration `reference` may mean has, itself or in a model
    /// base, a class for which `declares` holds (false when it means no model).
    fn every_model_declares(&self, reference: &str, declares: impl Fn(&ClassFact) -> bool) -> bool {
        let models: Vec<usize> = self
            .candidates(reference, "")
            .into_iter()
            .filter(|&id| self.kinds[id] == ClassKind::Model)
            .collect();
        !models.is_empty()
            && models.iter().all(|&model| {
                self.with_ancestors_of(vec![model], |id| {
                    self.kinds[id] == ClassKind::Model && declares(&self.classes[id])
                })
            })
    }

    /// Like `with_ancestors`, for the model declarations only.
    fn with_model_ancestors(
        &self,
        reference: &str,
        mut visit: impl FnMut(&ClassFact) -> bool,
    ) -> bool {
        self.with_ancestors(reference, |id| {
            self.kinds[id] == ClassKind::Model && visit(&self.classes[id])
        })
    }

    fn is_manager_callee(&self, callee: &str, module: &str) -> bool {
        if callee.ends_with(".as_manager") || callee.contains("from_queryset(") {
            return true;
        }
        let ids = self.candidates(callee, module);
        if ids.is_empty() {
            external_base_kind(callee) == ClassKind::Manager
        } else {
            self.kind_of_candidates(&ids) == ClassKind::Manager
        }
    }

    /// The answer this index gives to `lookup`, with `own` (the function tables of one
    /// file not in it yet) added when given.
    fn answer_with(&self, lookup: &Lookup, own: Option<&ProjectIndex>) -> u32 {
        match lookup {
            Lookup::ClassKind(name) => self.class_kind(name) as u32,
            Lookup::ModelManager(model, attr) => self.with_model_ancestors(model, |class| {
                class.attribute_calls.iter().any(|(name, callee)| {
                    name == attr && self.is_manager_callee(callee, &class.module)
                })
            }) as u32,
            Lookup::ModelFieldCount(model) => {
                // Two models of one name in two apps stay two models: when the reference
                // does not say which, no count is better than their sum.
                let models: Vec<usize> = self
                    .candidates(model, "")
                    .into_iter()
                    .filter(|&id| self.kinds[id] == ClassKind::Model)
                    .collect();
                let [model] = models.as_slice() else {
                    return 0;
                };
                let mut count = 0;
                self.with_ancestors_of(vec![*model], |id| {
                    if self.kinds[id] == ClassKind::Model {
                        count += self.classes[id].field_count;
                    }
                    false
                });
                count
            }
            Lookup::Relation(name) => self.relations.contains(name) as u32,
            Lookup::UniqueKey(model, fields) => {
                let fields: Vec<&str> = fields.split(',').collect();
                self.every_model_declares(model, |class| {
                    class
                        .unique_keys
                        .iter()
                        .any(|key| key.iter().all(|f| fields.contains(&f.as_str())))
                }) as u32
            }
            Lookup::UniqueThroughAccessor(parent, accessor, fields) => {
                let fields: Vec<&str> = fields.split(',').collect();
                self.unique_through_accessor(parent, accessor, &fields) as u32
            }
            Lookup::RowRelation(model, attr) => match self.row_relation(model, attr) {
                None => 0,
                Some((kind, target)) => {
                    let kind = match kind {
                        RowRelation::ForeignKey => 1,
                        RowRelation::OneToOne => 2,
                        RowRelation::ReverseOneToOne => 3,
                    };
                    kind | name_hash(&target) << 2
                }
            },
            Lookup::DeleteCollects(model) => self.delete_collects(model),
            Lookup::FunctionReads(module, name, position) => {
                let reads = self.function_reads(own, module, name, *position as usize);
                if reads.is_empty() {
                    0
                } else {
                    1 + name_hash(&reads.join(" "))
                }
            }
            Lookup::MethodReads(class, method, position) => {
                match self.method_reads(own, class, method, *position as usize) {
                    Some((property, reads)) if !reads.is_empty() => {
                        2 + name_hash(&reads.join(" ")) * 2 + u32::from(property)
                    }
                    _ => 0,
                }
            }
            Lookup::ParentKey(model, field) => self
                .every_model_declares(model, |class| class.parent_keys.iter().any(|f| f == field))
                as u32,
            Lookup::StoredValueBytes(qualified) => {
                let (module, name) = split_last(qualified);
                self.stores
                    .get(name)
                    .into_iter()
                    .chain(own.and_then(|own| own.stores.get(name)))
                    .flatten()
                    .filter(|(stored_in, _)| modules_match(stored_in, module))
                    .map(|(_, bytes)| *bytes)
                    .max()
                    .unwrap_or(0)
            }
            Lookup::QuerysetMethod(name) => match self.queryset_methods.get(name) {
                None => 0,
                Some(false) => 1,
                Some(true) => 2,
            },
            Lookup::NotAModel(reference) => {
                let ids = self.candidates(reference, "");
                (!ids.is_empty() && ids.iter().all(|&id| self.kinds[id] != ClassKind::Model)) as u32
            }
            Lookup::FewRows(reference) => {
                let ids = self.candidates(reference, "");
                (!ids.is_empty()
                    && ids.iter().all(|&id| {
                        let class = &self.classes[id];
                        self.stubs.contains(&class.module)
                            && crate::semantic::contrib::FEW_ROWS
                                .contains(&qualify(&class.module, &class.name).as_str())
                    })) as u32
            }
            Lookup::Memoizer(qualified) => {
                let (module, name) = split_last(qualified);
                let declared: Vec<bool> = self
                    .memoizers
                    .get(name)
                    .into_iter()
                    .flatten()
                    .filter(|(defined, _)| !module.is_empty() && modules_match(module, defined))
                    .map(|(_, bounded)| *bounded)
                    .collect();
                match declared.as_slice() {
                    [] => 0,
                    found if found.iter().any(|bounded| *bounded) => 1,
                    _ => 2,
                }
            }
            Lookup::ReferencedElsewhere(qualified) => {
                let (module, name) = split_last(qualified);
                self.class_references
                    .get(name)
                    .into_iter()
                    .flatten()
                    .any(|(target, from)| from != module && modules_match(target, module))
                    as u32
            }
            Lookup::Batch(key) => self.graph.is_batch(key) as u32,
            Lookup::OneShot(key) => self.graph.is_one_shot(key) as u32,
            Lookup::BoundedParameters(key) => self.graph.bounded_parameters(key),
            Lookup::Function(module, name) => {
                let matched = self.function_declarations_with(own, module, name);
                if matched.is_empty() || !matched.iter().all(|summary| summary.returns_queryset) {
                    0
                } else {
                    let prefetch = matched.iter().any(|summary| summary.returns_prefetch);
                    let few_rows = matched.iter().all(|summary| summary.returns_few_rows);
                    ReturnedQueryset { prefetch, few_rows }.encode()
                }
            }
            Lookup::ParameterDerived(module, name, position) => {
                let matched = self.function_declarations_with(own, module, name);
                (!matched.is_empty()
                    && matched.iter().all(|summary| {
                        let derived = summary.derived_parameters.get(*position as usize);
                        derived.copied().unwrap_or(false)
                    })) as u32
            }
            Lookup::Capacity(class) => {
                let mut position = 0;
                self.with_ancestors(class, |id| match self.classes[id].capacity_parameter {
                    Some(p) => {
                        position = p + 1;
                        true
                    }
                    None => false,
                });
                position
            }
            Lookup::Method(class, method) => {
                let mut answer = 0;
                self.with_ancestors(class, |id| {
                    let fact = &self.classes[id];
                    let key = (qualify(&fact.module, &fact.name), method.clone());
                    let entry = match (
                        self.methods.get(&key),
                        own.and_then(|own| own.methods.get(&key)),
                    ) {
                        (Some(a), Some(b)) => Some((a.0 && b.0, a.1 || b.1, a.2 && b.2)),
                        (a, b) => a.or(b).copied(),
                    };
                    match entry {
                        Some((true, prefetch, few_rows)) => {
                            answer = ReturnedQueryset { prefetch, few_rows }.encode();
                            true
                        }
                        _ => false,
                    }
                });
                answer
            }
        }
    }
}

/// `from shop.services import f` names module `shop.services`; the tree may have been
/// checked from inside or outside the top package, so either may be a dotted suffix
/// of the other.
pub(crate) fn modules_match(imported: &str, defined: &str) -> bool {
    fn is_suffix(long: &str, short: &str) -> bool {
        long == short
            || long
                .strip_suffix(short)
                .is_some_and(|head| head.ends_with('.'))
    }
    is_suffix(imported, defined) || is_suffix(defined, imported)
}

/// Whether `module`'s dotted segments occur inside `defined`, between two dots
/// (`shop.models` in `apps.shop.models.orders`). Checked at each dot rather than with
/// a substring search: a search builds a searcher per call, and this runs for every
/// declaration of a common class name (`Meta`, `Migration`) the index is asked about.
fn has_inner_segments(defined: &str, module: &str) -> bool {
    let bytes = defined.as_bytes();
    bytes.iter().enumerate().any(|(dot, &byte)| {
        let at = dot + 1;
        byte == b'.'
            && defined[at..].starts_with(module)
            && bytes.get(at + module.len()) == Some(&b'.')
    })
}

/// What one file sees while it is checked: the project index, with every answer
/// recorded, and the function facts the file contributes.
pub(crate) struct IndexView<'a> {
    global: &'a ProjectIndex,
    /// This file's own functions, learnt by a first walk, when the index holds none of
    /// them yet (`with_own`).
    own: Option<&'a ProjectIndex>,
    local_facts: FileFacts,
    recorded: RefCell<HashMap<Lookup, u32>>,
}

impl<'a> IndexView<'a> {
    pub(crate) fn new(global: &'a ProjectIndex, module: String) -> Self {
        IndexView {
            global,
            own: None,
            local_facts: FileFacts {
                module,
                ..FileFacts::default()
            },
            recorded: RefCell::new(HashMap::default()),
        }
    }

    /// A view whose answers about functions count `own` (the function tables of this
    /// file's own functions, from a first walk) as if the index held them: a call of a
    /// function declared further down the file is answered on the second walk.
    pub(crate) fn with_own(self, own: Option<&'a ProjectIndex>) -> Self {
        IndexView { own, ..self }
    }

    pub(crate) fn module(&self) -> &str {
        &self.local_facts.module
    }

    /// Records what a function of this file returns. The answer other code gets comes
    /// from the index, or from this file's previous whole walk (`with_own`), never from
    /// this walk so far: that keeps answers independent of where in the file a question
    /// is asked.
    pub(crate) fn add_function(&mut self, function: FunctionFact) {
        self.local_facts.functions.push(function);
    }

    /// The facts this file contributes (classes excepted: they come from its
    /// declarations) and every question it asked, with the answer it got, sorted.
    pub(crate) fn into_facts(self) -> (FileFacts, Vec<(Lookup, u32)>) {
        let mut recorded: Vec<(Lookup, u32)> = self.recorded.into_inner().into_iter().collect();
        recorded.sort_unstable();
        (self.local_facts, recorded)
    }

    fn ask(&self, lookup: Lookup) -> u32 {
        if let Some(answer) = self.recorded.borrow().get(&lookup) {
            return *answer;
        }
        let answer = self.global.answer_with(&lookup, self.own);
        self.recorded.borrow_mut().insert(lookup, answer);
        answer
    }
    pub(crate) fn class_kind(&self, name: &str) -> ClassKind {
        ClassKind::from_u32(self.ask(Lookup::ClassKind(name.to_string())))
    }
    /// Whether the reference names classes the index knows, none of them a model.
    pub(crate) fn is_not_a_model(&self, reference: &str) -> bool {
        self.ask(Lookup::NotAModel(reference.to_string())) != 0
    }
    /// Whether the reference is one of Django's tables that hold a few rows.
    pub(crate) fn has_few_rows(&self, reference: &str) -> bool {
        self.ask(Lookup::FewRows(reference.to_string())) != 0
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
    /// Whether `field` of `model` is a key to a parent (`ForeignKey`, `ManyToManyField`).
    pub(crate) fn is_parent_key(&self, model: &str, field: &str) -> bool {
        self.ask(Lookup::ParentKey(model.to_string(), field.to_string())) != 0
    }
    /// Whether equality on `fields` (sorted) picks at most one row of `model`.
    pub(crate) fn is_unique_key(&self, model: &str, fields: &[String]) -> bool {
        self.ask(Lookup::UniqueKey(model.to_string(), fields.join(","))) != 0
    }
    /// Whether equality on `fields` (sorted) picks at most one row of the related
    /// manager `accessor` of an instance of `parent` (empty: model not known).
    pub(crate) fn is_unique_through_accessor(
        &self,
        parent: &str,
        accessor: &str,
        fields: &[String],
    ) -> bool {
        let lookup = Lookup::UniqueThroughAccessor(
            parent.to_string(),
            accessor.to_string(),
            fields.join(","),
        );
        self.ask(lookup) != 0
    }
    /// `attr` of an instance of `model`, when it loads one related row, with the related
    /// model (empty when not known for sure).
    pub(crate) fn row_relation(&self, model: &str, attr: &str) -> Option<(RowRelation, String)> {
        let lookup = Lookup::RowRelation(model.to_string(), attr.to_string());
        if self.ask(lookup) == 0 {
            return None;
        }
        self.global.row_relation(model, attr)
    }
    /// The attribute chains module function (module, name) reads through its
    /// positional parameter at `position`.
    pub(crate) fn function_reads(&self, module: &str, name: &str, position: usize) -> Vec<String> {
        let lookup = Lookup::FunctionReads(module.to_string(), name.to_string(), position as u32);
        if self.ask(lookup) == 0 {
            return Vec::new();
        }
        self.global.function_reads(self.own, module, name, position)
    }
    /// Whether a method of `class` is a property, and the attribute chains it reads
    /// through its parameter at `position` (0 is `self`); None when it reads none.
    pub(crate) fn method_reads(
        &self,
        class: &str,
        method: &str,
        position: usize,
    ) -> Option<(bool, Vec<String>)> {
        let lookup = Lookup::MethodReads(class.to_string(), method.to_string(), position as u32);
        if self.ask(lookup) == 0 {
            return None;
        }
        self.global.method_reads(self.own, class, method, position)
    }
    /// Why deleting rows of `model` needs Django's collector (`COLLECTS_*` bits).
    pub(crate) fn delete_collects(&self, model: &str) -> u32 {
        self.ask(Lookup::DeleteCollects(model.to_string()))
    }
    pub(crate) fn is_queryset_method(&self, name: &str) -> bool {
        self.ask(Lookup::QuerysetMethod(name.to_string())) != 0
    }
    /// A custom queryset method one of whose declarations prefetches.
    pub(crate) fn queryset_method_prefetches(&self, name: &str) -> bool {
        self.ask(Lookup::QuerysetMethod(name.to_string())) == 2
    }
    /// What a project function returns: None when not always a queryset.
    pub(crate) fn function_queryset(&self, module: &str, name: &str) -> Option<ReturnedQueryset> {
        ReturnedQueryset::decode(self.ask(Lookup::Function(module.to_string(), name.to_string())))
    }
    /// Bytes of the largest value other modules store into this module-level container.
    pub(crate) fn stored_value_bytes(&self, qualified: &str) -> u32 {
        self.ask(Lookup::StoredValueBytes(qualified.to_string()))
    }

    /// Records a store into a container imported from another module.
    pub(crate) fn add_store(&mut self, qualified: String, bytes: u32) {
        self.local_facts.stores.push((qualified, bytes));
    }

    /// The constructor position of a project cache class's capacity parameter.
    pub(crate) fn capacity_parameter(&self, class: &str) -> Option<usize> {
        match self.ask(Lookup::Capacity(class.to_string())) {
            0 => None,
            position => Some(position as usize - 1),
        }
    }
    /// Whether passing a queryset as positional argument `position` of the project
    /// function (module, name) leaves it unevaluated.
    pub(crate) fn function_only_derives(&self, module: &str, name: &str, position: usize) -> bool {
        self.ask(Lookup::ParameterDerived(
            module.to_string(),
            name.to_string(),
            position as u32,
        )) != 0
    }
    /// What a project method returns: None when not always a queryset.
    pub(crate) fn method_queryset(&self, class: &str, method: &str) -> Option<ReturnedQueryset> {
        ReturnedQueryset::decode(self.ask(Lookup::Method(class.to_string(), method.to_string())))
    }
    /// Whether `qualname` (`f`, `C.m`, `outer.inner`) of this module runs in a batch job.
    pub(crate) fn is_batch(&self, qualname: &str) -> bool {
        let key = qualify(self.module(), qualname);
        self.ask(Lookup::Batch(key)) != 0
    }
    /// Bit i: every caller of this module's function `name` passes a constant as its
    /// i-th parameter.
    pub(crate) fn bounded_parameters(&self, name: &str) -> u32 {
        let key = qualify(self.module(), name);
        self.ask(Lookup::BoundedParameters(key))
    }
    /// Whether `qualname` of this module only runs in one-shot processes.
    /// Whether the decorator (qualified) is a project memoiser: Some(evicts) when it is.
    pub(crate) fn memoizer(&self, qualified: &str) -> Option<bool> {
        match self.ask(Lookup::Memoizer(qualified.to_string())) {
            0 => None,
            1 => Some(true),
            _ => Some(false),
        }
    }

    /// Whether another module than the class's own refers to the class (qualified).
    pub(crate) fn referenced_elsewhere(&self, qualified: &str) -> bool {
        self.ask(Lookup::ReferencedElsewhere(qualified.to_string())) != 0
    }

    pub(crate) fn is_one_shot(&self, qualname: &str) -> bool {
        let key = qualify(self.module(), qualname);
        self.ask(Lookup::OneShot(key)) != 0
    }
}

impl Lookup {
    /// Whether the answer can change while the index settles: questions about classes
    /// are answered by declarations, fixed for the whole run; those about functions
    /// (and stored values) are learnt as files are checked.
    pub(crate) fn about_functions(&self) -> bool {
        matches!(
            self,
            Lookup::Function(..)
                | Lookup::ParameterDerived(..)
                | Lookup::FunctionReads(..)
                | Lookup::MethodReads(..)
                | Lookup::Method(..)
                | Lookup::StoredValueBytes(_)
        )
    }
}

/// The function tables of one file's facts alone, to answer with (`answer_with`).
pub(crate) fn own_functions(facts: &FileFacts) -> ProjectIndex {
    let mut own = ProjectIndex::default();
    own.add_functions(facts);
    own
}

/// Whether a file checked with the recorded answers would see the same under `index`.
pub(crate) fn answers_still_hold(index: &ProjectIndex, recorded: &[(Lookup, u32)]) -> bool {
    answers_hold_where(index, None, recorded, |_| true)
}

/// `answers_still_hold`, asking again only the questions `which` selects, of `index`
/// with `own` (one file's function tables, not in it yet) added.
pub(crate) fn answers_hold_where(
    index: &ProjectIndex,
    own: Option<&ProjectIndex>,
    recorded: &[(Lookup, u32)],
    which: impl Fn(&Lookup) -> bool,
) -> bool {
    recorded
        .iter()
        .filter(|(lookup, _)| which(lookup))
        .all(|(lookup, answer)| {
            let now = index.answer_with(lookup, own);
            // Stale answers of a settling round, not of a file's walks of its own.
            if now != *answer && own.is_none() && std::env::var_os("DORMLINT_DEBUG_STALE").is_some()
            {
                eprintln!("stale {lookup:?}: {answer} -> {now}");
            }
            now == *answer
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_segments_sit_between_dots() {
        assert!(has_inner_segments("apps.shop.models.orders", "shop.models"));
        assert!(!has_inner_segments("shop.models.orders", "shop.models"));
        assert!(!has_inner_segments("apps.shop.models", "shop.models"));
        assert!(!has_inner_segments("apps.myshop.models.x", "shop.models"));
        assert!(!has_inner_segments("apps.shop.modelsx.y", "shop.models"));
    }
}
