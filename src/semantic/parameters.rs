//! Parameters whose value the framework fixes: Django calls a signal receiver with the
//! model class as `sender`, an admin action with the selected rows as `queryset`, a
//! DRF view's `filter_queryset` with its queryset. Whatever the function's body does
//! with them, it does to a model class or a queryset.

use ruff_python_ast::{self as ast, Expr};

use crate::semantic::index::ClassKind;
use crate::semantic::{QuerysetInfo, SemanticModel, Value};

/// The function a parameter belongs to, as far as its framework role shows.
pub(crate) struct Signature<'a> {
    /// The enclosing class and its kind, for methods.
    pub(crate) class: Option<(&'a str, ClassKind)>,
    pub(crate) function: &'a str,
    pub(crate) decorators: &'a [&'a Expr],
    /// Positional and keyword-only parameter names, receiver included.
    pub(crate) parameters: &'a [String],
    /// Takes `**kwargs`: every signal receiver must.
    pub(crate) takes_kwargs: bool,
    /// The function's docstring, if it has one.
    pub(crate) docstring: Option<&'a str>,
}

impl Signature<'_> {
    fn decorated(&self, name: &str) -> Option<&Expr> {
        self.decorators
            .iter()
            .copied()
            .find(|decorator| crate::semantic::decorator_name(decorator) == name)
    }

    fn names(&self, expected: &[&str]) -> bool {
        self.parameters.len() == expected.len()
            && self.parameters.iter().zip(expected).all(|(a, b)| a == b)
    }
}

/// The value the framework passes as parameter `name` (at `position`, receiver
/// included), when the signature says which framework call it is.
pub(crate) fn framework_value(
    model: &SemanticModel,
    signature: &Signature,
    position: usize,
    name: &str,
) -> Option<Value> {
    let queryset = || Some(Value::Queryset(QuerysetInfo::default()));
    if signature
        .docstring
        .is_some_and(|doc| documents_a_queryset(doc, name))
    {
        return queryset();
    }
    match (name, signature.class) {
        // `def on_save(sender, instance, **kwargs)`: Django's receiver signature.
        ("sender", _) if position == usize::from(signature.class.is_some()) => {
            let receiver = signature.decorated("receiver");
            if !signature.takes_kwargs && receiver.is_none() {
                return None;
            }
            let sender = match receiver {
                Some(Expr::Call(call)) => call
                    .arguments
                    .keywords
                    .iter()
                    .find(|k| k.arg.as_deref() == Some("sender"))
                    .map(|k| model.infer(&k.value)),
                _ => None,
            };
            match sender {
                Some(Value::ModelClass(model)) => Some(Value::ModelClass(model)),
                _ => Some(Value::ModelClass(None)),
            }
        }
        // Admin actions: `def mark_paid(self, request, queryset)` on a ModelAdmin, and
        // `@admin.action def mark_paid(modeladmin, request, queryset)`.
        ("queryset", Some((_, ClassKind::View)))
            if signature.names(&["self", "request", "queryset"]) =>
        {
            Some(Value::Queryset(QuerysetInfo {
                admin_selection: true,
                ..QuerysetInfo::default()
            }))
        }
        ("queryset", None)
            if signature.parameters.len() == 3
                && position == 2
                && signature.parameters[1] == "request"
                && (signature.decorated("action").is_some()
                    || signature.parameters[0] == "modeladmin") =>
        {
            Some(Value::Queryset(QuerysetInfo {
                admin_selection: true,
                ..QuerysetInfo::default()
            }))
        }
        // ModelAdmin.get_search_results(self, request, queryset, search_term), DRF's
        // GenericAPIView.filter_queryset / paginate_queryset and filter backends'
        // filter_queryset(self, request, queryset, view).
        ("queryset", Some(_))
            if matches!(
                signature.function,
                "get_search_results" | "filter_queryset" | "paginate_queryset"
            ) =>
        {
            queryset()
        }
        // django-filter's method filters: `def filter_overdue(self, queryset, name, value)`.
        ("queryset", Some(_))
            if position == 1 && signature.names(&["self", "queryset", "name", "value"]) =>
        {
            queryset()
        }
        _ => None,
    }
}

