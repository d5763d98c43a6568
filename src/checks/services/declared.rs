//! The user's own endpoints: the file that declares them (`VITALS_CONFIG`,
//! or `./vitals.toml` when it exists) and the request that checks each.

use std::time::Duration;

use super::{BODY_CAP, Kind, Probe};
use crate::config::{DeclaredService, Reader};
use crate::net::http::Request;

/// The endpoints declared, when there is a file; its problems are reported to `r`.
pub(super) fn read(r: &mut Reader<'_>) -> Vec<DeclaredService> {
    let Some(path) = crate::config::services_file::path(r) else {
        return Vec::new();
    };
    let declared = crate::checks::load(r, &path);
    let shown = match (declared.services.len(), declared.checks.len()) {
        (0, 0) => path.display().to_string(),
        (services, 0) => format!("{} ({services} services declared)", path.display()),
        (services, checks) => format!(
            "{} ({services} services, {checks} checks declared)",
            path.display()
        ),
    };
    r.note("VITALS_CONFIG", shown);
    declared.services
}

pub(super) fn probe(service: &DeclaredService, slow: Duration) -> Probe {
    let mut request = Request::new(service.method, service.url.expose().clone(), Duration::ZERO);
    for (name, value) in &service.headers {
        request = request.header(name, value.expose());
    }
    Probe {
        name: service.name.clone(),
        kind: Kind::Endpoint,
        request: request.truncate_body_at(BODY_CAP).no_redirects(),
        expect: service.expect_status.clone(),
        body_contains: service.body_contains.clone(),
        slow: service.slow.unwrap_or(slow),
        timeout: service.timeout,
        critical: service.critical,
        alerts: service.alerts.clone(),
    }
}

