//! DJM503 gunicorn-without-max-requests: gunicorn workers that are never recycled keep
//! whatever they accumulated for the life of the deployment.

use std::path::{Path, PathBuf};

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
    for (path, file) in &deployment.files {
        if file.kind != ConfigKind::GunicornConf || !file.gunicorn.is_config {
            continue;
        }
        match file.gunicorn.max_requests {
            None => out.push((
                path.clone(),
                located(
                    Rule::GunicornWithoutMaxRequests,
                    file.first_line,
                    "this gunicorn configuration never sets `max_requests`: workers are never recycled, so whatever they accumulate stays until the next deploy".to_string(),
                    HELP,
                ),
            )),
            Some(line) if !file.gunicorn.max_requests_jitter => out.push((
                path.clone(),
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
    for (path, file, line, command) in deployment.server_commands() {
        if !is_server(&command, "gunicorn") || has_flag(&command, "--max-requests") {
            continue;
        }
        if file
            .gunicorn_cmd_args
            .iter()
            .any(|w| w.starts_with("--max-requests"))
        {
            continue;
        }
        let named_config = flag_value(&command, "--config", Some("-c"))
            .and_then(|name| deployment.gunicorn_config(path, name));
        // Without -c, gunicorn reads ./gunicorn.conf.py from its working directory.
        let default_config = named_config.is_none().then(|| {
            deployment.files.iter().find(|(other, other_file)| {
                other_file.kind == ConfigKind::GunicornConf
                    && other.file_name().is_some_and(|n| n == "gunicorn.conf.py")
                    && other.parent() == path.parent().or(Some(Path::new("")))
            })
        });
        let config = named_config.or(default_config.flatten().map(|(_, file)| file));
        if config.is_some_and(|config| config.gunicorn.max_requests.is_some()) {
            continue;
        }
        out.push((
            path.to_path_buf(),
            located(
                Rule::GunicornWithoutMaxRequests,
                line.span,
                "gunicorn runs without `--max-requests`: its workers are never recycled, so whatever they accumulate stays until the next deploy".to_string(),
                "add `--max-requests 1000 --max-requests-jitter 100`, or set them in the gunicorn configuration it reads",
            ),
        ));
    }
}
