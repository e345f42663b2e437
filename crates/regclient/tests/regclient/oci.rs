//! OCI: a real Debian `docker-registry` (distribution 2.8) on a free loopback port for
//! manifests, indexes, Helm charts, cosign tags and the fallback referrers tag; an in-process
//! faithful server for the referrers API and bearer-token authentication.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use artidigest::Digest;
use regclient::oci::{
    self, ArtifactKind, Error, OciRegistry, Platform, ReferrersSource, fallback_tag,
};
use regclient::{HttpError, Secret};
use serde_json::{Value, json};

use regclient::testing::{TestRegistry, docker_registry_bin};

use crate::support::*;

fn start_registry() -> Option<TestRegistry> {
    let bin = require_server("docker-registry", docker_registry_bin())?;
    Some(TestRegistry::start(&bin).unwrap())
}

fn push_blob(r: &TestRegistry, repo: &str, bytes: &[u8]) -> Value {
    let d = r.push_blob(repo, bytes).unwrap();
    json!({"digest": d.to_string(), "size": bytes.len()})
}

fn desc(media_type: &str, blob: &Value) -> Value {
    json!({"mediaType": media_type, "digest": blob["digest"], "size": blob["size"]})
}

/// Pushes a manifest; returns its descriptor.
fn push_manifest(r: &TestRegistry, repo: &str, reference: Option<&str>, manifest: &Value) -> Value {
    r.push_manifest(repo, reference, manifest).unwrap()
}

fn image(r: &TestRegistry, repo: &str, arch: &str) -> Value {
    let config = push_blob(r, repo, format!("{{\"architecture\":\"{arch}\",\"os\":\"linux\",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[]}}}}").as_bytes());
    let layer = push_blob(r, repo, format!("layer for {arch}").as_bytes());
    let m = json!({"schemaVersion": 2, "mediaType": oci::OCI_MANIFEST,
        "config": desc("application/vnd.oci.image.config.v1+json", &config),
        "layers": [desc("application/vnd.oci.image.layer.v1.tar+gzip", &layer)]});
    push_manifest(r, repo, None, &m)
}

fn artifact(
    r: &TestRegistry,
    repo: &str,
    subject: Option<&Value>,
    artifact_type: Option<&str>,
    layer_type: &str,
    content: &[u8],
    tag: Option<&str>,
) -> Value {
    let empty = push_blob(r, repo, b"{}");
    let layer = push_blob(r, repo, content);
    let mut m = json!({"schemaVersion": 2, "mediaType": oci::OCI_MANIFEST,
        "config": desc("application/vnd.oci.empty.v1+json", &empty),
        "layers": [desc(layer_type, &layer)]});
    if let Some(s) = subject {
        m["subject"] = s.clone();
    }
    if let Some(t) = artifact_type {
        m["artifactType"] = json!(t);
    }
    let mut d = push_manifest(r, repo, tag, &m);
    if let Some(t) = artifact_type {
        d["artifactType"] = json!(t);
    }
    d
}

fn digest_of(d: &Value) -> Digest {
    Digest::from_oci(d["digest"].as_str().unwrap()).unwrap()
}

