//! The registry client: token authentication, manifests, blobs, referrers and cosign artifacts.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Mutex;

use artidigest::{Algorithm, Digest};
use url::Url;

use super::error::Error;
use super::manifest::{
    ArtifactKind, CosignArtifacts, Descriptor, FetchedManifest, ImageConfig, Manifest, Platform,
    Referrers, ReferrersSource,
};
use super::names::{check_reference, check_repository, fallback_tag};
use super::{HELM_CHART, MAX_MANIFEST_BYTES, OCI_INDEX};
use crate::http::{
    HttpClient, HttpError, Method, Request, join, parse_base, parse_json, strip_userinfo,
};
use crate::model::{PublishedFile, PublishedVersion, RegistryKind, VersionState};
use crate::poll::{ClientError, Poll, wait_visible};
use crate::readback::{FetchOptions, FetchedFile, fetch_verified};
use crate::secret::{BaseUrl, Credential, Secret, redact_url};

const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// Parses `Bearer realm="…",service="…",scope="…"`.
fn parse_challenge(h: &str) -> Option<BTreeMap<String, String>> {
    let rest = h
        .trim()
        .strip_prefix("Bearer ")
        .or_else(|| h.trim().strip_prefix("bearer "))?;
    let mut out = BTreeMap::new();
    let mut s = rest.trim();
    while !s.is_empty() {
        let (k, after) = s.split_once('=')?;
        let after = after.trim_start();
        let (v, tail) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"')?;
            (q.get(..end)?, q.get(end + 1..)?)
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after.get(..end)?, after.get(end..)?)
        };
        out.insert(k.trim().to_ascii_lowercase(), v.to_owned());
        s = tail.trim_start().trim_start_matches(',').trim_start();
    }
    Some(out)
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// Status, the headers relkit reads, body, and the (redacted) final URL.
type Authed = (u16, Vec<(String, String)>, Vec<u8>, String);

/// A client for one OCI registry at a base URL given by the caller (`http(s)://host[:port]`).
#[derive(Debug)]
pub struct OciRegistry {
    http: HttpClient,
    base: BaseUrl,
    /// Basic credentials for the token endpoint, or a static bearer token.
    credential: Option<Credential>,
    tokens: Mutex<HashMap<String, Credential>>,
}

impl OciRegistry {
    /// A client for the registry at `base` (anonymous until credentials are given).
    pub fn new(http: HttpClient, base: &str) -> Result<Self, HttpError> {
        Ok(OciRegistry {
            http,
            base: BaseUrl(parse_base(base)?),
            credential: None,
            tokens: Mutex::new(HashMap::new()),
        })
    }

    /// User and password (or personal access token) for the registry's token endpoint.
    pub fn with_basic(mut self, user: &str, password: Secret) -> Self {
        let credential = Credential::Basic {
            user: user.to_owned(),
            password,
        };
        self.http.remember(&credential);
        self.credential = Some(credential);
        self
    }

    /// A ready bearer token, sent directly.
    pub fn with_bearer(mut self, token: Secret) -> Self {
        let credential = Credential::Bearer(token);
        self.http.remember(&credential);
        self.credential = Some(credential);
        self
    }

    fn url(&self, repo: &str, tail: &str) -> Result<Url, Error> {
        join(&self.base, &format!("v2/{repo}/{tail}")).map_err(Error::http_err(repo, tail))
    }

    /// The URL of a file this registry serves, without user info (credentials travel as
    /// headers, bound to this origin).
    fn file_url(&self, repo: &str, tail: &str) -> Result<String, Error> {
        let mut u = self.url(repo, tail)?;
        strip_userinfo(&mut u);
        Ok(u.to_string())
    }

    fn current_credential(&self, repo: &str) -> Option<Credential> {
        if let Some(t) = self.tokens.lock().ok().and_then(|m| m.get(repo).cloned()) {
            return Some(t);
        }
        match &self.credential {
            Some(c @ Credential::Bearer(_)) => Some(c.clone()),
            _ => None,
        }
    }

