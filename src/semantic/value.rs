//! What an expression is known to be, as far as the rules care.

/// A queryset, or a manager that produces one, and what is known about its chain.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct QuerysetInfo {
    /// The model when the chain starts at `Model.<manager>`.
    pub(crate) model: Option<String>,
    /// Lookups named in `prefetch_related(...)`, whole (`books`, `books__pages`); for a
    /// related manager served from a prefetch, the rest of the lookups through it.
    pub(crate) prefetch: Vec<String>,
    /// Prefetches lookups dormlint cannot read (`prefetch_related(*LOOKUPS)`, a project
    /// function or method that prefetches): any relation of its rows may be cached.
    pub(crate) prefetch_unknown: bool,
    /// Sliced with an upper bound (`qs[:100]`, `qs[i:i + 1000]`).
    pub(crate) bounded: bool,
    /// `.values()` / `.values_list()` yield dicts and tuples, not model instances.
    pub(crate) yields_values: bool,
    /// `obj.rel.all()` served from the prefetch cache: no query, no new rows.
    pub(crate) prefetched: bool,
    /// For `.iterator(...)`: whether `chunk_size=` was given.
    pub(crate) chunk_size: bool,
    /// Rooted at a related manager (`obj.rel...`): as many rows as one object's relation.
    pub(crate) related: bool,
    /// `obj.rel.all()` on an object handed in from elsewhere: the caller may have
    /// prefetched the relation (and the relations of its rows).
    pub(crate) caller_may_prefetch: bool,
    /// Rooted at a relation of an object this code did not fetch (a parameter, `self`,
    /// an attribute): whatever the chain does after, the rows are that one object's.
    pub(crate) of_object_handed_in: bool,
    /// Filtered with `field__in=<list in memory>`: bounded by that list (batching).
    pub(crate) batch_bounded: bool,
    /// `.only()` / `.defer()`: not every field is loaded.
    pub(crate) narrowed: bool,
    /// Fields the chain's `filter()` calls compare for equality (`code=c`,
    /// `code__exact=c`, `author_id=a`), sorted.
    pub(crate) filtered_on: Vec<String>,
    /// At most one row: filtered on the primary key or on a unique key of the model.
    pub(crate) single_row: bool,
    /// Rooted at the related manager `accessor` of an instance (`wishlist.lines`): the
    /// instance's model when known (else empty), and the accessor. The rows are those
    /// of the related model whose key is that instance, so a filter on the rest of a
    /// unique key picks one (`unique_together = ("wishlist", "product")`).
    pub(crate) accessor: Option<(String, String)>,
    /// A few rows by nature: one of Django's tables that hold a few rows in any project
    /// (content types, permissions, groups, sites: `contrib::FEW_ROWS`), superusers
    /// (`filter(is_superuser=True)`), or a form
    /// field's choices (`form.fields["x"].queryset`), each rendered as an `<option>`.
    pub(crate) few_rows: bool,
    /// `.none()`: no rows at all. A branch that binds it says nothing about the rows
    /// the other branches' queryset yields when the name is used after the `if`.
    pub(crate) empty: bool,
    /// The rows an admin action is handed (`def export(self, request, queryset)`): the
    /// selection, which "select all" makes every row of the table.
    pub(crate) admin_selection: bool,
    /// Lookups named in `select_related(...)`, whole (`author__publisher`).
    pub(crate) select_related: Vec<String>,
    /// Every forward relation a row reads is loaded with it: `select_related()` with no
    /// argument (every non-null key), lookups not read, or `fetch_mode(...)` (Django 6.1:
    /// `FETCH_PEERS` loads a relation for every row at the first access).
    pub(crate) select_all: bool,
    /// `.select_for_update(...)`: a locking read. Taken once per row, in its own
    /// transaction, it is how a worker claims one row at a time (`skip_locked=True`
    /// job queues, re-reading a row under lock to guard a race); one query for all
    /// rows would hold every lock for the whole batch.
    pub(crate) locks_rows: bool,
    /// The fields the last `.values(...)`/`.values_list(...)` names, when all are
    /// string literals; empty for every field or fields not known.
    pub(crate) values_fields: Vec<String>,
}

impl QuerysetInfo {
    /// A bounded slice or at most one row: evaluating it loads a few rows, so asking it
    /// a small question through its result cache costs nothing worth a finding.
    pub(crate) fn loads_few_rows(&self) -> bool {
        self.bounded || self.single_row || self.few_rows || self.empty
    }

    /// Evaluating it may load a table's worth of rows: not a bounded slice, one row, a
    /// batch picked by `pk__in=<list>`, a prefetched relation, or one parent's related
    /// rows (a handful in practice, notes/precision.md).
    pub(crate) fn may_load_many_rows(&self) -> bool {
        !(self.loads_few_rows() || self.batch_bounded || self.prefetched || self.related)
    }
}

