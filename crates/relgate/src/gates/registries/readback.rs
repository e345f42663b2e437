//! The `registry-readback` gate: every registry serves exactly the local bytes.

use std::path::PathBuf;
use std::sync::Arc;

use artidigest::{Algorithm, Digest};
use regclient::{PublishedFile, ReadbackError};
use serde_json::{Value, json};

use crate::artifact_names::served_as;
use crate::artifacts::local_artifacts;
use crate::finding::{Code, Finding};
use crate::gate::{GateContext, GateResult, StandardGate};
use crate::gates::declare::{Checked, unit_gate};
use crate::gates::registries::common::{
    gate_error, lookups, scratch_dir, setup, sha256_of, version_evidence,
};
use crate::policy::model::{ArtifactKind, RegistryKind};
use crate::registry_client::{Job, Target, chain, fetch, run_blocking_all};

unit_gate! {
    /// Every registry serves exactly the local artifacts of the kinds its rule lists: each served
    /// file is downloaded (streamed, checked against the registry's own digests) and compared with
    /// the local file: `registry-bytes-differ`, `digest-mismatch` (served bytes are not what the
    /// registry claims), `registry-file-missing` (a local artifact or the version is not served).
    RegistryReadbackGate = "registry-readback", async readback
}

/// Sets `key` on the JSON object `row` (a row is always an object; anything else is left).
fn set(row: &mut Value, key: &str, value: Value) {
    if let Some(obj) = row.as_object_mut() {
        obj.insert(key.to_owned(), value);
    }
}

/// One download of `registry-readback`: a served file and the local artifact it must equal.
struct Download {
    target: Target,
    file: PublishedFile,
    local: PathBuf,
}

/// What one download ended in.
enum Compared {
    Same {
        served: Digest,
        size: u64,
    },
    Differ {
        served: Digest,
        local: Digest,
        size: u64,
    },
    Failed(ReadbackError),
    LocalUnreadable(String),
}