    /// Sends a GET/HEAD with token authentication: on a 401 Bearer challenge, fetches a
    /// token (anonymously, or with the Basic credentials) and tries once more.
    fn send_authed(
        &self,
        (repo, reference): (&str, &str),
        url: &Url,
        method: Method,
        accept: Option<&str>,
        pass: &[u16],
        limit: u64,
    ) -> Result<Authed, Error> {
        let mut pass_all: Vec<u16> = pass.to_vec();
        pass_all.push(401);
        for round in 0..2 {
            let cred = self.current_credential(repo);
            let req = Request {
                method: Some(method),
                accept,
                credential: cred.as_ref(),
                pass_statuses: &pass_all,
                limit: Some(limit),
                ..Request::default()
            };
            let mut resp = self
                .http
                .send(url, &req)
                .map_err(Error::http_err(repo, reference))?;
            let shown = redact_url(&resp.url);
            if resp.status == 401 && round == 0 {
                let challenge = resp.header("www-authenticate").unwrap_or("").to_owned();
                drop(resp);
                self.fetch_token(repo, url, &challenge)?;
                continue;
            }
            if resp.status == 401 {
                return Err(Error::Auth {
                    url: shown,
                    reason: "the registry refused the token".to_owned(),
                });
            }
            let headers = [
                "docker-content-digest",
                "content-type",
                "oci-filters-applied",
            ]
            .iter()
            .filter_map(|h| resp.header(h).map(|v| ((*h).to_owned(), v.to_owned())))
            .collect();
            let body = if method == Method::Head {
                Vec::new()
            } else {
                resp.body
                    .read_all()
                    .map_err(Error::http_err(repo, reference))?
            };
            return Ok((resp.status, headers, body, shown));
        }
        Err(Error::Auth {
            url: redact_url(url),
            reason: "no token after the challenge".to_owned(),
        })
    }

    fn fetch_token(&self, repo: &str, url: &Url, challenge: &str) -> Result<(), Error> {
        let auth_err = |reason: String| Error::Auth {
            url: redact_url(url),
            reason,
        };
        let params = parse_challenge(challenge)
            .ok_or_else(|| auth_err(format!("unsupported challenge {challenge:?}")))?;
        let realm = params
            .get("realm")
            .ok_or_else(|| auth_err("challenge without realm".to_owned()))?;
        let mut token_url = Url::parse(realm).map_err(|e| auth_err(format!("realm: {e}")))?;
        {
            let mut q = token_url.query_pairs_mut();
            if let Some(s) = params.get("service") {
                q.append_pair("service", s);
            }
            let scope = params
                .get("scope")
                .cloned()
                .unwrap_or_else(|| format!("repository:{repo}:pull"));
            q.append_pair("scope", &scope);
        }
        // Basic credentials go to the realm only if it is this registry's origin or https.
        let cred = match &self.credential {
            Some(c @ Credential::Basic { .. })
                if token_url.origin() == self.base.origin() || token_url.scheme() == "https" =>
            {
                Some(c)
            }
            _ => None,
        };
        let req = Request {
            accept: Some("application/json"),
            credential: cred,
            limit: Some(1024 * 1024),
            ..Request::default()
        };
        let (resp, body) = self
            .http
            .get_bytes(&token_url, &req)
            .map_err(Error::http_err(repo, "token"))?;
        let shown = redact_url(&resp.url);
        let t: TokenResponse = parse_json(&shown, &body, "a registry token response")
            .map_err(Error::http_err(repo, "token"))?;
        let token = t
            .token
            .or(t.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| auth_err("token response without a token".to_owned()))?;
        if let Ok(mut m) = self.tokens.lock() {
            let token = Credential::Bearer(Secret::new(token));
            self.http.remember(&token);
            m.insert(repo.to_owned(), token);
        }
        Ok(())
    }