/// One model row, e.g. from `.get()` or a loop over a queryset.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct InstanceInfo {
    pub(crate) model: Option<String>,
    pub(crate) prefetch: Vec<String>,
    /// The loop variable of a loop over a queryset.
    pub(crate) loop_variable: bool,
    /// A row of a relation the caller may have prefetched: its own relations may be too.
    pub(crate) caller_may_prefetch: bool,
    /// Reached through a prefetch lookup by an attribute the index does not know as a
    /// relation (`order.positions` with `prefetch_related("positions__answers")`): a
    /// forward key's row, or a related manager served from the cache.
    pub(crate) through_prefetch: bool,
    /// The queryset's `select_related` lookups and whether it loads every relation
    /// (`QuerysetInfo::select_all`).
    pub(crate) select_related: Vec<String>,
    pub(crate) select_all: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) enum Value {
    #[default]
    Unknown,
    Queryset(QuerysetInfo),
    /// `Model.objects`, a custom manager, or a related manager (`author.books`).
    Manager(QuerysetInfo),
    /// `qs.iterator(...)`: rows streamed, no result cache.
    Iterator(QuerysetInfo),
    Instance(InstanceInfo),
    /// A model class: a capitalised name, `apps.get_model(...)`, `get_user_model()`,
    /// `type(self)` in a model method, a signal receiver's `sender`, a loop variable over
    /// `apps.get_models()`.
    ModelClass(Option<String>),
    /// `self` in a method of the named class.
    SelfRef(String),
    /// `super()`.
    Super,
    /// `import a.b as c` binds c to module `a.b`.
    Module(String),
    /// `from m import n` binds n to `m.n`.
    Imported {
        module: String,
        name: String,
    },
    /// A function defined in this file.
    Function(String),
    /// A class defined in this file.
    Class(String),
    /// `Prefetch("books", queryset=...)`: the lookups it prefetches, whole
    /// (`books`, and `books__pages` when its queryset prefetches `pages`).
    Prefetch(Vec<String>),
    /// A module- or class-level container or cache (an index into the checker's table).
    Container(usize),
    /// A list or tuple holding every row of a queryset, in memory: `list(qs)`,
    /// `tuple(qs)`, `[x for x in qs]`. `yields_values` when its items are not the
    /// model instances (`.values()` rows, `[b.title for b in qs]`).
    Rows(QuerysetInfo),
}

impl Value {
    pub(crate) fn queryset(&self) -> Option<&QuerysetInfo> {
        match self {
            Value::Queryset(info) => Some(info),
            _ => None,
        }
    }

    /// A queryset or a manager: something a query method can be called on.
    pub(crate) fn query_source(&self) -> Option<&QuerysetInfo> {
        match self {
            Value::Queryset(info) | Value::Manager(info) => Some(info),
            _ => None,
        }
    }
}

/// Methods that return a new queryset (rules.md §0.1).
pub(crate) const QUERYSET_METHODS: &[&str] = &[
    "all",
    "filter",
    "exclude",
    "order_by",
    "reverse",
    "distinct",
    "values",
    "values_list",
    "dates",
    "datetimes",
    "none",
    "union",
    "intersection",
    "difference",
    "select_related",
    "prefetch_related",
    "extra",
    "annotate",
    "alias",
    "defer",
    "only",
    "using",
    "select_for_update",
    "complex_filter",
    // Django 6.1: how related objects are fetched, a new queryset like any other.
    "fetch_mode",
];

/// Methods that return one model instance.
pub(crate) const INSTANCE_METHODS: &[&str] = &[
    "get",
    "first",
    "last",
    "latest",
    "earliest",
    "create",
    "aget",
    "afirst",
    "alast",
    "alatest",
    "aearliest",
    "acreate",
];

/// Methods that run one query and return a small result (DJM203's "single-result query").
pub(crate) const SINGLE_RESULT_METHODS: &[&str] = &[
    "get",
    "first",
    "last",
    "latest",
    "earliest",
    "count",
    "exists",
    "aggregate",
    "in_bulk",
    "aget",
    "afirst",
    "alast",
    "alatest",
    "aearliest",
    "acount",
    "aexists",
    "aaggregate",
    "ain_bulk",
];

/// Methods that neither evaluate the queryset they are called on nor keep it.
pub(crate) const NON_EVALUATING_METHODS: &[&str] = &[
    "count",
    "exists",
    "aggregate",
    "in_bulk",
    "iterator",
    "update",
    "delete",
    "create",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
    "explain",
    "contains",
    "acount",
    "aexists",
    "aupdate",
    "adelete",
    "aaggregate",
    "ain_bulk",
    "aiterator",
    "acreate",
    "aget_or_create",
    "aupdate_or_create",
    "abulk_create",
    "abulk_update",
    "acontains",
    "aexplain",
];