async fn readback(ctx: &GateContext) -> Checked {
    let s = setup(ctx)?;
    let locals =
        local_artifacts(&ctx.policy, &ctx.release_dir).map_err(|e| GateResult::error(chain(&e)))?;
    let results = lookups(ctx, &s, |_| true).await?;
    let v = &s.version;
    let mut findings = Vec::new();
    let mut versions = Vec::new();
    let mut downloads = Vec::new();
    for (t, r) in results {
        let subject = t.subject(v);
        let pv = match r {
            Ok(pv) => pv,
            Err(e) => {
                findings.push(gate_error(subject, e));
                continue;
            }
        };
        versions.push(version_evidence(&t, &pv));
        // An OCI registry serves a chart as a named file; images, SBOMs and provenance it
        // holds as manifests and referrers, not as local files.
        let kinds: Vec<ArtifactKind> = t
            .kinds()
            .into_iter()
            .filter(|k| t.rule.kind != RegistryKind::Oci || *k == ArtifactKind::HelmChart)
            .collect();
        // The local files of this registry's package (by each ecosystem's file names).
        let mine = t.own(&locals, v, &kinds);
        if !pv.state.is_served() {
            findings.push(
                Finding::new(Code::RegistryFileMissing, subject)
                    .expected(format!("{} {v} served by {}", t.rule.package, t.name))
                    .found(format!("the version is {}", pv.state))
                    .hint("publish the release to this registry (or check the package name in the policy)"),
            );
            continue;
        }
        // A file the registry serves for the version that is not part of the release
        // (an index accepts new files for an existing version) is not the release's.
        if matches!(
            t.rule.kind,
            RegistryKind::Pypi | RegistryKind::Cargo | RegistryKind::Npm
        ) {
            for f in &pv.files {
                let ours = mine
                    .iter()
                    .any(|a| a.path.rsplit('/').next() == Some(f.name.as_str()));
                if !ours {
                    findings.push(
                        Finding::new(
                            Code::RegistryBytesDiffer,
                            format!("{} on {}", f.name, t.name),
                        )
                        .expected(format!(
                            "only the release's files for {} {v}",
                            t.rule.package
                        ))
                        .found("served, but not among the release's artifacts")
                        .hint("find out who uploaded it; yank the version if it is not yours"),
                    );
                }
            }
        }
        for a in mine {
            let name = a.path.rsplit('/').next().unwrap_or(&a.path);
            // A proxy serves a module zip as `vX.Y.Z.zip`; the release may name its
            // copy `<anything>-vX.Y.Z.zip`.
            let served = pv.file(name).or_else(|| {
                (a.kind == ArtifactKind::GoModule)
                    .then(|| pv.files.iter().find(|f| served_as(name, &f.name)))
                    .flatten()
            });
            match served {
                Some(f) => downloads.push(Download {
                    target: t.clone(),
                    file: f.clone(),
                    local: ctx.release_dir.join(&a.path),
                }),
                None => findings.push(
                    Finding::new(Code::RegistryFileMissing, format!("{name} on {}", t.name))
                        .expected(format!("{name} among the files of {} {v}", t.rule.package))
                        .found(format!(
                            "served: {}",
                            if pv.files.is_empty() {
                                String::from("no file")
                            } else {
                                pv.files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
                            }
                        ))
                        .hint("upload the missing file (the version may have been published incompletely)"),
                ),
            }
        }
    }
    let scratch = match scratch_dir(ctx, ".relgate-readback-") {
        Ok(d) => Arc::new(d),
        Err(e) => {
            return Err(GateResult::error(format!(
                "cannot create a download folder: {e}"
            )));
        }
    };
    let jobs: Vec<Job<Compared>> = downloads
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let (ctx, http, scratch) = (ctx.clone(), s.http.clone(), Arc::clone(&scratch));
            let (file, local, registry) = (d.file.clone(), d.local.clone(), d.target.name.clone());
            Box::new(move || {
                // One folder per download: two registries may serve the same name.
                let dir = scratch.path().join(i.to_string());
                if let Err(e) = std::fs::create_dir(&dir) {
                    return Compared::LocalUnreadable(format!("{}: {e}", dir.display()));
                }
                let local_size = std::fs::metadata(&local).ok().map(|m| m.len());
                // A registry that claims no digest (a Go module proxy) is held to the
                // local file's: the download must be those bytes.
                let mut file = file;
                let claimless = file.digests.is_empty();
                if claimless {
                    match sha256_of(&local) {
                        Ok(l) => file.digests.push(l),
                        Err(e) => return Compared::LocalUnreadable(e),
                    }
                }
                let fetched = match fetch(
                    &ctx,
                    RegistryReadbackGate::ID,
                    &http,
                    &registry,
                    &file,
                    &dir,
                    local_size,
                ) {
                    Ok(f) => f,
                    Err(ReadbackError::DigestMismatch { source, .. }) if claimless => {
                        return Compared::Differ {
                            served: source.actual,
                            local: source.expected,
                            size: 0,
                        };
                    }
                    Err(e) => return Compared::Failed(e),
                };
                let _ = std::fs::remove_file(&fetched.path);
                let Some(served) = fetched.computed.get(Algorithm::Sha256).copied() else {
                    return Compared::LocalUnreadable(String::from(
                        "sha256 of the download not computed",
                    ));
                };
                let size = fetched.computed.size();
                match sha256_of(&local) {
                    Ok(l) if l == served => Compared::Same { served, size },
                    Ok(l) => Compared::Differ {
                        served,
                        local: l,
                        size,
                    },
                    Err(e) => Compared::LocalUnreadable(e),
                }
            }) as Job<Compared>
        })
        .collect();
    let compared = run_blocking_all(ctx, jobs)
        .await
        .map_err(GateResult::error)?;
    let mut files = Vec::new();
    for (d, c) in downloads.iter().zip(compared) {
        let subject = format!("{} on {}", d.file.name, d.target.name);
        let mut row = json!({
            "registry": d.target.name,
            "name": d.file.name,
            "claimed": d.file.digests.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
        });
        match c {
            Compared::Same { served, size } => {
                set(&mut row, "outcome", json!("same"));
                set(&mut row, "size", json!(size));
                set(&mut row, "sha256", json!(served.to_string()));
            }
            Compared::Differ {
                served,
                local,
                size,
            } => {
                set(&mut row, "outcome", json!("differ"));
                set(&mut row, "size", json!(size));
                set(&mut row, "sha256", json!(served.to_string()));
                set(&mut row, "local_sha256", json!(local.to_string()));
                findings.push(
                    Finding::new(Code::RegistryBytesDiffer, subject)
                        .expected(format!("local {local}"))
                        .found(format!("served {served}"))
                        .hint("the registry holds other bytes than the attested release: yank that version and release a patch version"),
                );
            }
            Compared::Failed(e) => {
                set(&mut row, "outcome", json!("failed"));
                set(&mut row, "error", json!(chain(&e)));
                let f = match &e {
                    ReadbackError::DigestMismatch { source, .. } => {
                        Finding::new(Code::DigestMismatch, subject)
                            .expected(format!("the registry's claim {}", source.expected))
                            .found(format!("served bytes hash to {}", source.actual))
                    }
                    ReadbackError::SizeMismatch {
                        expected, actual, ..
                    } => Finding::new(Code::DigestMismatch, subject)
                        .expected(format!("{expected} bytes, as the registry claims"))
                        .found(format!("{actual} bytes served")),
                    _ => gate_error(subject, chain(&e)),
                };
                findings.push(f);
            }
            Compared::LocalUnreadable(e) => {
                set(&mut row, "outcome", json!("failed"));
                set(&mut row, "error", json!(e.clone()));
                findings.push(gate_error(subject, e));
            }
        }
        files.push(row);
    }
    Ok(GateResult::from_findings(findings)
        .with_evidence("registries", Value::from(versions))
        .with_evidence("files", Value::from(files)))
}