    /// Fetches a manifest or index by tag or digest (`None` on 404), verifying its digest
    /// against `Docker-Content-Digest` and, for digest references, against the reference.
    pub fn manifest(&self, repo: &str, reference: &str) -> Result<Option<FetchedManifest>, Error> {
        check_repository(repo)?;
        let wanted = check_reference(reference)?;
        let url = self.url(repo, &format!("manifests/{reference}"))?;
        let (status, headers, body, shown) = self.send_authed(
            (repo, reference),
            &url,
            Method::Get,
            Some(ACCEPT_MANIFESTS),
            &[404],
            MAX_MANIFEST_BYTES,
        )?;
        if status == 404 {
            return Ok(None);
        }
        let header = |n: &str| {
            headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
        };
        let alg = wanted.map_or(Algorithm::Sha256, |d| d.algorithm());
        let computed = Digest::of(alg, &body);
        if let Some(w) = wanted
            && w != computed
        {
            return Err(Error::DigestMismatch {
                url: shown,
                what: "the requested digest",
                expected: w,
                actual: computed,
            });
        }
        if let Some(h) = header("docker-content-digest") {
            let claimed = Digest::from_oci(h.trim()).map_err(|e| Error::Manifest {
                url: shown.clone(),
                reason: format!("Docker-Content-Digest {h:?}: {e}"),
            })?;
            let actual = if claimed.algorithm() == alg {
                computed
            } else {
                Digest::of(claimed.algorithm(), &body)
            };
            if claimed != actual {
                return Err(Error::DigestMismatch {
                    url: shown,
                    what: "Docker-Content-Digest",
                    expected: claimed,
                    actual,
                });
            }
        }
        let manifest: Manifest = serde_json::from_slice(&body).map_err(|e| Error::Manifest {
            url: shown.clone(),
            reason: format!("not a manifest: {e}"),
        })?;
        if manifest.schema_version != 2 {
            return Err(Error::Manifest {
                url: shown,
                reason: format!(
                    "schemaVersion {} (only 2 is supported)",
                    manifest.schema_version
                ),
            });
        }
        let content_type =
            header("content-type").map(|c| c.split(';').next().unwrap_or(c).trim().to_owned());
        let media_type = manifest
            .media_type
            .clone()
            .or(content_type)
            .unwrap_or_default();
        Ok(Some(FetchedManifest {
            digest: computed,
            size: body.len() as u64,
            media_type,
            manifest,
            raw: body,
        }))
    }

    /// Fetches the manifest a descriptor points to and checks its digest and size.
    pub fn manifest_for(&self, repo: &str, d: &Descriptor) -> Result<FetchedManifest, Error> {
        let reference = d.digest.to_oci();
        let m = self
            .manifest(repo, &reference)?
            .ok_or_else(|| Error::Manifest {
                url: redact_url(&self.base),
                reason: format!("{repo}@{reference}: listed but not served (404)"),
            })?;
        if m.size != d.size {
            return Err(Error::SizeMismatch {
                url: format!("{}v2/{repo}/manifests/{reference}", redact_url(&self.base)),
                expected: d.size,
                actual: m.size,
            });
        }
        Ok(m)
    }

    /// The image configuration blob a manifest's `config` descriptor names, read whole (at
    /// most [`MAX_MANIFEST_BYTES`]) and checked against the descriptor's digest and size, with
    /// its labels (`config.Labels`) parsed.
    pub fn image_config(&self, repo: &str, config: &Descriptor) -> Result<ImageConfig, Error> {
        check_repository(repo)?;
        let reference = config.digest.to_oci();
        let url = self.url(repo, &format!("blobs/{reference}"))?;
        let (status, _, body, shown) = self.send_authed(
            (repo, &reference),
            &url,
            Method::Get,
            None,
            &[404],
            MAX_MANIFEST_BYTES,
        )?;
        if status == 404 {
            return Err(Error::Manifest {
                url: shown,
                reason: String::from("the image configuration blob is not served (404)"),
            });
        }
        let alg = config.digest.algorithm();
        let actual = Digest::of(alg, &body);
        if actual != config.digest {
            return Err(Error::DigestMismatch {
                url: shown,
                what: "the configuration descriptor",
                expected: config.digest,
                actual,
            });
        }
        if body.len() as u64 != config.size {
            return Err(Error::SizeMismatch {
                url: shown,
                expected: config.size,
                actual: body.len() as u64,
            });
        }
        ImageConfig::from_json(&body).map_err(|reason| Error::Manifest { url: shown, reason })
    }

    /// Resolves a tag to its manifest digest (`None` when the tag does not exist).
    pub fn resolve(&self, repo: &str, tag: &str) -> Result<Option<Digest>, Error> {
        Ok(self.manifest(repo, tag)?.map(|m| m.digest))
    }

