//! The protocols the loopback server speaks: a Python index, a crates sparse
//! index, npm and a Go module proxy, each routed from a request path to a response.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::wire::{DemoKind, Request, Response, State, StoredFile, not_found_json, with_etag};

/// The response for `req`, and whether it is a file download.
pub(super) fn route(s: &State, req: &Request, base: &str) -> (Response, bool) {
    let path = req.path.as_str();
    if let Some(rest) = path.strip_prefix("/pypi/") {
        return pypi(s, req, rest, base);
    }
    if let Some(rest) = path.strip_prefix("/crates/") {
        return crates(s, rest, base);
    }
    if let Some(rest) = path.strip_prefix("/npm/") {
        return npm(s, req, rest, base);
    }
    if let Some(rest) = path.strip_prefix("/go/") {
        return goproxy(s, rest);
    }
    (
        Response::new(404, "text/plain", b"404 Not Found\n".to_vec()),
        false,
    )
}

fn file_response(f: &StoredFile, content_type: &'static str) -> (Response, bool) {
    let r = Response {
        status: 200,
        content_type,
        headers: vec![("ETag".into(), format!("\"{}\"", f.sha256.to_hex()))],
        body: Arc::clone(&f.served),
    };
    (r, true)
}

/// A stored document (an attestation or provenance), served with a strong ETag.
fn document(content_type: &'static str, doc: &Arc<Vec<u8>>) -> (Response, bool) {
    let r = Response {
        status: 200,
        content_type,
        headers: Vec::new(),
        body: Arc::clone(doc),
    };
    (with_etag(r), false)
}

fn find(
    s: &State,
    kind: DemoKind,
    matches: impl Fn(&str) -> bool,
) -> Option<(&str, &BTreeMap<String, Vec<StoredFile>>)> {
    s.packages
        .iter()
        .find(|((k, name), _)| *k == kind && matches(name))
        .map(|((_, name), v)| (name.as_str(), v))
}

pub(super) fn pep503(name: &str) -> String {
    regclient::pypi::normalize(name).unwrap_or_else(|_| name.to_ascii_lowercase())
}

fn pypi(s: &State, req: &Request, rest: &str, base: &str) -> (Response, bool) {
    const SIMPLE_JSON: &str = "application/vnd.pypi.simple.v1+json";
    let files_url =
        |f: &StoredFile| format!("{base}/pypi/files/{}/{}", &f.sha256.to_hex()[..16], f.name);
    let serial = s.serial.to_string();
    let segs: Vec<&str> = rest.split('/').collect();
    match segs.as_slice() {
        // PEP 740: the integrity API's provenance of one distribution file.
        ["integrity", project, version, file, "provenance"] => {
            match s
                .provenance
                .get(&(pep503(project), (*version).to_owned(), (*file).to_owned()))
            {
                Some(doc) => document("application/vnd.pypi.integrity.v1+json", doc),
                None => (
                    not_found_json(serde_json::json!({"message": "Not Found"})),
                    false,
                ),
            }
        }
        ["pypi", project, version, "json"] => {
            let Some((name, versions)) = find(s, DemoKind::Pypi, |n| pep503(n) == pep503(project))
            else {
                return (
                    not_found_json(serde_json::json!({"message": "Not Found"})),
                    false,
                );
            };
            let Some(files) = versions.get(*version) else {
                return (
                    not_found_json(serde_json::json!({"message": "Not Found"})),
                    false,
                );
            };
            let urls: Vec<serde_json::Value> = files
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "filename": f.name,
                        "packagetype": if f.name.ends_with(".whl") { "bdist_wheel" } else { "sdist" },
                        "url": files_url(f),
                        "size": f.claimed.len(),
                        "digests": {"sha256": f.sha256.to_hex()},
                        "yanked": false,
                        "yanked_reason": null,
                    })
                })
                .collect();
            let doc = serde_json::json!({
                "info": {"name": name, "version": version, "yanked": false, "yanked_reason": null},
                "urls": urls,
                "last_serial": s.serial,
            });
            (
                with_etag(Response::json("application/json", &doc))
                    .header("X-PyPI-Last-Serial", serial),
                false,
            )
        }
        ["simple", project, ""] => {
            let Some((name, versions)) = find(s, DemoKind::Pypi, |n| pep503(n) == pep503(project))
            else {
                return (
                    Response::new(404, "text/plain", b"404 Not Found\n".to_vec()),
                    false,
                );
            };
            if pep503(project) != *project {
                let to = format!("{base}/pypi/simple/{}/", pep503(project));
                return (
                    Response::new(301, "text/plain", Vec::new()).header("Location", to),
                    false,
                );
            }
            let all: Vec<&StoredFile> = versions.values().flatten().collect();
            if req.accept.contains(SIMPLE_JSON) {
                let doc = serde_json::json!({
                    "meta": {"api-version": "1.1", "_last-serial": s.serial},
                    "name": pep503(name),
                    "versions": versions.keys().collect::<Vec<_>>(),
                    "files": all.iter().map(|f| serde_json::json!({
                        "filename": f.name,
                        "url": files_url(f),
                        "hashes": {"sha256": f.sha256.to_hex()},
                        "size": f.claimed.len(),
                        "yanked": false,
                    })).collect::<Vec<_>>(),
                });
                (
                    with_etag(Response::json(SIMPLE_JSON, &doc))
                        .header("X-PyPI-Last-Serial", serial),
                    false,
                )
            } else {
                let mut html = format!(
                    "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.1\"><title>Links for {name}</title></head><body><h1>Links for {name}</h1>\n"
                );
                for f in &all {
                    html.push_str(&format!(
                        "<a href=\"{}#sha256={}\">{}</a><br/>\n",
                        files_url(f),
                        f.sha256.to_hex(),
                        f.name
                    ));
                }
                html.push_str("</body></html>\n");
                (
                    with_etag(Response::new(
                        200,
                        "application/vnd.pypi.simple.v1+html",
                        html.into_bytes(),
                    )),
                    false,
                )
            }
        }
        ["simple", project] => (
            Response::new(301, "text/plain", Vec::new())
                .header("Location", format!("{base}/pypi/simple/{project}/")),
            false,
        ),
        ["files", prefix, file] => {
            let found = s
                .packages
                .iter()
                .filter(|((k, _), _)| *k == DemoKind::Pypi)
                .flat_map(|(_, v)| v.values().flatten())
                .find(|f| f.name == *file && f.sha256.to_hex().starts_with(prefix));
            match found {
                Some(f) => file_response(f, "application/octet-stream"),
                None => (
                    Response::new(404, "text/plain", b"404 Not Found\n".to_vec()),
                    false,
                ),
            }
        }
        _ => (
            Response::new(404, "text/plain", b"404 Not Found\n".to_vec()),
            false,
        ),
    }
}