#[test]
fn docker_registry_images_charts_cosign_and_fallback_referrers() {
    let Some(r) = start_registry() else {
        return;
    };
    let r = &r;
    let base = r.base();
    let repo = "team/app";
    let amd = image(r, repo, "amd64");
    let arm = image(r, repo, "arm64");
    let mut e1 = amd.clone();
    e1["platform"] = json!({"os": "linux", "architecture": "amd64"});
    let mut e2 = arm.clone();
    e2["platform"] = json!({"os": "linux", "architecture": "arm64", "variant": "v8"});
    let index = push_manifest(
        r,
        repo,
        Some("1.2.3"),
        &json!({"schemaVersion": 2, "mediaType": oci::OCI_INDEX, "manifests": [e1, e2]}),
    );

    let reg = OciRegistry::new(client(), base).unwrap();
    // Tag -> digest, platforms, kinds.
    assert_eq!(reg.resolve(repo, "1.2.3").unwrap(), Some(digest_of(&index)));
    let platforms = reg.platforms(repo, "1.2.3").unwrap();
    assert_eq!(
        platforms,
        vec![
            "linux/amd64".parse::<Platform>().unwrap(),
            "linux/arm64/v8".parse().unwrap()
        ]
    );
    let m = reg.manifest(repo, "1.2.3").unwrap().unwrap();
    assert_eq!(m.kind(), ArtifactKind::Index);
    let img = reg.manifest_for(repo, &m.manifest.manifests[0]).unwrap();
    assert_eq!(img.kind(), ArtifactKind::Image);
    assert!(reg.resolve(repo, "9.9.9").unwrap().is_none());
    assert!(!reg.exists(repo, "9.9.9").unwrap());
    assert!(matches!(
        reg.manifest("Team/App", "1"),
        Err(Error::Invalid { .. })
    ));

    // Helm chart artifact: the chart layer is a file of the version, downloaded verified.
    let chart_repo = "team/charts/demo";
    let chart_bytes = b"\x1f\x8b pretend chart tarball demo-0.1.0".repeat(40);
    let cfg = push_blob(
        r,
        chart_repo,
        br#"{"name":"demo","version":"0.1.0","apiVersion":"v2"}"#,
    );
    let layer = push_blob(r, chart_repo, &chart_bytes);
    push_manifest(
        r,
        chart_repo,
        Some("0.1.0"),
        &json!({"schemaVersion": 2, "mediaType": oci::OCI_MANIFEST,
        "config": desc(oci::HELM_CONFIG, &cfg), "layers": [desc(oci::HELM_CHART, &layer)],
        "annotations": {"org.opencontainers.image.version": "0.1.0"}}),
    );
    let chart = reg.manifest(chart_repo, "0.1.0").unwrap().unwrap();
    assert_eq!(chart.kind(), ArtifactKind::HelmChart);
    let pv = reg.version(chart_repo, "0.1.0").unwrap();
    assert_eq!(pv.files.len(), 2);
    assert_eq!(pv.files[1].name, "demo-0.1.0.tgz");
    let dir = tempfile::tempdir().unwrap();
    let got = reg
        .fetch_blob(
            chart_repo,
            &chart.manifest.layers[0],
            dir.path(),
            "demo-0.1.0.tgz",
        )
        .unwrap();
    assert_eq!(std::fs::read(got.path).unwrap(), chart_bytes);
    let fetched = regclient::fetch_all(
        &client(),
        &pv.files,
        dir.path(),
        regclient::FetchOptions::default(),
    );
    assert!(fetched.iter().all(Result::is_ok), "{fetched:?}");

    // cosign legacy tags, classified by media type.
    let sub = digest_of(&amd);
    let tag = fallback_tag(&sub);
    artifact(
        r,
        repo,
        None,
        None,
        oci::COSIGN_SIMPLESIGNING,
        b"{\"critical\":{}}",
        Some(&format!("{tag}.sig")),
    );
    artifact(
        r,
        repo,
        None,
        None,
        oci::DSSE_ENVELOPE,
        b"{\"payloadType\":\"application/vnd.in-toto+json\"}",
        Some(&format!("{tag}.att")),
    );
    artifact(
        r,
        repo,
        None,
        None,
        "text/spdx+json",
        b"{\"spdxVersion\":\"SPDX-2.3\"}",
        Some(&format!("{tag}.sbom")),
    );

    // No referrers yet: the registry has no referrers API (404) and no fallback tag.
    let refs = reg.referrers(repo, &sub, None).unwrap();
    assert_eq!(refs.source, ReferrersSource::FallbackTag);
    assert!(refs.descriptors.is_empty());

    // A sigstore v0.3 bundle referrer, listed in the fallback tag index as clients push it.
    let bundle = artifact(
        r,
        repo,
        Some(&amd),
        Some(oci::SIGSTORE_BUNDLE_V03),
        "application/vnd.dev.sigstore.bundle.v0.3+json",
        b"{\"mediaType\":\"bundle\"}",
        None,
    );
    push_manifest(
        r,
        repo,
        Some(&tag),
        &json!({"schemaVersion": 2, "mediaType": oci::OCI_INDEX, "manifests": [bundle.clone()]}),
    );
    let refs = reg
        .referrers(repo, &sub, Some(oci::SIGSTORE_BUNDLE_V03))
        .unwrap();
    assert_eq!(refs.source, ReferrersSource::FallbackTag);
    assert_eq!(refs.descriptors.len(), 1);
    assert_eq!(refs.descriptors[0].digest, digest_of(&bundle));
    assert!(
        reg.referrers(repo, &sub, Some("application/other"))
            .unwrap()
            .descriptors
            .is_empty()
    );
    let c = reg.cosign(repo, &sub).unwrap();
    assert_eq!(c.signature.unwrap().1, ArtifactKind::CosignSignature);
    assert_eq!(c.attestation.unwrap().1, ArtifactKind::Attestation);
    assert_eq!(c.sbom.unwrap().1, ArtifactKind::Sbom);
    assert_eq!(c.bundles.len(), 1);
    let bundle_manifest = reg.manifest_for(repo, &refs.descriptors[0]).unwrap();
    assert_eq!(bundle_manifest.kind(), ArtifactKind::SigstoreBundle);

    // A fallback index for the arm64 image that lists the amd64 image's referrer is refused.
    let arm_sub = digest_of(&arm);
    push_manifest(
        r,
        repo,
        Some(&fallback_tag(&arm_sub)),
        &json!({"schemaVersion": 2, "mediaType": oci::OCI_INDEX, "manifests": [bundle]}),
    );
    match reg.referrers(repo, &arm_sub, None).unwrap_err() {
        Error::ForeignReferrer { subject, found, .. } => {
            assert_eq!(subject, arm_sub);
            assert_eq!(found, Some(sub));
        }
        e => panic!("{e:?}"),
    }
}

