//! Kubernetes manifests and Helm chart templates, read line by line: a template is not
//! YAML until Helm renders it, so nothing here parses YAML or gives up on a file. Each
//! container's `command:` and `args:` become one command line; `args:` alone that start
//! with a flag go to the image's entrypoint; `env:` entries set `GUNICORN_CMD_ARGS` and
//! Celery's recycling variables. What a template fills in (`{{ ... }}`, `valueFrom:`)
//! is kept as a `{{` word, so the rules know it cannot be read and stay silent.

use super::files::{
    CELERY_RECYCLING_VARIABLES, ConfigFile, Lines, collect_env, flow_list, push_command,
    sets_limit, unquote,
};
use super::shell::split_words;

/// The word that stands for what a template or the cluster fills in.
pub(crate) const TEMPLATED: &str = "{{";

/// Whether a word of a command line is filled in by a template.
pub(crate) fn is_templated(word: &str) -> bool {
    word.contains(TEMPLATED) || word.contains("}}")
}

/// A `command:` or `args:` of a container, with where it starts and ends.
struct Key {
    start: usize,
    end: usize,
    words: Vec<String>,
}

/// An item of a YAML block sequence (`- name: web`): a container, an env entry, a port.
struct Item {
    /// Indentation of its keys (the dash's plus two).
    key_indent: usize,
    command: Option<Key>,
    args: Option<Key>,
    /// A template may add or swap its keys (`{{ include ... }}` at its level, a key
    /// under `{{ if }}`).
    templated: bool,
    /// `name:` of an env entry, when it is one of the variables read here.
    variable: Option<&'static str>,
    /// How many `{{ if }}`/`{{ with }}`/`{{ range }}` were open where it began: a whole
    /// manifest under `{{ if .Values.web.enabled }}` is still read.
    conditional: usize,
}

const VARIABLES: &[&str] = &[
    "GUNICORN_CMD_ARGS",
    "CELERY_WORKER_MAX_TASKS_PER_CHILD",
    "CELERY_WORKER_MAX_MEMORY_PER_CHILD",
];

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Reads the containers of a manifest or template; a YAML file without `containers:`
/// (a workflow, a values file, `Chart.yaml`) gives nothing.
pub(crate) fn read_manifest(file: &mut ConfigFile, lines: &Lines) {
    let physical = lines.physical();
    let declares_containers = physical.iter().any(|(_, line)| {
        let key = line.trim_start().trim_start_matches("- ");
        key.starts_with("containers:") || key.starts_with("initContainers:")
    });
    if !declares_containers {
        return;
    }
    let mut stack: Vec<Item> = Vec::new();
    let mut conditional = 0usize;
    let mut i = 0;
    while i < physical.len() {
        let (offset, line) = physical[i];
        i += 1;
        let trimmed = line.trim_start();
        let indent = indent_of(line);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if trimmed.starts_with("{{") {
            let action = trimmed
                .trim_start_matches("{{")
                .trim_start_matches('-')
                .trim_start();
            let word = action
                .split(|c: char| c.is_whitespace() || c == '}')
                .next()
                .unwrap_or("");
            match word {
                "if" | "with" | "range" | "define" | "block" => conditional += 1,
                "end" => conditional = conditional.saturating_sub(1),
                "else" | "/*" => {}
                // `{{ include ... | nindent 10 }}`, `{{ toYaml .Values.x }}`: YAML of
                // unknown keys, for every item at its level or deeper.
                _ => {
                    for item in stack.iter_mut().filter(|item| item.key_indent >= indent) {
                        item.templated = true;
                    }
                }
            }
            continue;
        }
        let (key_indent, rest) = match trimmed.strip_prefix("- ") {
            Some(rest) => {
                close(file, lines, &mut stack, indent + 1);
                stack.push(Item {
                    key_indent: indent + 2,
                    command: None,
                    args: None,
                    templated: false,
                    variable: None,
                    conditional,
                });
                (indent + 2, rest.trim_start())
            }
            None => {
                close(file, lines, &mut stack, indent);
                (indent, trimmed)
            }
        };
        collect_env(file, rest);
        let Some(item) = stack
            .last_mut()
            .filter(|item| item.key_indent == key_indent)
        else {
            continue;
        };
        if conditional != item.conditional {
            item.templated = true;
        }
        let Some((key, value)) = rest.split_once(':') else {
            continue;
        };
        let value = value.split(" #").next().unwrap_or(value).trim();
        match key.trim() {
            "name" => {
                let name = unquote(value);
                item.variable = VARIABLES.iter().copied().find(|v| *v == name);
            }
            "value" | "valueFrom" => {
                let Some(variable) = item.variable else {
                    continue;
                };
                let words = if key.trim() == "valueFrom" {
                    vec![TEMPLATED.to_string()]
                } else {
                    let (words, next) = read_value(&physical, i, key_indent, value);
                    i = next;
                    words
                };
                if variable == "GUNICORN_CMD_ARGS" {
                    file.gunicorn_cmd_args.extend(words);
                } else if CELERY_RECYCLING_VARIABLES.contains(&variable)
                    && (words.iter().any(|w| is_templated(w)) || sets_limit(&words.join(" ")))
                {
                    file.celery_recycling_env = true;
                }
            }
            key @ ("command" | "args") => {
                let start = offset + indent;
                let (words, next) = read_value(&physical, i, key_indent, value);
                let end = physical
                    .get(next.saturating_sub(1))
                    .map_or(offset + line.len(), |(o, l)| o + l.trim_end().len());
                i = next;
                let key_value = Some(Key { start, end, words });
                if key == "command" {
                    item.command = key_value;
                } else {
                    item.args = key_value;
                }
            }
            _ => {}
        }
    }
    close(file, lines, &mut stack, 0);
}

