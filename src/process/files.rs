//! Reading the deployment files dormlint understands into what the process rules need:
//! command lines (with where they start), `GUNICORN_CMD_ARGS` values, uWSGI sections,
//! and the settings of gunicorn configuration modules.

use std::collections::HashMap;
use std::path::Path;

use ruff_text_size::{TextRange, TextSize};

use super::shell::split_words;
use crate::source::{LineIndex, Position};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConfigKind {
    Procfile,
    Dockerfile,
    Compose,
    Shell,
    Systemd,
    /// supervisor `*.conf` and uWSGI `*.ini`: INI files.
    Ini,
    /// A gunicorn configuration module (Python, read as text here and parsed as Python
    /// by the checker like every other .py file).
    GunicornConf,
    /// Any other YAML file: a Kubernetes manifest or a Helm chart template when it
    /// declares `containers:`, else nothing is read from it.
    Kubernetes,
    /// `.env`, `.env.prod`, `prod.env`, cookiecutter-django's `.envs/.production/.django`:
    /// `NAME=value` lines, read for the variables that configure recycling.
    EnvFile,
}

/// Which deployment file `path` is, by its name.
pub(crate) fn config_kind(path: &Path) -> Option<ConfigKind> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    if name == "procfile" || name.starts_with("procfile.") {
        Some(ConfigKind::Procfile)
    } else if name.starts_with("dockerfile")
        || name.ends_with(".dockerfile")
        || name == "containerfile"
    {
        Some(ConfigKind::Dockerfile)
    } else if yaml && (name.starts_with("docker-compose") || name.starts_with("compose")) {
        Some(ConfigKind::Compose)
    } else if name.ends_with(".sh") {
        Some(ConfigKind::Shell)
    } else if name.ends_with(".service") {
        Some(ConfigKind::Systemd)
    } else if name.ends_with(".ini") || name.ends_with(".conf") {
        Some(ConfigKind::Ini)
    } else if name.ends_with(".py") && name.starts_with("gunicorn") {
        Some(ConfigKind::GunicornConf)
    } else if yaml {
        Some(ConfigKind::Kubernetes)
    } else if name == ".env"
        || name.starts_with(".env.")
        || name.ends_with(".env")
        || path
            .parent()
            .is_some_and(|dir| dir.components().any(|c| c.as_os_str() == ".envs"))
    {
        Some(ConfigKind::EnvFile)
    } else {
        None
    }
}

/// A range of a file with its 1-based positions.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Span {
    #[serde(with = "crate::cache::range")]
    pub(crate) range: TextRange,
    pub(crate) start: Position,
    pub(crate) end: Position,
}

#[derive(Clone, Debug)]
pub(crate) struct CommandLine {
    pub(crate) words: Vec<String>,
    pub(crate) span: Span,
    /// A Dockerfile's `WORKDIR` where the command runs, for relative names in it.
    pub(crate) workdir: Option<String>,
}

/// A Dockerfile `COPY`/`ADD`: sources in the build context, destination in the image
/// (made absolute with the `WORKDIR` of the time).
#[derive(Clone, Debug)]
pub(crate) struct Copy {
    pub(crate) sources: Vec<String>,
    pub(crate) destination: String,
}

/// Whether a deployment file is one a deployment uses, judged by its name and where it
/// lies below its project root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Place {
    /// Counts: nothing says otherwise.
    #[default]
    Deployed,
    /// Under `examples/` or `contrib/`, where projects ship both illustrations and their
    /// official image and units: counts when it is a Dockerfile or a systemd unit, or
    /// when a file that counts names it.
    Shipped,
    /// Development, tests, documentation or a template (`Procfile.dev`,
    /// `docker-compose.override.yml`, `docs/`, `example_project/`): never counts.
    Development,
}

/// Name tokens that mark development, tests or examples, in deployment files and in
/// settings modules alike.
pub(crate) const DEVELOPMENT_WORDS: &[&str] = &[
    "dev",
    "devel",
    "development",
    "local",
    "test",
    "tests",
    "testing",
    "testutils",
    "testproject",
    "ci",
    "example",
    "examples",
    "sample",
    "samples",
    "demo",
    "sandbox",
    "tutorial",
    "tutorials",
];

