//! The verifier's trust root: the embedded public-good root by default and a root the verifier
//! names. (The refusal of a root inside the release folder is tested next to
//! `refuse_trust_root_in_release`, in `trust_root.rs`.)

use attest::{
    Artifact, Bundle, ErrorKind, FulcioExtension, IdentityError, IdentityPolicy, Policy, TlogError,
    TrustedRoot, Verifier, assert_refused,
};

use crate::shared::shared_dir;

const WHEEL_SAN: &str =
    "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2";
const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// Acceptance (issue 13): the public-good-signed wheel verifies with no trust root given.
#[test]
fn real_wheel_verifies_against_the_embedded_public_good_root() {
    let Some(shared) = shared_dir("embedded public-good root") else {
        return;
    };
    let case = shared.join("vectors/sigstore/sigstore-python/github-release-wheel");
    let bundle = Bundle::from_file(case.join("bundle.sigstore.json")).unwrap();
    let artifact = std::fs::read(case.join("artifact")).unwrap();
    let verifier = Verifier::new(TrustedRoot::verifier_root(None).unwrap());
    let policy = Policy::Identity(
        IdentityPolicy::exact(WHEEL_SAN, GITHUB_ISSUER)
            .with_extension(FulcioExtension::SourceRepositoryRef, "refs/tags/v0.1.2")
            .with_extension(FulcioExtension::BuildTrigger, "release")
            .require_github_hosted(),
    );
    let report = verifier
        .verify(&bundle, &Artifact::Bytes(&artifact), &policy)
        .unwrap();
    assert_eq!(report.tlog_entries.len(), 1);
    assert_eq!(report.tlog_entries[0].log_url, "https://rekor.sigstore.dev");
    // Digest mode against the same default root.
    let digest = format!(
        "sha256:{}",
        "c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201"
    );
    verifier
        .verify(&bundle, &Artifact::digest(digest.parse().unwrap()), &policy)
        .unwrap();
    // Another identity is still refused: the default root does not loosen the policy.
    let other = Policy::Identity(IdentityPolicy::exact(
        "https://github.com/other/repo/.github/workflows/release.yml@refs/tags/v0.1.2",
        GITHUB_ISSUER,
    ));
    assert_refused(
        verifier.verify(&bundle, &Artifact::Bytes(&artifact), &other),
        ErrorKind::Identity(IdentityError::SanMismatch),
    );
    // A verifier-named root that does not hold the public-good instance refuses it.
    let staging = TrustedRoot::verifier_root(Some(
        &shared.join("vectors/sigstore/trusted_roots/staging.json"),
    ))
    .unwrap();
    assert_refused(
        Verifier::new(staging).verify(&bundle, &Artifact::Bytes(&artifact), &policy),
        ErrorKind::Tlog(TlogError::UnknownLog),
    );
}