/// Ends the items whose keys are indented deeper than `indent`: a line at `indent` is
/// no longer inside them.
fn close(file: &mut ConfigFile, lines: &Lines, stack: &mut Vec<Item>, indent: usize) {
    while stack.last().is_some_and(|item| item.key_indent > indent) {
        let Some(item) = stack.pop() else {
            return;
        };
        emit(file, lines, item);
    }
}

/// A container's command line: `command:` then `args:`, as Kubernetes runs them.
fn emit(file: &mut ConfigFile, lines: &Lines, item: Item) {
    let (start, end) = match (&item.command, &item.args) {
        (Some(c), Some(a)) => (c.start.min(a.start), c.end.max(a.end)),
        (Some(k), None) | (None, Some(k)) => (k.start, k.end),
        (None, None) => return,
    };
    let mut words: Vec<String> = Vec::new();
    let only_args = item.command.is_none();
    words.extend(item.command.into_iter().flat_map(|k| k.words));
    words.extend(item.args.into_iter().flat_map(|k| k.words));
    if item.templated {
        words.push(TEMPLATED.to_string());
    }
    if only_args && words.first().is_some_and(|w| w.starts_with('-')) {
        file.image_args.extend(words);
        return;
    }
    push_command(file, lines, start, end, words);
}

/// The words of a key's value starting on the line before `next`: a flow list (over
/// several lines), a block list (its items may be block scalars: `- |` scripts), a
/// block scalar, or a plain or quoted string. Returns them with the index of the first
/// line after the value.
fn read_value(
    physical: &[(usize, &str)],
    mut next: usize,
    key_indent: usize,
    value: &str,
) -> (Vec<String>, usize) {
    if value.starts_with('[') {
        let mut text = value.to_string();
        while !text.contains(']') && next < physical.len() {
            text.push(' ');
            text.push_str(physical[next].1.trim());
            next += 1;
        }
        return (flow_list(&text), next);
    }
    if value.starts_with('|') || value.starts_with('>') {
        let (script, after) = block_scalar(physical, next, key_indent, value.starts_with('|'));
        return (split_words(&script), after);
    }
    if !value.is_empty() {
        return (split_words(unquote(value)), next);
    }
    // A block list: its dashes may sit at the key's own indentation.
    let mut words = Vec::new();
    while let Some(&(_, line)) = physical.get(next) {
        let trimmed = line.trim_start();
        let indent = indent_of(line);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            next += 1;
            continue;
        }
        let in_list = |line: &str| {
            let indent = indent_of(line);
            indent > key_indent || (indent == key_indent && line.trim_start().starts_with("- "))
        };
        let inside = in_list(line);
        // A template action inside the list (`{{- range .Values.flags }}`, wherever it
        // is indented) fills in items; one that closes a block around the container
        // (`{{- end }}` at column 0 after the list) does not.
        let continues_list = || {
            physical[next + 1..]
                .iter()
                .map(|(_, l)| *l)
                .find(|l| {
                    let t = l.trim_start();
                    !t.is_empty() && !t.starts_with('#') && !t.starts_with("{{")
                })
                .is_some_and(in_list)
        };
        if trimmed.starts_with("{{") && (inside || continues_list()) {
            words.push(TEMPLATED.to_string());
            next += 1;
            continue;
        }
        if !inside {
            break;
        }
        next += 1;
        let Some(item) = trimmed.strip_prefix('-').map(str::trim) else {
            continue;
        };
        let item = item.split(" #").next().unwrap_or(item).trim();
        if item.starts_with('|') || item.starts_with('>') {
            let (script, after) = block_scalar(physical, next, indent, item.starts_with('|'));
            next = after;
            words.push(script);
        } else {
            words.push(unquote(item).to_string());
        }
    }
    (words, next)
}

