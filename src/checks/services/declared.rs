//! The user's own endpoints: the file that declares them (`VITALS_CONFIG`,
//! or `./vitals.toml` when it exists) and the request that checks each.

use std::path::Path;
use std::time::Duration;

use super::{BODY_CAP, Kind, Probe, apis};
use crate::config::{DeclaredService, Reader, services_file};
use crate::net::http::Request;

/// The endpoints declared, when there is a file; its problems are reported to `r`.
pub(super) fn read(r: &mut Reader<'_>) -> Vec<DeclaredService> {
    match services_file::path(r) {
        Some(path) => services(r, &path),
        None => Vec::new(),
    }
}


/// The endpoints the file declares; its problems, each with its line, are
/// the variable's.
fn services(r: &mut Reader<'_>, path: &Path) -> Vec<DeclaredService> {
    let reserved: Vec<&str> = apis::APIS.iter().map(|b| b.name).collect();
    let declared = match services_file::load(path, r.source(), &reserved) {
        Ok(services) => services,
        Err(errors) => {
            for e in errors {
                r.error("VITALS_CONFIG", e.to_string());
            }
            Vec::new()
        }
    };
    let shown = match declared.len() {
        0 => path.display().to_string(),
        count => format!("{} ({count} services declared)", path.display()),
    };
    r.note("VITALS_CONFIG", shown);
    declared
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