/// A faithful in-process registry: bearer-token auth, manifests by tag and digest with
/// `Docker-Content-Digest`, and the referrers API with `artifactType` filtering.
struct Faithful {
    server: TestServer,
    subject: Digest,
}

/// Manifest bytes and media type.
type Stored = (Vec<u8>, String);

const GOOD_TOKEN: &str = "registry-token-abcdef123";

fn faithful(require_basic: bool, lie_about_digest: bool) -> Faithful {
    let manifests: Arc<Mutex<HashMap<String, Stored>>> = Arc::default();
    let image = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": oci::OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(b"cfg").to_string(), "size": 3},
        "layers": []})).unwrap();
    let subject = sha256(&image);
    let referrer = |at: &str| {
        serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": oci::OCI_MANIFEST, "artifactType": at,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha256(b"{}").to_string(), "size": 2},
            "layers": [], "subject": {"mediaType": oci::OCI_MANIFEST, "digest": subject.to_string(), "size": image.len()}})).unwrap()
    };
    let r1 = referrer(oci::SIGSTORE_BUNDLE_V03);
    let r2 = referrer("application/spdx+json");
    {
        let mut m = manifests.lock().unwrap();
        for (b, mt) in [
            (&image, oci::OCI_MANIFEST),
            (&r1, oci::OCI_MANIFEST),
            (&r2, oci::OCI_MANIFEST),
        ] {
            m.insert(sha256(b).to_string(), (b.clone(), mt.to_owned()));
        }
        m.insert(
            "1.0.0".into(),
            (image.clone(), oci::OCI_MANIFEST.to_owned()),
        );
    }
    let refs = [
        (r1, oci::SIGSTORE_BUNDLE_V03),
        (r2, "application/spdx+json"),
    ];
    let addr_cell: Arc<Mutex<String>> = Arc::default();
    let cell = Arc::clone(&addr_cell);
    let server = TestServer::start(move |req| {
        let host = cell.lock().unwrap().clone();
        if let Some(q) = req.path.strip_prefix("/token?") {
            if require_basic {
                use base64::Engine as _;
                let want = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode("ci:pat-secret-987")
                );
                if req.header("authorization") != Some(want.as_str()) {
                    return Reply::json(401, &json!({"errors": [{"code": "UNAUTHORIZED"}]}));
                }
            }
            assert!(q.contains("scope=repository%3Ateam%2Fapp%3Apull"), "{q}");
            return Reply::json(200, &json!({"token": GOOD_TOKEN, "expires_in": 300}));
        }
        if req.header("authorization") != Some(&format!("Bearer {GOOD_TOKEN}")) {
            return Reply::json(401, &json!({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}))
                .with_header("WWW-Authenticate", &format!("Bearer realm=\"http://{host}/token\",service=\"faithful\",scope=\"repository:team/app:pull\""));
        }
        let path = req.path.as_str();
        if let Some(rest) = path.strip_prefix("/v2/team/app/manifests/") {
            let m = manifests.lock().unwrap();
            return match m.get(rest) {
                Some((b, mt)) => {
                    let dcd = if lie_about_digest {
                        sha256(b"something else")
                    } else {
                        sha256(b)
                    };
                    Reply::ok(b.clone())
                        .with_header("Content-Type", mt)
                        .with_header("Docker-Content-Digest", &dcd.to_string())
                }
                None => Reply::json(404, &json!({"errors": [{"code": "MANIFEST_UNKNOWN"}]})),
            };
        }
        if let Some(rest) = path.strip_prefix("/v2/team/app/referrers/") {
            let (dig, query) = rest.split_once('?').unwrap_or((rest, ""));
            let filter = query
                .strip_prefix("artifactType=")
                .map(|t| t.replace("%2B", "+").replace("%2F", "/"));
            let entries: Vec<Value> = refs
                .iter()
                .filter(|_| dig == subject.to_string())
                .filter(|(_, at)| filter.as_deref().is_none_or(|f| f == *at))
                .map(|(b, at)| json!({"mediaType": oci::OCI_MANIFEST, "digest": sha256(b).to_string(), "size": b.len(), "artifactType": at}))
                .collect();
            let mut reply = Reply::json(
                200,
                &json!({"schemaVersion": 2, "mediaType": oci::OCI_INDEX, "manifests": entries}),
            )
            .with_header("Content-Type", oci::OCI_INDEX);
            if filter.is_some() {
                reply = reply.with_header("OCI-Filters-Applied", "artifactType");
            }
            return reply;
        }
        Reply::json(404, &json!({"errors": [{"code": "NAME_UNKNOWN"}]}))
    });
    *addr_cell.lock().unwrap() = server.addr.to_string();
    Faithful { server, subject }
}

