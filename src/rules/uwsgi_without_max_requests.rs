//! DJM505 uwsgi-without-max-requests: uWSGI workers that are never recycled.

use std::path::PathBuf;

use crate::process::shell::{flag_value, has_flag};
use crate::process::{Deployment, is_server, located, recycles_uwsgi};
use crate::registry::Rule;
use crate::report::Located;

const HELP: &str = "set `max-requests` (with `max-requests-delta`), or `reload-on-rss` to recycle a worker past a memory size";

/// DJM505
pub(crate) fn uwsgi_without_max_requests(
    deployment: &Deployment,
    out: &mut Vec<(PathBuf, Located)>,
) {
    for (path, file) in &deployment.files {
        for section in &file.sections {
            if section.name != "uwsgi" || recycles_uwsgi(section) {
                continue;
            }
            let Some(header) = section.header else {
                continue;
            };
            out.push((
                path.clone(),
                located(
                    Rule::UwsgiWithoutMaxRequests,
                    header,
                    "this uWSGI configuration sets neither `max-requests` nor `reload-on-rss`: workers are never recycled and keep whatever they accumulate".to_string(),
                    HELP,
                ),
            ));
        }
    }
    for (path, _, line, command) in deployment.server_commands() {
        if !is_server(&command, "uwsgi") {
            continue;
        }
        let flags = ["--max-requests", "--reload-on-rss", "--evil-reload-on-rss"];
        if flags.iter().any(|flag| has_flag(&command, flag)) {
            continue;
        }
        if flag_value(&command, "--ini", None).is_some_and(|ini| deployment.uwsgi_ini_recycles(ini))
        {
            continue;
        }
        out.push((
            path.to_path_buf(),
            located(
                Rule::UwsgiWithoutMaxRequests,
                line.span,
                "uwsgi runs without `--max-requests` or `--reload-on-rss`: workers are never recycled and keep whatever they accumulate".to_string(),
                HELP,
            ),
        ));
    }
}
