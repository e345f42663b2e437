//! A real OCI registry for tests (feature `test-registry`): Debian's `docker-registry`
//! (CNCF distribution 2.8) started on a free loopback port with its storage in a temporary
//! folder and stopped on drop, plus push helpers that speak the distribution API (monolithic
//! blob uploads, manifest `PUT`s) to fill it with images, multi-platform indexes, Helm charts
//! and cosign signature tags.
//!
//! This is test support: it writes to a registry, which `regclient` itself never does.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use artidigest::{Algorithm, Digest};
use serde_json::{Value, json};

use crate::oci::{HELM_CHART, HELM_CONFIG, OCI_INDEX, OCI_MANIFEST, fallback_tag};

/// Why the test registry could not be started or filled.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum TestRegistryError {
    /// The `docker-registry` binary is not installed.
    #[error("docker-registry not found at {path} (run scripts/install-test-servers.sh)")]
    NotInstalled {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// Starting it failed or it did not answer in time.
    #[error("docker-registry did not start: {reason}")]
    Start {
        /// Why.
        reason: String,
    },
    /// A push was refused.
    #[error("{what}: {reason}")]
    Push {
        /// What was pushed.
        what: String,
        /// The status and body, or the transport error.
        reason: String,
    },
}

/// A running `docker-registry`, stopped and deleted on drop.
#[derive(Debug)]
pub struct TestRegistry {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
    agent: ureq::Agent,
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The binary: `RELKIT_DOCKER_REGISTRY`, else `/usr/bin/docker-registry`.
pub fn docker_registry_bin() -> PathBuf {
    std::env::var_os("RELKIT_DOCKER_REGISTRY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/docker-registry"))
}

fn push_err(what: impl Into<String>) -> impl Fn(String) -> TestRegistryError {
    let what = what.into();
    move |reason| TestRegistryError::Push {
        what: what.clone(),
        reason,
    }
}

/// A descriptor: media type, digest, size.
fn descriptor(media_type: &str, digest: &Digest, size: usize) -> Value {
    json!({"mediaType": media_type, "digest": digest.to_oci(), "size": size})
}

