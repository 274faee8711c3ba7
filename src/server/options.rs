//! The editor's settings: `select`, `ignore` and `preview`, sent in
//! `initializationOptions` and `workspace/didChangeConfiguration`, laid over the
//! configuration file's for the session.

use serde_json::{Map, Value};

use crate::settings::Settings;

/// The keys this server reads. A settings object with none of them is another
/// tool's (or a client saying only "something changed"), and changes nothing.
const KEYS: [&str; 3] = ["select", "ignore", "preview"];

/// The rule selection the editor asked for; `None` leaves the configuration file's.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct EditorSettings {
    select: Option<Vec<String>>,
    ignore: Option<Vec<String>>,
    /// `preview`, when the editor sends it: overrides the configuration's.
    preview: Option<bool>,
}

impl EditorSettings {
    /// Reads the keys from `value` (the initialization options, or the parameters of
    /// `didChangeConfiguration`), looking under `settings`, under a `dormlint` section
    /// (Neovim nests `settings` by server name) and at the top level, in that order.
    /// `None` when no such object carries any of the keys. A key of the wrong type, or
    /// an unknown rule selector, is reported on stderr and left out.
    pub(crate) fn from_value(value: &Value) -> Option<EditorSettings> {
        let settings = value.get("settings");
        let candidates = [
            settings.and_then(|s| s.get("dormlint")),
            settings,
            value.get("dormlint"),
            Some(value),
        ];
        let section = candidates
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .find(|object| KEYS.iter().any(|key| object.contains_key(*key)))?;
        Some(EditorSettings {
            select: selectors(section, "select"),
            ignore: selectors(section, "ignore"),
            preview: section.get("preview").and_then(Value::as_bool),
        })
    }

    /// Applies the selection to `settings` as `--select` and `--ignore` would: `select`
    /// replaces the configuration file's set, `ignore` takes rules out of the result.
    pub(crate) fn apply(&self, settings: &mut Settings) {
        if let Some(preview) = self.preview {
            settings.preview = preview;
        }
        let select = self.select.as_deref().unwrap_or(&[]);
        let ignore = self.ignore.as_deref().unwrap_or(&[]);
        if let Err(error) = settings.select_rules(select, &[], ignore) {
            // Selectors were checked when read; kept for a registry that changes.
            eprintln!("dormlint server: editor settings: {error}");
        }
    }
}

/// A list of rule selectors (a lone string counts as a list of one).
fn selectors(section: &Map<String, Value>, key: &str) -> Option<Vec<String>> {
    let items = match section.get(key)? {
        Value::String(one) => vec![one.as_str()],
        Value::Array(items) => {
            let texts: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
            let Some(texts) = texts else {
                eprintln!(
                    "dormlint server: editor settings: `{key}` must be a list of rule codes; ignored"
                );
                return None;
            };
            texts
        }
        Value::Null => return None,
        _ => {
            eprintln!(
                "dormlint server: editor settings: `{key}` must be a list of rule codes; ignored"
            );
            return None;
        }
    };
    let known = items
        .into_iter()
        .filter(|selector| {
            let known = crate::registry::select(selector).is_ok();
            if !known {
                eprintln!("dormlint server: editor settings: unknown rule selector `{selector}` in `{key}`; ignored");
            }
            known
        })
        .map(str::to_string)
        .collect();
    Some(known)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(value: Value) -> Option<EditorSettings> {
        EditorSettings::from_value(&value)
    }

    #[test]
    fn the_keys_are_found_under_settings_a_dormlint_section_or_at_the_top() {
        let expected = Some(EditorSettings {
            select: Some(vec!["DJM1".to_string()]),
            ignore: Some(vec!["DJM104".to_string()]),
            preview: Some(false),
        });
        let keys = json!({"select": ["DJM1"], "ignore": ["DJM104"], "preview": false});
        assert_eq!(read(json!({"settings": keys})), expected);
        assert_eq!(read(json!({"settings": {"dormlint": keys}})), expected);
        assert_eq!(read(keys.clone()), expected);
        assert_eq!(read(json!({"dormlint": keys})), expected);
        assert_eq!(read(json!({"settings": null})), None);
        assert_eq!(read(json!({"settings": {"python": {}}})), None);
        assert_eq!(
            read(json!({"preview": true})),
            Some(EditorSettings {
                preview: Some(true),
                ..EditorSettings::default()
            }),
            "preview alone is ours, and selects nothing"
        );
    }

    #[test]
    fn a_lone_string_is_a_list_and_unknown_selectors_are_left_out() {
        let read = read(json!({"select": "DJM101", "ignore": ["DJM999", "DJM102"]})).unwrap();
        assert_eq!(read.select, Some(vec!["DJM101".to_string()]));
        assert_eq!(read.ignore, Some(vec!["DJM102".to_string()]));
        assert_eq!(
            EditorSettings::from_value(&json!({"select": 3}))
                .unwrap()
                .select,
            None
        );
    }
}