/// A token of a file or directory name that marks development, tests or a template
/// (`docker-compose.override.yml`, `templates/`).
fn is_development_token(token: &str) -> bool {
    DEVELOPMENT_WORDS.contains(&token) || matches!(token, "override" | "template" | "templates")
}

/// Directories a project ships deployment material in, next to illustrations.
const SHIPPED_DIRECTORIES: &[&str] = &["examples", "example", "contrib"];

/// Directories that hold documentation: what they show is never run as it stands.
const DOCUMENTATION_DIRECTORIES: &[&str] = &["docs", "doc", "documentation"];

fn tokens(name: &str) -> impl Iterator<Item = String> + '_ {
    name.split(['_', '-', '.'])
        .filter(|t| !t.is_empty())
        .map(str::to_ascii_lowercase)
}

/// Where `below_root` (a deployment file's path inside its project) places it.
pub(crate) fn place(below_root: &Path) -> Place {
    place_with(below_root, false)
}

/// [`place`] for a Helm chart's template (`chart/templates/deployment.yaml`, beside
/// `chart/Chart.yaml`): its `templates/` directory is where Helm wants it, not a sign of
/// an illustration.
pub(crate) fn place_in_chart(below_root: &Path) -> Place {
    place_with(below_root, true)
}

fn place_with(below_root: &Path, chart_template: bool) -> Place {
    let Some(name) = below_root.file_name() else {
        return Place::Deployed;
    };
    let name = name.to_string_lossy();
    if tokens(&name).any(|t| is_development_token(&t)) {
        return Place::Development;
    }
    let mut shipped = false;
    for directory in below_root.parent().into_iter().flat_map(Path::components) {
        let directory = directory.as_os_str().to_string_lossy().to_ascii_lowercase();
        if chart_template && directory == "templates" {
            continue;
        }
        if SHIPPED_DIRECTORIES.contains(&directory.as_str()) {
            shipped = true;
        } else if DOCUMENTATION_DIRECTORIES.contains(&directory.as_str())
            || tokens(&directory).any(|t| is_development_token(&t))
        {
            return Place::Development;
        }
    }
    if shipped {
        Place::Shipped
    } else {
        Place::Deployed
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct IniSection {
    pub(crate) name: String,
    pub(crate) header: Option<Span>,
    pub(crate) keys: HashMap<String, String>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct GunicornSettings {
    /// The module sets gunicorn settings at all (bind, workers, ...).
    pub(crate) is_config: bool,
    pub(crate) max_requests: Option<Span>,
    pub(crate) max_requests_jitter: bool,
    pub(crate) workers: Option<u32>,
}

#[derive(Clone, Debug)]
pub(crate) struct ConfigFile {
    pub(crate) kind: ConfigKind,
    pub(crate) commands: Vec<CommandLine>,
    /// Words of every `GUNICORN_CMD_ARGS` the file sets (`{{` for a value a Helm
    /// template or a `valueFrom:` fills in).
    pub(crate) gunicorn_cmd_args: Vec<String>,
    /// Sets `CELERY_WORKER_MAX_TASKS_PER_CHILD` or `CELERY_WORKER_MAX_MEMORY_PER_CHILD`
    /// in the environment: `celery worker` reads its options from `CELERY_WORKER_*`.
    pub(crate) celery_recycling_env: bool,
    /// Flags a Kubernetes container passes to its image's entrypoint (`args:` without
    /// `command:`, starting with a flag): they reach a server started elsewhere.
    pub(crate) image_args: Vec<String>,
    pub(crate) sections: Vec<IniSection>,
    pub(crate) gunicorn: GunicornSettings,
    pub(crate) first_line: Span,
    pub(crate) copies: Vec<Copy>,
    pub(crate) place: Place,
}

pub(crate) struct Lines<'a> {
    text: &'a str,
    index: LineIndex,
}

impl<'a> Lines<'a> {
    pub(crate) fn span(&self, start: usize, end: usize) -> Span {
        let range = TextRange::new(TextSize::from(start as u32), TextSize::from(end as u32));
        Span {
            range,
            start: self.index.position(self.text, range.start()),
            end: self.index.position(self.text, range.end()),
        }
    }

    /// Physical lines with their byte offsets.
    pub(crate) fn physical(&self) -> Vec<(usize, &'a str)> {
        let mut out = Vec::new();
        let mut offset = 0;
        for line in self.text.split_inclusive('\n') {
            out.push((offset, line.trim_end_matches(['\n', '\r'])));
            offset += line.len();
        }
        out
    }

    /// Logical lines: a trailing `\` joins the next line. Yields (start offset of the
    /// first non-blank character, end offset, joined text).
    fn logical(&self, skip_comment_lines: bool) -> Vec<(usize, usize, String)> {
        let mut out = Vec::new();
        let mut current: Option<(usize, usize, String)> = None;
        for (offset, line) in self.physical() {
            let trimmed = line.trim_start();
            if skip_comment_lines && trimmed.starts_with('#') {
                continue;
            }
            let start = offset + (line.len() - trimmed.len());
            let (body, continues) = match line.trim_end().strip_suffix('\\') {
                Some(body) => (body, true),
                None => (line, false),
            };
            let end = offset + line.trim_end().len();
            match current.as_mut() {
                Some((_, last_end, text)) => {
                    text.push(' ');
                    text.push_str(body.trim());
                    *last_end = end;
                }
                None if !trimmed.is_empty() => {
                    current = Some((start, end, body.trim().to_string()))
                }
                None => {}
            }
            if !continues && let Some(done) = current.take() {
                out.push(done);
            }
        }
        out.extend(current);
        out
    }
}

pub(crate) fn read_config(kind: ConfigKind, text: &str) -> ConfigFile {
    let lines = Lines {
        text,
        index: LineIndex::new(text),
    };
    let first_end = text.find(['\n', '\r']).unwrap_or(text.len());
    let mut file = ConfigFile {
        kind,
        commands: Vec::new(),
        gunicorn_cmd_args: Vec::new(),
        celery_recycling_env: false,
        image_args: Vec::new(),
        sections: Vec::new(),
        gunicorn: GunicornSettings::default(),
        first_line: lines.span(0, first_end),
        copies: Vec::new(),
        place: Place::Deployed,
    };
    match kind {
        ConfigKind::Procfile => {
            for (start, end, line) in lines.logical(true) {
                if let Some((_, command)) = line.split_once(':') {
                    push_command(&mut file, &lines, start, end, split_words(command));
                }
            }
        }
        ConfigKind::Shell => {
            for (start, end, line) in lines.logical(true) {
                push_command(&mut file, &lines, start, end, split_words(&line));
                collect_env(&mut file, &line);
            }
        }
        ConfigKind::Dockerfile => read_dockerfile(&mut file, &lines),
        ConfigKind::Compose => read_compose(&mut file, &lines),
        ConfigKind::Systemd => {
            for (start, end, line) in lines.logical(true) {
                if let Some(command) = line.strip_prefix("ExecStart=") {
                    let command = command.trim_start_matches(['-', '@', '+', '!', ':']);
                    push_command(&mut file, &lines, start, end, split_words(command));
                }
                if line.starts_with("Environment=") {
                    collect_env(&mut file, &line);
                }
            }
        }
        ConfigKind::Ini => read_ini(&mut file, &lines),
        ConfigKind::GunicornConf => read_gunicorn_module(&mut file, &lines),
        ConfigKind::Kubernetes => super::kubernetes::read_manifest(&mut file, &lines),
        ConfigKind::EnvFile => {
            for (_, _, line) in lines.logical(true) {
                collect_env(&mut file, &line);
            }
        }
    }
    file
}

pub(crate) fn push_command(
    file: &mut ConfigFile,
    lines: &Lines,
    start: usize,
    end: usize,
    words: Vec<String>,
) {
    if !words.is_empty() {
        file.commands.push(CommandLine {
            words,
            span: lines.span(start, end),
            workdir: None,
        });
    }
}

/// The Celery worker options `celery worker` reads from the environment that recycle
/// its pool processes (click's `auto_envvar_prefix="CELERY"`).
pub(crate) const CELERY_RECYCLING_VARIABLES: &[&str] = &[
    "CELERY_WORKER_MAX_TASKS_PER_CHILD",
    "CELERY_WORKER_MAX_MEMORY_PER_CHILD",
];

/// Whether `value`, set for a Celery recycling variable, sets a limit: empty and `0`
/// mean none.
pub(crate) fn sets_limit(value: &str) -> bool {
    let value = value.trim().trim_matches(['"', '\'', ',']).trim();
    !value.is_empty() && value != "0"
}

/// `GUNICORN_CMD_ARGS=...` and the Celery recycling variables in any form:
/// `ENV K=V`, `ENV K V`, `export K=V`, `Environment="K=V"`, compose `K: V` / `- K=V`,
/// supervisor `environment=K="V"`, `.env` `K=V`.
pub(crate) fn collect_env(file: &mut ConfigFile, line: &str) {
    for variable in CELERY_RECYCLING_VARIABLES {
        if let Some(at) = line.find(variable) {
            let rest = &line[at + variable.len()..];
            if rest.starts_with([' ', '=', ':', '"'])
                && sets_limit(rest.trim_start_matches([' ', '=', ':', '"']))
            {
                file.celery_recycling_env = true;
            }
        }
    }
    let Some(at) = line.find("GUNICORN_CMD_ARGS") else {
        return;
    };
    let rest = line[at + "GUNICORN_CMD_ARGS".len()..].trim_start_matches([' ', '=', ':', '"']);
    let value = rest.trim_end_matches(['"', '\'', ',']);
    file.gunicorn_cmd_args.extend(split_words(value));
}

/// `dir` joined to `path` as the image sees it, `.` and `..` resolved:
/// `/app` + `./conf/` -> `/app/conf`.
pub(crate) fn in_image(dir: Option<&str>, path: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{}/{path}", dir.unwrap_or("/"))
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

fn read_dockerfile(file: &mut ConfigFile, lines: &Lines) {
    let mut entrypoint: Option<usize> = None;
    let mut workdir: Option<String> = None;
    for (start, end, line) in lines.logical(true) {
        let (instruction, arguments) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
        let arguments = arguments.trim();
        match instruction.to_ascii_uppercase().as_str() {
            "CMD" | "ENTRYPOINT" | "RUN" => {
                let words = if arguments.starts_with('[') {
                    serde_json::from_str::<Vec<String>>(arguments)
                        .unwrap_or_else(|_| split_words(arguments))
                } else {
                    split_words(arguments)
                };
                let is_entrypoint = instruction.eq_ignore_ascii_case("ENTRYPOINT");
                // `ENTRYPOINT ["gunicorn"]` + `CMD ["--workers", "4", "app.wsgi"]`: one command.
                if instruction.eq_ignore_ascii_case("CMD")
                    && let Some(i) = entrypoint
                    && words.first().is_some_and(|w| w.starts_with('-'))
                {
                    file.commands[i].words.extend(words);
                    continue;
                }
                let before = file.commands.len();
                push_command(file, lines, start, end, words);
                if let Some(command) = file.commands.get_mut(before) {
                    command.workdir.clone_from(&workdir);
                }
                if is_entrypoint {
                    entrypoint = Some(file.commands.len() - 1);
                }
            }
            "WORKDIR" => workdir = Some(in_image(workdir.as_deref(), arguments)),
            "COPY" | "ADD" => {
                let mut words: Vec<String> = if arguments.starts_with('[') {
                    serde_json::from_str(arguments).unwrap_or_else(|_| split_words(arguments))
                } else {
                    split_words(arguments)
                };
                // `COPY --from=builder ...` copies from another stage, not the context.
                if words.iter().any(|w| w.starts_with("--from")) {
                    continue;
                }
                words.retain(|w| !w.starts_with("--"));
                if let Some(destination) = words.pop()
                    && !words.is_empty()
                {
                    file.copies.push(Copy {
                        sources: words,
                        destination: in_image(workdir.as_deref(), &destination),
                    });
                }
            }
            "ENV" => collect_env(file, arguments),
            _ => {}
        }
    }
}

/// A line-oriented reading of the compose keys that matter (`command:`, `entrypoint:`,
/// `environment:`): the string, flow-list, block-list and folded forms.
fn read_compose(file: &mut ConfigFile, lines: &Lines) {
    let physical = lines.physical();
    let mut i = 0;
    while i < physical.len() {
        let (offset, line) = physical[i];
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        collect_env(file, trimmed);
        let key = ["command:", "entrypoint:"]
            .into_iter()
            .find(|key| trimmed.trim_start_matches("- ").starts_with(key));
        let Some(key) = key else {
            i += 1;
            continue;
        };
        let value = trimmed.trim_start_matches("- ")[key.len()..].trim();
        let value = value.split(" #").next().unwrap_or(value).trim();
        let start = offset + indent;
        let mut end = offset + line.len();
        let words = if value.starts_with('[') {
            flow_list(value)
        } else if value.is_empty() || value.starts_with('>') || value.starts_with('|') {
            let block_list = value.is_empty();
            let mut parts = Vec::new();
            while let Some(&(next_offset, next)) = physical.get(i + 1) {
                let next_trimmed = next.trim_start();
                let next_indent = next.len() - next_trimmed.len();
                if next_trimmed.is_empty() || next_indent <= indent {
                    break;
                }
                i += 1;
                end = next_offset + next.len();
                if block_list {
                    if let Some(item) = next_trimmed.strip_prefix("- ") {
                        parts.push(unquote(item).to_string());
                    }
                } else {
                    parts.extend(split_words(next_trimmed));
                }
            }
            parts
        } else {
            split_words(unquote(value))
        };
        push_command(file, lines, start, end, words);
        i += 1;
    }
}

pub(crate) fn unquote(value: &str) -> &str {
    let value = value.trim();
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(value)
}

/// `["celery", "-A", "proj", "worker"]`
pub(crate) fn flow_list(value: &str) -> Vec<String> {
    let inner = value.trim_start_matches('[').trim_end_matches(']');
    let mut items = Vec::new();
    let mut item = String::new();
    let mut quote: Option<char> = None;
    for c in inner.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => item.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, ',') => items.push(std::mem::take(&mut item).trim().to_string()),
            (None, c) => item.push(c),
        }
    }
    if !item.trim().is_empty() {
        items.push(item.trim().to_string());
    }
    items
}