    /// The platforms of the index behind `reference` (empty for a single-platform image).
    pub fn platforms(&self, repo: &str, reference: &str) -> Result<Vec<Platform>, Error> {
        Ok(self
            .manifest(repo, reference)?
            .map(|m| m.platforms())
            .unwrap_or_default())
    }

    /// Whether the tag or digest exists (tags are mutable, but a published tag answers the
    /// immutability question of a release that must not be pushed twice).
    pub fn exists(&self, repo: &str, reference: &str) -> Result<bool, Error> {
        Ok(self.manifest(repo, reference)?.is_some())
    }

    /// The model view: the manifest, and for a Helm chart its chart layer, as files.
    pub fn version(&self, repo: &str, reference: &str) -> Result<PublishedVersion, Error> {
        let registry = redact_url(&self.base);
        let Some(m) = self.manifest(repo, reference)? else {
            return Ok(PublishedVersion::absent(
                RegistryKind::Oci,
                &registry,
                repo,
                reference,
            ));
        };
        let last = repo.rsplit('/').next().unwrap_or(repo);
        let mut files = vec![PublishedFile {
            name: format!("{last}-{}.manifest.json", m.digest.to_hex()),
            url: self.file_url(repo, &format!("manifests/{}", m.digest))?,
            size: Some(m.size),
            digests: vec![m.digest],
            yanked: false,
            media_type: Some(m.media_type.clone()),
        }];
        if m.kind() == ArtifactKind::HelmChart {
            for l in m
                .manifest
                .layers
                .iter()
                .filter(|l| l.media_type == HELM_CHART)
            {
                let version = m
                    .manifest
                    .annotations
                    .get("org.opencontainers.image.version")
                    .cloned()
                    .unwrap_or_else(|| reference.to_owned());
                files.push(PublishedFile {
                    name: format!("{last}-{version}.tgz"),
                    url: self.file_url(repo, &format!("blobs/{}", l.digest))?,
                    size: Some(l.size),
                    digests: vec![l.digest],
                    yanked: false,
                    media_type: Some(l.media_type.clone()),
                });
            }
        }
        Ok(PublishedVersion {
            kind: RegistryKind::Oci,
            registry,
            package: repo.to_owned(),
            version: reference.to_owned(),
            state: VersionState::Present,
            files,
        })
    }

    /// Polls until `reference` resolves (a release waits for its image), or fails with
    /// [`Error::NotVisible`] saying what the registry answered last.
    pub fn wait_for(
        &self,
        repo: &str,
        reference: &str,
        poll: crate::poll::PollOptions,
    ) -> Result<FetchedManifest, Error> {
        wait_visible(poll, repo, reference, |_| {
            Ok(match self.manifest(repo, reference) {
                Ok(Some(m)) => Poll::Found(m),
                Ok(None) => {
                    Poll::Missing(format!("{repo}:{reference} is not in the registry (404)"))
                }
                Err(e) => return Poll::failed(e),
            })
        })
    }

    /// Downloads the blob a descriptor names into `dir/name`, verified against the
    /// descriptor's digest and size (via [`fetch_verified`]).
    pub fn fetch_blob(
        &self,
        repo: &str,
        d: &Descriptor,
        dir: &Path,
        name: &str,
    ) -> Result<FetchedFile, Error> {
        check_repository(repo)?;
        let url = self.url(repo, &format!("blobs/{}", d.digest))?;
        // A HEAD first runs the token dance (and finds a missing blob without a body).
        let (status, _, _, shown) = self.send_authed(
            (repo, &d.digest.to_oci()),
            &url,
            Method::Head,
            None,
            &[404],
            0,
        )?;
        if status == 404 {
            return Err(Error::Manifest {
                url: shown,
                reason: "blob not found".to_owned(),
            });
        }
        let cred = self.current_credential(repo);
        let mut url = url;
        strip_userinfo(&mut url);
        let file = PublishedFile {
            name: name.to_owned(),
            url: url.to_string(),
            size: Some(d.size),
            digests: vec![d.digest],
            yanked: false,
            media_type: Some(d.media_type.clone()),
        };
        let opts = FetchOptions {
            credential: cred.as_ref(),
            credential_origin: Some(self.base.as_str()),
            ..FetchOptions::default()
        };
        Ok(fetch_verified(&self.http, &file, dir, opts)?)
    }