/// The text of a block scalar whose lines are indented deeper than `indent`: a literal
/// one (`|`) keeps its lines as separate commands (`;`), a folded one joins them.
fn block_scalar(
    physical: &[(usize, &str)],
    mut next: usize,
    indent: usize,
    literal: bool,
) -> (String, usize) {
    let mut text = String::new();
    while let Some(&(_, line)) = physical.get(next) {
        let trimmed = line.trim();
        if !trimmed.is_empty() && indent_of(line) <= indent && !trimmed.starts_with("{{") {
            break;
        }
        next += 1;
        if trimmed.is_empty() {
            continue;
        }
        if !text.is_empty() {
            let continued = text.ends_with('\\');
            if continued {
                text.pop();
                text.truncate(text.trim_end().len());
            }
            text.push_str(if literal && !continued { " ; " } else { " " });
        }
        text.push_str(trimmed);
    }
    (text, next)
}

#[cfg(test)]
mod tests {
    use crate::process::files::{ConfigKind, read_config};

    fn commands(text: &str) -> Vec<(usize, String)> {
        read_config(ConfigKind::Kubernetes, text)
            .commands
            .iter()
            .map(|c| (c.span.start.row, c.words.join(" ")))
            .collect()
    }

    #[test]
    fn containers_commands_and_args() {
        let text = "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: shop\n          command: [\"gunicorn\"]\n          args:\n            - shop.wsgi\n            - --workers=4\n          livenessProbe:\n            exec:\n              command: [\"cat\", \"/tmp/ok\"]\n        - name: worker\n          command:\n          - /bin/sh\n          - -c\n          - |\n            python manage.py migrate\n            celery -A shop worker \\\n              -c 2\n        - name: flags\n          args: [\"--max-requests\", \"1000\"]\n";
        assert_eq!(
            commands(text),
            [
                (8, "gunicorn shop.wsgi --workers=4".to_string()),
                (
                    16,
                    "/bin/sh -c python manage.py migrate ; celery -A shop worker -c 2".to_string()
                ),
            ]
        );
        let file = read_config(ConfigKind::Kubernetes, text);
        assert_eq!(file.image_args, ["--max-requests", "1000"]);
    }

    #[test]
    fn env_entries() {
        let text = "containers:\n- name: web\n  image: shop\n  env:\n  - name: GUNICORN_CMD_ARGS\n    value: \"--max-requests 500\"\n  - name: CELERY_WORKER_MAX_TASKS_PER_CHILD\n    value: \"100\"\n";
        let file = read_config(ConfigKind::Kubernetes, text);
        assert_eq!(file.gunicorn_cmd_args, ["--max-requests", "500"]);
        assert!(file.celery_recycling_env);
        let zero = text.replace("\"100\"", "\"0\"");
        assert!(!read_config(ConfigKind::Kubernetes, &zero).celery_recycling_env);
    }

    #[test]
    fn helm_templates_never_read_as_plain_commands() {
        let text = "{{- if .Values.web.enabled }}\napiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: {{ .Chart.Name }}\n          securityContext:\n            {{- toYaml .Values.securityContext | nindent 12 }}\n          command: [\"gunicorn\", \"shop.wsgi\"]\n{{- with .Values.extraArgs }}\n          args: {{ toYaml . | nindent 12 }}\n{{- end }}\n        - name: plain\n          command:\n            - gunicorn\n            {{- range .Values.flags }}\n            - {{ . }}\n            {{- end }}\n{{- end }}\n";
        let file = read_config(ConfigKind::Kubernetes, text);
        assert_eq!(file.commands.len(), 2);
        for command in &file.commands {
            assert!(command.words.iter().any(|w| super::is_templated(w)));
        }
    }

    #[test]
    fn other_yaml_gives_nothing() {
        let text = "on: push\njobs:\n  test:\n    steps:\n      - run: gunicorn app\n";
        assert!(commands(text).is_empty());
        assert!(commands("{{ garbage\n  - [unclosed\n: :\n").is_empty());
    }
}
