//! Command lines read as a shell would: words split on blanks with quotes and
//! backslashes honoured, commands split on `&&`, `||`, `;` and `|`, and the wrappers
//! deployments put in front of a server (`exec`, `VAR=value`, `gosu user`,
//! `newrelic-admin run-program`, `python -m`, `sh -c "..."`) taken off.

/// Splits one logical line into words; operators become words of their own.
pub(crate) fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => {
                            if let Some(escaped) = chars.next() {
                                word.push(escaped);
                            }
                        }
                        other => word.push(other),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(escaped) = chars.next()
                    && escaped != '\n'
                {
                    word.push(escaped);
                }
            }
            '#' if !in_word => break,
            ';' | '|' | '&' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
                let mut operator = c.to_string();
                if matches!(chars.peek(), Some(&next) if next == c) {
                    operator.push(chars.next().unwrap_or(c));
                }
                words.push(operator);
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            other => {
                in_word = true;
                word.push(other);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The simple commands of a line, each with the wrappers in front of it removed.
pub(crate) fn commands(words: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for command in words.split(|w| matches!(w.as_str(), "&&" | "||" | ";" | "|" | "&")) {
        unwrap(command, &mut out, 0);
    }
    out
}

fn unwrap(words: &[String], out: &mut Vec<Vec<String>>, depth: usize) {
    let mut rest = words;
    loop {
        let Some(first) = rest.first() else {
            return;
        };
        let name = program_name(first);
        let is_assignment = first.contains('=')
            && !first.starts_with('-')
            && first.split('=').next().is_some_and(|v| {
                !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
        // A `case` pattern (`uwsgi)`, `"uwsgi" )`) labels a branch; it runs nothing.
        let is_case_label =
            (first.ends_with(')') && !first.contains('(')) || rest.get(1).is_some_and(|w| w == ")");
        match name {
            _ if is_case_label => {
                let skip = if first.ends_with(')') { 1 } else { 2 };
                rest = &rest[skip.min(rest.len())..];
            }
            _ if is_assignment => rest = &rest[1..],
            "exec"
            | "nohup"
            | "dumb-init"
            | "ddtrace-run"
            | "opentelemetry-instrument"
            | "doppler"
            | "env"
            | "time" => rest = &rest[1..],
            "tini" => {
                let skip = rest.iter().position(|w| w == "--").map_or(1, |i| i + 1);
                rest = &rest[skip.min(rest.len())..];
            }
            "gosu" | "su-exec" | "chpst" => rest = &rest[2.min(rest.len())..],
            "newrelic-admin" if rest.get(1).is_some_and(|w| w == "run-program") => {
                rest = &rest[2..]
            }
            "poetry" | "pipenv" | "uv" | "pdm" | "hatch" | "rye"
                if rest.get(1).is_some_and(|w| w == "run") =>
            {
                rest = &rest[2..]
            }
            "python" | "python3" if rest.get(1).is_some_and(|w| w == "-m") => rest = &rest[2..],
            "sh" | "bash" | "/bin/sh" | "/bin/bash" | "ash" => {
                if let Some(i) = rest
                    .iter()
                    .position(|w| w == "-c" || w == "-ec" || w == "-exc")
                    && let Some(script) = rest.get(i + 1)
                    && depth < 4
                {
                    let inner = split_words(script);
                    for command in
                        inner.split(|w| matches!(w.as_str(), "&&" | "||" | ";" | "|" | "&"))
                    {
                        unwrap(command, out, depth + 1);
                    }
                }
                return;
            }
            _ => {
                out.push(rest.to_vec());
                return;
            }
        }
    }
}

/// `/usr/local/bin/gunicorn` -> `gunicorn`.
pub(crate) fn program_name(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// The value of `--flag value`, `--flag=value`, or a short `-f value` / `-fvalue`.
pub(crate) fn flag_value<'a>(
    words: &'a [String],
    long: &str,
    short: Option<&str>,
) -> Option<&'a str> {
    for (i, word) in words.iter().enumerate() {
        if let Some(value) = word.strip_prefix(long).and_then(|v| v.strip_prefix('=')) {
            return Some(value);
        }
        let is_flag = word == long || short.is_some_and(|s| word == s);
        if is_flag {
            return words.get(i + 1).map(String::as_str);
        }
        if let Some(short) = short
            && word.len() > short.len()
            && word.starts_with(short)
            && !word.starts_with("--")
        {
            return Some(&word[short.len()..]);
        }
    }
    None
}

/// Whether `--flag` appears, alone or as `--flag=value`.
pub(crate) fn has_flag(words: &[String], long: &str) -> bool {
    words.iter().any(|w| {
        w == long
            || w.strip_prefix(long)
                .is_some_and(|rest| rest.starts_with('='))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmds(line: &str) -> Vec<Vec<String>> {
        commands(&split_words(line))
    }

    #[test]
    fn quotes_operators_and_wrappers() {
        assert_eq!(
            cmds("cd /app && exec gosu app newrelic-admin run-program gunicorn 'a b' \"c\\\"d\""),
            vec![
                vec!["cd".to_string(), "/app".into()],
                vec!["gunicorn".into(), "a b".into(), "c\"d".into()]
            ]
        );
        assert_eq!(
            cmds("FOO=1 python -m celery -A proj worker")[0][0],
            "celery"
        );
        assert_eq!(cmds("sh -c 'migrate; uwsgi --ini app.ini'")[1][0], "uwsgi");
        assert_eq!(cmds("gunicorn app  # --max-requests 5")[0].len(), 2);
        // The label of a `case "$1" in` branch is not a command; what follows it is.
        assert!(cmds("\"uwsgi\" )").is_empty());
        assert!(cmds("web|uwsgi)").iter().all(|c| c[0] != "uwsgi)"));
        assert_eq!(cmds("uwsgi) exec uwsgi --ini app.ini ;;")[0][0], "uwsgi");
    }

    #[test]
    fn flags() {
        let words =
            split_words("celery worker -c4 --pool=gevent -P threads --max-tasks-per-child 10");
        assert_eq!(flag_value(&words, "--concurrency", Some("-c")), Some("4"));
        assert_eq!(flag_value(&words, "--pool", Some("-P")), Some("gevent"));
        assert!(has_flag(&words, "--max-tasks-per-child"));
        assert!(!has_flag(&words, "--max-tasks"));
    }
}