#[test]
fn referrers_api_with_anonymous_token() {
    let f = faithful(false, false);
    let reg = OciRegistry::new(client(), &f.server.url("/")).unwrap();
    let all = reg.referrers("team/app", &f.subject, None).unwrap();
    assert_eq!(all.source, ReferrersSource::Api);
    assert_eq!(all.descriptors.len(), 2);
    let bundles = reg
        .referrers("team/app", &f.subject, Some(oci::SIGSTORE_BUNDLE_V03))
        .unwrap();
    assert_eq!(bundles.descriptors.len(), 1);
    let c = reg.cosign("team/app", &f.subject).unwrap();
    assert!(c.signature.is_none() && c.attestation.is_none());
    assert_eq!(c.bundles.len(), 1);
    assert_eq!(reg.resolve("team/app", "1.0.0").unwrap(), Some(f.subject));
    // Anonymous: the token request carried no credentials.
    let token_reqs: Vec<_> = f
        .server
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/token"))
        .collect();
    assert!(!token_reqs.is_empty());
    assert!(
        token_reqs
            .iter()
            .all(|r| r.header("authorization").is_none())
    );
}

#[test]
fn bearer_token_from_basic_credentials_and_refusals() {
    let f = faithful(true, false);
    let reg = OciRegistry::new(client(), &f.server.url("/"))
        .unwrap()
        .with_basic("ci", Secret::new("pat-secret-987"));
    assert_eq!(reg.resolve("team/app", "1.0.0").unwrap(), Some(f.subject));
    // Wrong password: a typed auth/HTTP error that shows neither secret.
    let bad = OciRegistry::new(client(), &f.server.url("/"))
        .unwrap()
        .with_basic("ci", Secret::new("wrong-password-1"));
    let err = bad.resolve("team/app", "1.0.0").unwrap_err();
    match &err {
        Error::Http { source, .. } => assert_eq!(source.status(), Some(401)),
        e => panic!("{e:?}"),
    }
    let text = format!("{err} {err:?} {reg:?}");
    assert!(
        !text.contains("wrong-password-1")
            && !text.contains("pat-secret-987")
            && !text.contains(GOOD_TOKEN),
        "{text}"
    );
}

