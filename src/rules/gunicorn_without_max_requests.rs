//! DJM503 gunicorn-without-max-requests: gunicorn workers that are never recycled keep
//! whatever they accumulate for the life of the deployment. One missing setting is one
//! finding: a configuration that commands read is reported once, at the configuration,
//! naming those commands; the commands themselves stay silent.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::process::files::ConfigKind;
use crate::process::shell::{flag_value, has_flag};
use crate::process::{Deployment, is_server, located};
use crate::registry::Rule;
use crate::report::Located;

const HELP: &str = "set `max_requests` (e.g. 1000) and `max_requests_jitter` (e.g. 100) so workers are replaced before they grow, not all at once";

/// DJM503
pub(crate) fn gunicorn_without_max_requests(
    deployment: &Deployment,
    out: &mut Vec<(PathBuf, Located)>,
) {
    // Configuration file -> the command lines that read it without recycling on their
    // own, or None when one reads it and recycles (it decides for the others).
    let mut readers: BTreeMap<usize, Vec<(usize, usize)>> = BTreeMap::new();
    let mut recycled_by_command: Vec<usize> = Vec::new();
    let environment_recycles = deployment.environment_recycles_gunicorn();
    for command in deployment.server_commands() {
        let words = &command.words;
        if !is_server(words, "gunicorn") || command.is_templated() {
            continue;
        }
        let config = match flag_value(words, "--config", Some("-c")) {
            Some(name) => match deployment.named_config(&command, name) {
                Some(config) => Some(config),
                // A configuration outside the tree decides, and nobody here can read it.
                None => continue,
            },
            // Without -c, gunicorn reads ./gunicorn.conf.py from its working directory.
            None => deployment.default_gunicorn_config(&command),
        }
        .filter(|&i| deployment.files[i].1.kind == ConfigKind::GunicornConf);
        let recycles = has_flag(words, "--max-requests")
            || environment_recycles
            || command
                .config
                .gunicorn_cmd_args
                .iter()
                .any(|w| w.starts_with("--max-requests"));
        match config {
            Some(config) if recycles => recycled_by_command.push(config),
            Some(config) => readers
                .entry(config)
                .or_default()
                .push((command.file, command.line)),
            None if recycles => {}
            None => out.push((
                command.path.to_path_buf(),
                located(
                    Rule::GunicornWithoutMaxRequests,
                    command.span,
                    "gunicorn runs without `--max-requests`: its workers are never recycled, so whatever they accumulate stays until the next deploy".to_string(),
                    "add `--max-requests 1000 --max-requests-jitter 100`, or set them in the gunicorn configuration it reads",
                ),
            )),
        }
    }
    for (i, path, file) in deployment.counted() {
        if file.kind != ConfigKind::GunicornConf || !file.gunicorn.is_config {
            continue;
        }
        match file.gunicorn.max_requests {
            None => {
                let read_by = readers.get(&i).cloned().unwrap_or_default();
                // Read only by commands that pass --max-requests themselves, or
                // overridden by the GUNICORN_CMD_ARGS every gunicorn gets.
                if read_by.is_empty()
                    && (recycled_by_command.contains(&i) || environment_recycles)
                {
                    continue;
                }
                let by = deployment.read_by(i, &read_by);
                out.push((
                    path.to_path_buf(),
                    located(
                        Rule::GunicornWithoutMaxRequests,
                        file.first_line,
                        format!("this gunicorn configuration never sets `max_requests`{by}: workers are never recycled, so whatever they accumulate stays until the next deploy"),
                        HELP,
                    ),
                ));
            }
            Some(line) if !file.gunicorn.max_requests_jitter => out.push((
                path.to_path_buf(),
                located(
                    Rule::GunicornWithoutMaxRequests,
                    line,
                    "`max_requests` without `max_requests_jitter`: workers started together reach the limit together and restart at the same moment".to_string(),
                    HELP,
                ),
            )),
            Some(_) => {}
        }
    }
}