fn crates(s: &State, rest: &str, base: &str) -> (Response, bool) {
    let not_found = || {
        (
            not_found_json(serde_json::json!({"errors": [{"detail": "Not Found"}]})),
            false,
        )
    };
    if rest == "index/config.json" {
        let doc = serde_json::json!({"dl": format!("{base}/crates/api/v1/crates"), "api": format!("{base}/crates")});
        return (with_etag(Response::json("application/json", &doc)), false);
    }
    if let Some(path) = rest.strip_prefix("index/") {
        let Some((name, versions)) = find(s, DemoKind::Crates, |n| {
            regclient::crates::index_path(n).is_ok_and(|p| p == path)
        }) else {
            return (
                Response::new(404, "text/plain", b"not found\n".to_vec()),
                false,
            );
        };
        let mut lines = String::new();
        for (v, files) in versions {
            if let Some(f) = files.first() {
                lines.push_str(
                    &serde_json::json!({
                        "name": name, "vers": v, "deps": [], "cksum": f.sha256.to_hex(),
                        "features": {}, "yanked": false, "links": null, "v": 2,
                    })
                    .to_string(),
                );
                lines.push('\n');
            }
        }
        return (
            with_etag(Response::new(200, "text/plain", lines.into_bytes())),
            false,
        );
    }
    if let Some(path) = rest.strip_prefix("api/v1/crates/") {
        let segs: Vec<&str> = path.split('/').collect();
        if let [krate, version, "download"] = segs.as_slice()
            && let Some((_, versions)) = find(s, DemoKind::Crates, |n| n == *krate)
            && let Some(f) = versions.get(*version).and_then(|f| f.first())
        {
            return file_response(f, "application/gzip");
        }
    }
    not_found()
}