/// Attributes that hold a queryset by the framework's contract: a generic list view's
/// `self.object_list`, a django-filter FilterSet's `self.qs`, a model choice field's
/// `form.fields["author"].queryset` (a few rows: the choices of a drop-down).
pub(crate) fn framework_attribute(
    model: &SemanticModel,
    receiver_expr: &Expr,
    receiver: &Value,
    attr: &str,
) -> Option<Value> {
    let queryset = || Some(Value::Queryset(QuerysetInfo::default()));
    match (receiver, attr) {
        (Value::SelfRef(class), "object_list")
            if model.index.class_kind(class) == ClassKind::View =>
        {
            queryset()
        }
        (Value::SelfRef(class), "qs")
            if crate::semantic::index::last_segment(class).ends_with("FilterSet") =>
        {
            queryset()
        }
        // Choices rendered one `<option>` each: a few rows by nature.
        (_, "queryset") => match receiver_expr {
            Expr::Subscript(ast::ExprSubscript { value, .. }) if matches!(value.as_ref(), Expr::Attribute(a) if a.attr.as_str() == "fields") => {
                Some(Value::Queryset(QuerysetInfo {
                    few_rows: true,
                    ..QuerysetInfo::default()
                }))
            }
            _ => None,
        },
        _ => None,
    }
}

/// Whether a docstring gives parameter `name` the type `QuerySet`: Sphinx's
/// `:type name: QuerySet` or Google's `name (QuerySet): ...`.
fn documents_a_queryset(doc: &str, name: &str) -> bool {
    let is_queryset = |text: &str| {
        let text = text.trim();
        let last = text.rsplit('.').next().unwrap_or(text);
        last == "QuerySet" || last.starts_with("QuerySet[")
    };
    doc.lines().any(|line| {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix(":type ")
            && let Some((parameter, kind)) = rest.split_once(':')
        {
            return parameter.trim() == name && is_queryset(kind);
        }
        line.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix(" ("))
            .and_then(|rest| rest.split_once("):"))
            .is_some_and(|(kind, _)| is_queryset(kind))
    })
}

/// The fields a class body declares read-only the way Django REST framework reads it:
/// `x = serializers.PrimaryKeyRelatedField(read_only=True)`, or a name in its
/// `Meta.read_only_fields` list or tuple. DRF validates writable fields only
/// (`Serializer.to_internal_value` walks `_writable_fields`), so it never calls their
/// `validate_<field>` methods: code in them never runs.
pub(crate) fn read_only_serializer_fields(class: &ast::StmtClassDef) -> Vec<String> {
    let mut fields = Vec::new();
    for stmt in &class.body {
        match stmt {
            ast::Stmt::Assign(assign) => {
                let ([Expr::Name(target)], Expr::Call(call)) =
                    (assign.targets.as_slice(), assign.value.as_ref())
                else {
                    continue;
                };
                if call
                    .arguments
                    .find_keyword("read_only")
                    .is_some_and(|k| crate::semantic::literal::is_true(&k.value))
                {
                    fields.push(target.id.to_string());
                }
            }
            ast::Stmt::ClassDef(meta) if meta.name.as_str() == "Meta" => {
                for stmt in &meta.body {
                    let ast::Stmt::Assign(assign) = stmt else {
                        continue;
                    };
                    let ([Expr::Name(target)], value) =
                        (assign.targets.as_slice(), assign.value.as_ref())
                    else {
                        continue;
                    };
                    if target.id.as_str() != "read_only_fields" {
                        continue;
                    }
                    let elements = match value {
                        Expr::List(list) => &list.elts,
                        Expr::Tuple(tuple) => &tuple.elts,
                        _ => continue,
                    };
                    fields.extend(
                        elements
                            .iter()
                            .filter_map(crate::semantic::literal::string)
                            .map(str::to_string),
                    );
                }
            }
            _ => {}
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::documents_a_queryset;

    #[test]
    fn docstring_types() {
        assert!(documents_a_queryset(
            ":param qs: rows\n:type qs: QuerySet",
            "qs"
        ));
        assert!(documents_a_queryset(
            "Args:\n    queryset (django.db.models.QuerySet): the rows to delete.",
            "queryset"
        ));
        assert!(documents_a_queryset(
            "    items (QuerySet[Book]): books",
            "items"
        ));
        assert!(!documents_a_queryset(":type qs: list", "qs"));
        assert!(!documents_a_queryset("other (QuerySet): rows", "qs"));
        assert!(!documents_a_queryset("qs (QuerySet) without a colon", "qs"));
    }
}