    /// The referrers of `subject`: through the referrers API, or — when the registry answers
    /// 404 (no API), 400/405 or keeps rate-limiting — through the `sha256-<hex>` fallback tag,
    /// whose every entry is fetched and must have `subject` as its subject.
    pub fn referrers(
        &self,
        repo: &str,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Referrers, Error> {
        check_repository(repo)?;
        let mut tail = format!("referrers/{subject}");
        if let Some(t) = artifact_type {
            tail.push_str("?artifactType=");
            tail.push_str(&crate::http::segment(t));
        }
        let url = self.url(repo, &tail)?;
        let reference = subject.to_oci();
        let api = self.send_authed(
            (repo, &reference),
            &url,
            Method::Get,
            Some(OCI_INDEX),
            &[404, 400, 405],
            MAX_MANIFEST_BYTES,
        );
        let filter = |mut ds: Vec<Descriptor>| {
            if let Some(t) = artifact_type {
                ds.retain(|d| d.artifact_type.as_deref() == Some(t));
            }
            ds
        };
        match api {
            Ok((200, _, body, shown)) => {
                let index: Manifest = parse_json(&shown, &body, "a referrers index")
                    .map_err(Error::http_err(repo, &reference))?;
                if index.media_type.as_deref().is_some_and(|m| m != OCI_INDEX) {
                    return Err(Error::Manifest {
                        url: shown,
                        reason: format!("referrers response has media type {:?}", index.media_type),
                    });
                }
                // Filtering is re-applied here: a registry may ignore `artifactType`.
                Ok(Referrers {
                    source: ReferrersSource::Api,
                    descriptors: filter(index.manifests),
                })
            }
            Ok(_)
            | Err(Error::Http {
                source: HttpError::RateLimited { .. },
                ..
            }) => {
                let descriptors = match self.manifest(repo, &fallback_tag(subject))? {
                    None => Vec::new(),
                    Some(index) => {
                        for d in &index.manifest.manifests {
                            let m = self.manifest_for(repo, d)?;
                            let found = m.manifest.subject.as_ref().map(|s| s.digest);
                            if found != Some(*subject) {
                                return Err(Error::ForeignReferrer {
                                    repository: repo.to_owned(),
                                    subject: *subject,
                                    referrer: d.digest,
                                    found,
                                });
                            }
                        }
                        index.manifest.manifests
                    }
                };
                Ok(Referrers {
                    source: ReferrersSource::FallbackTag,
                    descriptors: filter(descriptors),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// cosign's artifacts for an image digest: the legacy `.sig`, `.att`, `.sbom` tags
    /// (each classified by its media types) and sigstore bundles among the referrers.
    pub fn cosign(&self, repo: &str, subject: &Digest) -> Result<CosignArtifacts, Error> {
        let tag = fallback_tag(subject);
        let get = |suffix: &str| -> Result<Option<(FetchedManifest, ArtifactKind)>, Error> {
            Ok(self.manifest(repo, &format!("{tag}.{suffix}"))?.map(|m| {
                let k = m.kind();
                (m, k)
            }))
        };
        let mut out = CosignArtifacts {
            signature: get("sig")?,
            attestation: get("att")?,
            sbom: get("sbom")?,
            bundles: Vec::new(),
        };
        let refs = self.referrers(repo, subject, None)?;
        out.bundles = refs
            .descriptors
            .into_iter()
            .filter(|d| {
                d.artifact_type
                    .as_deref()
                    .is_some_and(|t| t.starts_with("application/vnd.dev.sigstore.bundle"))
            })
            .collect();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse() {
        let c = parse_challenge(
            r#"Bearer realm="http://127.0.0.1:1/token",service="reg",scope="repository:a/b:pull""#,
        )
        .unwrap();
        assert_eq!(c["realm"], "http://127.0.0.1:1/token");
        assert_eq!(c["scope"], "repository:a/b:pull");
        assert!(parse_challenge("Basic realm=x").is_none());
    }
}