#[test]
fn wrong_docker_content_digest_is_refused() {
    let f = faithful(false, true);
    let reg = OciRegistry::new(client(), &f.server.url("/")).unwrap();
    match reg.manifest("team/app", "1.0.0").unwrap_err() {
        Error::DigestMismatch {
            what,
            expected,
            actual,
            ..
        } => {
            assert_eq!(what, "Docker-Content-Digest");
            assert_eq!(expected, sha256(b"something else"));
            assert_eq!(actual, f.subject);
        }
        e => panic!("{e:?}"),
    }
    // Asking by a digest that the bytes do not have is refused too.
    let other = sha256(b"not this one");
    let f2 = faithful(false, false);
    let reg2 = OciRegistry::new(client(), &f2.server.url("/")).unwrap();
    assert!(
        reg2.manifest("team/app", &other.to_string())
            .unwrap()
            .is_none()
    );
    let _ = HttpError::status;
}

/// A loopback proxy in front of an upstream server: every request is forwarded, and `fault`
/// decides, from the request, its sequence number and the upstream's answer, what to return.
fn proxy(
    upstream: String,
    fault: impl Fn(&Req, usize, Reply) -> Reply + Send + Sync + 'static,
) -> TestServer {
    let n = std::sync::atomic::AtomicUsize::new(0);
    TestServer::start(move |req| {
        let i = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let a = agent();
        let url = format!("{upstream}{}", req.path.trim_start_matches('/'));
        let mut b = if req.method == "HEAD" {
            a.head(&url)
        } else {
            a.get(&url)
        };
        if let Some(acc) = req.header("accept") {
            b = b.header("Accept", acc);
        }
        let resp = b.call().unwrap();
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = ["content-type", "docker-content-digest"]
            .iter()
            .filter_map(|h| {
                resp.headers()
                    .get(*h)
                    .map(|v| ((*h).to_owned(), v.to_str().unwrap().to_owned()))
            })
            .collect();
        let body = if req.method == "HEAD" {
            Vec::new()
        } else {
            resp.into_body().read_to_vec().unwrap()
        };
        fault(
            req,
            i,
            Reply::Full {
                status,
                headers,
                body,
            },
        )
    })
}