fn npm(s: &State, req: &Request, rest: &str, base: &str) -> (Response, bool) {
    const ABBREVIATED: &str = "application/vnd.npm.install-v1+json";
    let not_found = || {
        (
            not_found_json(serde_json::json!({"error": "Not found"})),
            false,
        )
    };
    // The publisher-identity endpoints (`-/whoami`, `-/org/{org}/user`), as npm documents them.
    if let Some((status, body)) = s
        .npm_identity
        .answer(&format!("/{rest}"), req.authorization.as_deref())
    {
        let mut r = Response::json("application/json", &body);
        r.status = status;
        return (r, false);
    }
    // The attestations endpoint: `-/npm/v1/attestations/<name>@<version>`, percent-encoded.
    if let Some(spec) = rest.strip_prefix("-/npm/v1/attestations/") {
        let spec = percent_encoding::percent_decode_str(spec).decode_utf8_lossy();
        return match s.npm_attestations.get(spec.as_ref()) {
            Some(doc) => document("application/json", doc),
            None => not_found(),
        };
    }
    // `@scope%2fname` or `name`, then optional `/version` or `/-/file`.
    let decoded = rest.replace("%2f", "/").replace("%2F", "/");
    let (name, tail) = if decoded.starts_with('@') {
        let mut it = decoded.splitn(3, '/');
        match (it.next(), it.next(), it.next()) {
            (Some(scope), Some(n), tail) => (format!("{scope}/{n}"), tail.unwrap_or("")),
            _ => return not_found(),
        }
    } else {
        match decoded.split_once('/') {
            Some((n, t)) => (n.to_owned(), t),
            None => (decoded.clone(), ""),
        }
    };
    let Some((_, versions)) = find(s, DemoKind::Npm, |n| n == name) else {
        return not_found();
    };
    let tarball_url = |f: &StoredFile| {
        let enc = regclient::npm::encode_name(&name).unwrap_or_else(|_| name.clone());
        format!("{base}/npm/{enc}/-/{}", f.name)
    };
    let version_doc = |v: &str, f: &StoredFile| {
        let mut doc = serde_json::json!({
            "name": name,
            "version": v,
            "dist": {
                "tarball": tarball_url(f),
                "shasum": f.sha1.to_hex(),
                "integrity": f.sha512.to_sri(),
            },
        });
        if let (Some(head), Some(obj)) = (
            s.npm_git_heads.get(&format!("{name}@{v}")),
            doc.as_object_mut(),
        ) {
            obj.insert("gitHead".to_owned(), serde_json::json!(head));
        }
        doc
    };
    if let Some(file) = tail.strip_prefix("-/") {
        return match versions.values().flatten().find(|f| f.name == file) {
            Some(f) => file_response(f, "application/octet-stream"),
            None => not_found(),
        };
    }
    if !tail.is_empty() {
        return match versions.get(tail).and_then(|f| f.first()) {
            Some(f) => (
                with_etag(Response::json("application/json", &version_doc(tail, f))),
                false,
            ),
            None => not_found(),
        };
    }
    let docs: serde_json::Map<String, serde_json::Value> = versions
        .iter()
        .filter_map(|(v, files)| files.first().map(|f| (v.clone(), version_doc(v, f))))
        .collect();
    let latest = versions.keys().last().cloned().unwrap_or_default();
    let modified = "2026-11-20T00:00:00.000Z";
    if req.accept.contains(ABBREVIATED) {
        let doc = serde_json::json!({
            "name": name, "modified": modified,
            "dist-tags": {"latest": latest}, "versions": docs,
        });
        (with_etag(Response::json(ABBREVIATED, &doc)), false)
    } else {
        let mut time = serde_json::Map::new();
        time.insert("created".into(), modified.into());
        time.insert("modified".into(), modified.into());
        for v in versions.keys() {
            time.insert(v.clone(), modified.into());
        }
        let doc = serde_json::json!({
            "_id": name, "name": name,
            "dist-tags": {"latest": latest}, "versions": docs, "time": time,
        });
        (with_etag(Response::json("application/json", &doc)), false)
    }
}

/// The GOPROXY protocol over published modules: `<escaped module>/@v/list`, and
/// `@v/<version>.info` / `.mod` / `.zip` for a published version (files published as
/// `<version>.mod` and `<version>.zip`); 404 otherwise, as the protocol's "not found".
fn goproxy(s: &State, rest: &str) -> (Response, bool) {
    let not_found = || {
        (
            Response::new(404, "text/plain", b"not found\n".to_vec()),
            false,
        )
    };
    let Some((module, file)) = rest.split_once("/@v/") else {
        return not_found();
    };
    let Some((_, versions)) = find(s, DemoKind::GoProxy, |n| {
        regclient::goproxy::escape_path(n).is_ok_and(|e| e == module)
    }) else {
        return not_found();
    };
    if file == "list" {
        let list: String = versions.keys().map(|v| format!("{v}\n")).collect();
        return (
            with_etag(Response::new(
                200,
                "text/plain; charset=utf-8",
                list.into_bytes(),
            )),
            false,
        );
    }
    for (v, files) in versions {
        let Ok(escaped) = regclient::goproxy::escape_version(v) else {
            continue;
        };
        if file == format!("{escaped}.info") {
            let info = serde_json::json!({"Version": v, "Time": "2026-11-01T00:00:00Z"});
            return (with_etag(Response::json("application/json", &info)), false);
        }
        for (ext, content_type) in [
            ("mod", "text/plain; charset=utf-8"),
            ("zip", "application/zip"),
        ] {
            if file == format!("{escaped}.{ext}")
                && let Some(f) = files.iter().find(|f| f.name == format!("{v}.{ext}"))
            {
                return file_response(f, content_type);
            }
        }
    }
    not_found()
}