fn read_ini(file: &mut ConfigFile, lines: &Lines) {
    let mut section = IniSection::default();
    let mut in_section = false;
    for (offset, line) in lines.physical() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            if in_section {
                file.sections.push(std::mem::take(&mut section));
            }
            in_section = true;
            let start = offset + (line.len() - line.trim_start().len());
            section.name = trimmed[1..trimmed.len() - 1].trim().to_string();
            section.header = Some(lines.span(start, start + trimmed.len()));
            continue;
        }
        if trimmed.starts_with(['#', ';']) || trimmed.is_empty() {
            continue;
        }
        let Some((key, value)) = trimmed.split_once(['=', ':']) else {
            continue;
        };
        let (key, value) = (key.trim().to_string(), value.trim().to_string());
        if key == "command" && section.name.starts_with("program:") {
            let start = offset + (line.len() - line.trim_start().len());
            push_command(file, lines, start, offset + line.len(), split_words(&value));
        }
        if key == "environment" {
            collect_env(file, &value);
        }
        section.keys.insert(key, value);
    }
    if in_section {
        file.sections.push(section);
    }
}

/// Gunicorn's own setting names, enough to tell its configuration modules apart.
const GUNICORN_SETTINGS: &[&str] = &[
    "bind",
    "workers",
    "worker_class",
    "threads",
    "timeout",
    "max_requests",
    "max_requests_jitter",
    "preload_app",
    "keepalive",
    "accesslog",
    "errorlog",
    "loglevel",
    "graceful_timeout",
    "worker_connections",
    "wsgi_app",
];