#[test]
fn faults_injected_in_front_of_docker_registry() {
    let Some(r) = start_registry() else {
        return;
    };
    let r = &r;
    let repo = "team/app";
    let img = image(r, repo, "amd64");
    push_manifest(
        r,
        repo,
        Some("1.0.0"),
        &json!({"schemaVersion": 2, "mediaType": oci::OCI_INDEX, "manifests": [img.clone()]}),
    );
    let big = vec![42u8; 300_000];
    let blob = push_blob(r, repo, &big);
    let p = proxy(r.base().to_owned(), |req, i, fwd| {
        if i == 0 {
            return Reply::status(503, "warming up");
        }
        if i == 1 {
            return Reply::status(429, "slow down").with_header("Retry-After", "1");
        }
        if req.path.contains("/blobs/")
            && req.method == "GET"
            && let Reply::Full { body, .. } = fwd
        {
            return Reply::Truncate {
                declared: body.len() as u64,
                body: body[..body.len() / 2].to_vec(),
            };
        }
        fwd
    });
    let reg = OciRegistry::new(client(), &p.url("/")).unwrap();
    let t = std::time::Instant::now();
    // 503 then 429 (Retry-After: 1) are retried; the third attempt gets the real answer.
    let m = reg.manifest(repo, "1.0.0").unwrap().unwrap();
    assert!(t.elapsed() >= Duration::from_millis(950));
    assert_eq!(m.platforms().len(), 0);
    assert_eq!(m.manifest.manifests[0].digest, digest_of(&img));

    // A truncated blob body: typed error, nothing left behind.
    let dir = tempfile::tempdir().unwrap();
    let d: oci::Descriptor =
        serde_json::from_value(desc("application/octet-stream", &blob)).unwrap();
    match reg
        .fetch_blob(repo, &d, dir.path(), "blob.bin")
        .unwrap_err()
    {
        Error::Readback(regclient::ReadbackError::Http {
            source: HttpError::Truncated { expected, .. },
            ..
        }) => assert_eq!(expected, 300_000),
        e => panic!("{e:?}"),
    }
    assert!(dir_names(dir.path()).is_empty());

    // Waiting for a tag that is pushed while polling.
    let poll = regclient::crates::PollOptions::new(
        Duration::from_millis(100),
        Duration::from_millis(1500),
    );
    let err = reg.wait_for(repo, "late", poll).unwrap_err();
    assert!(
        matches!(&err, Error::NotVisible(nv) if nv.diagnosis.contains("404")),
        "{err:?}"
    );
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(200));
            push_manifest(r, repo, Some("late"), &json!({"schemaVersion": 2, "mediaType": oci::OCI_INDEX, "manifests": [img.clone()]}));
        });
        let poll = regclient::crates::PollOptions::new(
            Duration::from_millis(100),
            Duration::from_secs(10),
        );
        assert_eq!(
            reg.wait_for(repo, "late", poll)
                .unwrap()
                .manifest
                .manifests
                .len(),
            1
        );
    });
}

#[test]
fn lying_docker_content_digest_over_real_registry_bytes() {
    let Some(r) = start_registry() else {
        return;
    };
    let r = &r;
    let img = image(r, "team/app", "arm64");
    push_manifest(
        r,
        "team/app",
        Some("2.0.0"),
        &json!({"schemaVersion": 2, "mediaType": oci::OCI_INDEX, "manifests": [img]}),
    );
    let lie = sha256(b"a different manifest");
    let p = proxy(r.base().to_owned(), move |_, _, fwd| match fwd {
        Reply::Full {
            status,
            mut headers,
            body,
        } => {
            for h in headers
                .iter_mut()
                .filter(|(k, _)| k == "docker-content-digest")
            {
                h.1 = lie.to_string();
            }
            Reply::Full {
                status,
                headers,
                body,
            }
        }
        other => other,
    });
    let reg = OciRegistry::new(client(), &p.url("/")).unwrap();
    match reg.resolve("team/app", "2.0.0").unwrap_err() {
        Error::DigestMismatch {
            what: "Docker-Content-Digest",
            expected,
            ..
        } => assert_eq!(expected, lie),
        e => panic!("{e:?}"),
    }
}