impl TestRegistry {
    /// Starts `bin` serving on a free loopback port, waiting up to 20 s for `/v2/`.
    pub fn start(bin: &Path) -> Result<TestRegistry, TestRegistryError> {
        if !bin.exists() {
            return Err(TestRegistryError::NotInstalled {
                path: bin.to_owned(),
            });
        }
        let start_err = |reason: String| TestRegistryError::Start { reason };
        let dir = tempfile::tempdir().map_err(|e| start_err(e.to_string()))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| start_err(e.to_string()))?
            .port();
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
                dir.path().join("data").display()
            ),
        )
        .map_err(|e| start_err(e.to_string()))?;
        let child = Command::new(bin)
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| start_err(format!("{}: {e}", bin.display())))?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .proxy(None)
            .build()
            .into();
        let mut reg = TestRegistry {
            child,
            base: format!("http://127.0.0.1:{port}/"),
            _dir: dir,
            agent,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if reg.agent.get(format!("{}v2/", reg.base)).call().is_ok() {
                return Ok(reg);
            }
            if let Ok(Some(status)) = reg.child.try_wait() {
                return Err(start_err(format!("exited early with {status}")));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(start_err(format!(
            "{}v2/ did not answer within 20 s",
            reg.base
        )))
    }

    /// The registry root, `http://127.0.0.1:PORT/`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Uploads `bytes` as a blob of `repo` (monolithic upload: `POST` then `PUT ?digest=`).
    pub fn push_blob(&self, repo: &str, bytes: &[u8]) -> Result<Digest, TestRegistryError> {
        let err = push_err(format!("blob upload to {repo}"));
        let resp = self
            .agent
            .post(format!("{}v2/{repo}/blobs/uploads/", self.base))
            .send_empty()
            .map_err(|e| err(e.to_string()))?;
        if resp.status().as_u16() != 202 {
            return Err(err(format!("POST answered {}", resp.status())));
        }
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| err("no Location header".to_owned()))?
            .to_owned();
        let location = if location.starts_with('/') {
            format!("{}{}", self.base.trim_end_matches('/'), location)
        } else {
            location
        };
        let d = Digest::of(Algorithm::Sha256, bytes);
        let sep = if location.contains('?') { '&' } else { '?' };
        let put = self
            .agent
            .put(format!("{location}{sep}digest={}", d.to_oci()))
            .header("Content-Type", "application/octet-stream")
            .send(bytes)
            .map_err(|e| err(e.to_string()))?;
        if put.status().as_u16() != 201 {
            return Err(err(format!("PUT answered {}", put.status())));
        }
        Ok(d)
    }

    /// Puts `manifest` (its `mediaType` is the content type) under `reference` (a tag), or
    /// under its own digest when `None`; returns its descriptor.
    pub fn push_manifest(
        &self,
        repo: &str,
        reference: Option<&str>,
        manifest: &Value,
    ) -> Result<Value, TestRegistryError> {
        let bytes = serde_json::to_vec(manifest).map_err(|e| TestRegistryError::Push {
            what: format!("manifest for {repo}"),
            reason: e.to_string(),
        })?;
        let d = Digest::of(Algorithm::Sha256, &bytes);
        let media_type = manifest["mediaType"].as_str().unwrap_or(OCI_MANIFEST);
        let r = reference.map_or_else(|| d.to_oci(), str::to_owned);
        let err = push_err(format!("manifest {repo}:{r}"));
        let resp = self
            .agent
            .put(format!("{}v2/{repo}/manifests/{r}", self.base))
            .header("Content-Type", media_type)
            .send(&bytes[..])
            .map_err(|e| err(e.to_string()))?;
        if resp.status().as_u16() != 201 {
            let status = resp.status();
            let body = resp.into_body().read_to_string().unwrap_or_default();
            return Err(err(format!("PUT answered {status}: {body}")));
        }
        Ok(descriptor(media_type, &d, bytes.len()))
    }

    /// Pushes a small image for `os/arch` (config + one layer); returns its descriptor with
    /// the platform filled in, ready for an index.
    pub fn push_image(&self, repo: &str, platform: &str) -> Result<Value, TestRegistryError> {
        let image = image_content(repo, platform)?;
        self.push_blob(repo, image.config.as_bytes())?;
        self.push_blob(repo, image.layer.as_bytes())?;
        let mut d = self.push_manifest(repo, None, &image.manifest)?;
        d["platform"] = image.platform;
        Ok(d)
    }

    /// Pushes an image index holding one image per platform (`linux/amd64`, …) and tags it
    /// with every tag in `tags`; returns the index digest (the one [`index_digest`] predicts).
    pub fn push_index(
        &self,
        repo: &str,
        platforms: &[&str],
        tags: &[&str],
    ) -> Result<Digest, TestRegistryError> {
        let manifests = platforms
            .iter()
            .map(|p| self.push_image(repo, p))
            .collect::<Result<Vec<_>, _>>()?;
        let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests});
        let mut digest = None;
        for tag in tags {
            let d = self.push_manifest(repo, Some(tag), &index)?;
            digest = Some(d);
        }
        let d = match digest {
            Some(d) => d,
            None => self.push_manifest(repo, None, &index)?,
        };
        Digest::from_oci(d["digest"].as_str().unwrap_or_default()).map_err(|e| {
            TestRegistryError::Push {
                what: format!("index {repo}"),
                reason: e.to_string(),
            }
        })
    }

    /// Pushes a Helm chart (`chart_tgz`) as an OCI artifact tagged `version`.
    pub fn push_chart(
        &self,
        repo: &str,
        version: &str,
        chart_tgz: &[u8],
    ) -> Result<Value, TestRegistryError> {
        let name = repo.rsplit('/').next().unwrap_or(repo);
        let config =
            format!("{{\"name\":\"{name}\",\"version\":\"{version}\",\"apiVersion\":\"v2\"}}");
        let config_digest = self.push_blob(repo, config.as_bytes())?;
        let chart_digest = self.push_blob(repo, chart_tgz)?;
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": descriptor(HELM_CONFIG, &config_digest, config.len()),
            "layers": [descriptor(HELM_CHART, &chart_digest, chart_tgz.len())],
        });
        self.push_manifest(repo, Some(version), &manifest)
    }

    /// Pushes a cosign-style signature for `subject` under the legacy `sha256-<hex>.sig` tag
    /// (`payload` is the simple-signing JSON cosign signs).
    pub fn push_cosign_signature(
        &self,
        repo: &str,
        subject: &Digest,
        payload: &[u8],
    ) -> Result<Value, TestRegistryError> {
        let config = b"{}";
        let config_digest = self.push_blob(repo, config)?;
        let payload_digest = self.push_blob(repo, payload)?;
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": descriptor("application/vnd.oci.image.config.v1+json", &config_digest, config.len()),
            "layers": [descriptor(crate::oci::COSIGN_SIMPLESIGNING, &payload_digest, payload.len())],
        });
        self.push_manifest(
            repo,
            Some(&format!("{}.sig", fallback_tag(subject))),
            &manifest,
        )
    }
}

/// The bytes of the small image [`TestRegistry::push_image`] pushes for `platform`.
struct ImageContent {
    config: String,
    layer: String,
    manifest: Value,
    platform: Value,
}

fn image_content(repo: &str, platform: &str) -> Result<ImageContent, TestRegistryError> {
    let (os, arch) = platform.split_once('/').unwrap_or(("linux", platform));
    let config = format!(
        "{{\"architecture\":\"{arch}\",\"os\":\"{os}\",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[]}}}}"
    );
    let layer = format!("layer of {repo} for {platform}");
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor("application/vnd.oci.image.config.v1+json", &Digest::of(Algorithm::Sha256, config.as_bytes()), config.len()),
        "layers": [descriptor("application/vnd.oci.image.layer.v1.tar+gzip", &Digest::of(Algorithm::Sha256, layer.as_bytes()), layer.len())],
    });
    Ok(ImageContent {
        config,
        layer,
        manifest,
        platform: json!({"os": os, "architecture": arch}),
    })
}

/// The digest of the index [`TestRegistry::push_index`] pushes for `repo` and `platforms`,
/// computed without a registry (the content is deterministic): what a build knows before it
/// pushes, and what its provenance names.
pub fn index_digest(repo: &str, platforms: &[&str]) -> Result<Digest, TestRegistryError> {
    let mut manifests = Vec::new();
    for p in platforms {
        let image = image_content(repo, p)?;
        let bytes = serde_json::to_vec(&image.manifest).map_err(|e| TestRegistryError::Push {
            what: format!("manifest for {repo}"),
            reason: e.to_string(),
        })?;
        let mut d = descriptor(
            OCI_MANIFEST,
            &Digest::of(Algorithm::Sha256, &bytes),
            bytes.len(),
        );
        d["platform"] = image.platform;
        manifests.push(d);
    }
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests});
    let bytes = serde_json::to_vec(&index).map_err(|e| TestRegistryError::Push {
        what: format!("index for {repo}"),
        reason: e.to_string(),
    })?;
    Ok(Digest::of(Algorithm::Sha256, &bytes))
}