fn read_gunicorn_module(file: &mut ConfigFile, lines: &Lines) {
    for (offset, line) in lines.physical() {
        if line.starts_with([' ', '\t', '#']) {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let name = name.trim();
        if !GUNICORN_SETTINGS.contains(&name) {
            continue;
        }
        file.gunicorn.is_config = true;
        match name {
            "max_requests" => {
                file.gunicorn.max_requests = Some(lines.span(offset, offset + line.len()))
            }
            "max_requests_jitter" => file.gunicorn.max_requests_jitter = true,
            "workers" => file.gunicorn.workers = value.trim().parse().ok(),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands(kind: ConfigKind, text: &str) -> Vec<(usize, String)> {
        read_config(kind, text)
            .commands
            .iter()
            .map(|c| (c.span.start.row, c.words.join(" ")))
            .collect()
    }

    #[test]
    fn dockerfile_forms() {
        let text = "FROM python\n# CMD ignored\nRUN pip install \\\n    gunicorn\nENV GUNICORN_CMD_ARGS=\"--max-requests 500\"\nENTRYPOINT [\"gunicorn\"]\nCMD [\"--workers\", \"4\", \"app.wsgi\"]\n";
        let file = read_config(ConfigKind::Dockerfile, text);
        assert_eq!(
            commands(ConfigKind::Dockerfile, text),
            [
                (3, "pip install gunicorn".to_string()),
                (6, "gunicorn --workers 4 app.wsgi".to_string())
            ]
        );
        assert_eq!(file.gunicorn_cmd_args, ["--max-requests", "500"]);
    }

    #[test]
    fn compose_forms() {
        let text = "services:\n  web:\n    command: gunicorn app.wsgi -w 2\n  worker:\n    command: [\"celery\", \"-A\", \"proj\", \"worker\"]\n  beat:\n    command:\n      - celery\n      - beat\n  folded:\n    command: >\n      uwsgi\n      --ini app.ini\n";
        assert_eq!(
            commands(ConfigKind::Compose, text),
            [
                (3, "gunicorn app.wsgi -w 2".to_string()),
                (5, "celery -A proj worker".to_string()),
                (7, "celery beat".to_string()),
                (11, "uwsgi --ini app.ini".to_string()),
            ]
        );
    }

    #[test]
    fn places() {
        let place = |p: &str| place(Path::new(p));
        for development in [
            "Procfile.dev",
            "docker-compose.override.yml",
            "docker-compose.local.yml",
            "compose.dev.yaml",
            "Dockerfile.dev",
            "deploy/uwsgi-local.ini",
            "Procfile.example",
            "docs/deploy/gunicorn.service",
            "example_project/Procfile",
            "tests/run.sh",
            "src/app/testutils/start.sh",
        ] {
            assert_eq!(place(development), Place::Development, "{development}");
        }
        for shipped in ["examples/gunicorn.service", "contrib/docker/Dockerfile"] {
            assert_eq!(place(shipped), Place::Shipped, "{shipped}");
        }
        for deployed in [
            "Procfile",
            "docker-compose.yml",
            "compose.prod.yaml",
            "deploy/uwsgi.ini",
            "Dockerfile",
            "pytest.ini",
            "docker/entrypoint.sh",
        ] {
            assert_eq!(place(deployed), Place::Deployed, "{deployed}");
        }
    }

    #[test]
    fn dockerfile_workdir_and_copies() {
        let text = "FROM python\nWORKDIR /app\nCOPY . .\nCOPY --from=build /x /y\nCOPY deploy/uwsgi.ini conf/\nWORKDIR src\nCMD [\"uwsgi\", \"--ini\", \"/app/conf/uwsgi.ini\"]\n";
        let file = read_config(ConfigKind::Dockerfile, text);
        let copies: Vec<(String, String)> = file
            .copies
            .iter()
            .map(|c| (c.sources.join(" "), c.destination.clone()))
            .collect();
        assert_eq!(
            copies,
            [
                (".".to_string(), "/app".to_string()),
                ("deploy/uwsgi.ini".to_string(), "/app/conf".to_string())
            ]
        );
        assert_eq!(file.commands[0].workdir.as_deref(), Some("/app/src"));
    }

    #[test]
    fn ini_sections_and_programs() {
        let text = "[uwsgi]\nmodule = app.wsgi\nprocesses = 4\n\n[program:web]\ncommand=gunicorn app.wsgi\nenvironment=GUNICORN_CMD_ARGS=\"--max-requests 10\"\n";
        let file = read_config(ConfigKind::Ini, text);
        assert_eq!(file.sections[0].name, "uwsgi");
        assert_eq!(file.sections[0].keys["processes"], "4");
        assert_eq!(file.commands[0].span.start.row, 6);
        assert_eq!(file.gunicorn_cmd_args, ["--max-requests", "10"]);
    }
}
