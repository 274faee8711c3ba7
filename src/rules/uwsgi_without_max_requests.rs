//! DJM505 uwsgi-without-max-requests: uWSGI workers that are never recycled. As for
//! DJM503, an ini file that commands read is reported once, at its `[uwsgi]` section,
//! naming the commands; a command is judged by the ini it names, not by another one
//! lying in the tree.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::process::shell::{flag_value, has_flag};
use crate::process::{Deployment, is_server, located, recycles_uwsgi};
use crate::registry::Rule;
use crate::report::Located;

const HELP: &str = "set `max-requests` (with `max-requests-delta`), or `reload-on-rss` to recycle a worker past a memory size";

/// The configuration files a uwsgi command names: `--ini FILE`, `--ini=FILE`, a bare
/// `app.ini` (uwsgi loads a file given as its argument), and `--yaml`/`--json`/`--xml`.
fn config_names(words: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = ["--ini", "--yaml", "--json", "--xml"]
        .iter()
        .filter_map(|flag| flag_value(words, flag, None))
        .collect();
    out.extend(
        words
            .iter()
            .skip(1)
            .filter(|w| !w.starts_with('-'))
            .filter(|w| {
                let w = w.split(':').next().unwrap_or(w);
                [".ini", ".yaml", ".yml", ".json", ".xml"]
                    .iter()
                    .any(|ext| w.ends_with(ext))
            })
            .map(String::as_str),
    );
    out
}

/// DJM505
pub(crate) fn uwsgi_without_max_requests(
    deployment: &Deployment,
    out: &mut Vec<(PathBuf, Located)>,
) {
    let mut readers: BTreeMap<usize, Vec<(usize, usize)>> = BTreeMap::new();
    let mut recycled_by_command: Vec<usize> = Vec::new();
    for command in deployment.server_commands() {
        let words = &command.words;
        if !is_server(words, "uwsgi") || command.is_templated() {
            continue;
        }
        let flags = ["--max-requests", "--reload-on-rss", "--evil-reload-on-rss"];
        let recycles = flags.iter().any(|flag| has_flag(words, flag));
        let names = config_names(words);
        let mut configs = Vec::new();
        let mut unseen = false;
        for name in &names {
            match deployment.named_config(&command, name) {
                Some(config) => configs.push(config),
                None => unseen = true,
            }
        }
        let config_recycles = configs
            .iter()
            .any(|&i| deployment.files[i].1.sections.iter().any(recycles_uwsgi));
        // A configuration outside the tree decides, and nobody here can read it.
        if recycles || config_recycles || unseen {
            recycled_by_command.extend(configs);
            continue;
        }
        if configs.is_empty() {
            out.push((
                command.path.to_path_buf(),
                located(
                    Rule::UwsgiWithoutMaxRequests,
                    command.span,
                    "uwsgi runs without `--max-requests` or `--reload-on-rss`: workers are never recycled and keep whatever they accumulate".to_string(),
                    HELP,
                ),
            ));
        }
        for config in configs {
            readers
                .entry(config)
                .or_default()
                .push((command.file, command.line));
        }
    }
    for (i, path, file) in deployment.counted() {
        let read_by = readers.get(&i).cloned().unwrap_or_default();
        if read_by.is_empty() && recycled_by_command.contains(&i) {
            continue;
        }
        for section in &file.sections {
            if section.name != "uwsgi" || recycles_uwsgi(section) {
                continue;
            }
            let Some(header) = section.header else {
                continue;
            };
            let by = deployment.read_by(i, &read_by);
            out.push((
                path.to_path_buf(),
                located(
                    Rule::UwsgiWithoutMaxRequests,
                    header,
                    format!("this uWSGI configuration sets neither `max-requests` nor `reload-on-rss`{by}: workers are never recycled and keep whatever they accumulate"),
                    HELP,
                ),
            ));
        }
    }
}
