//! Artifacts and signatures beyond the demo's own: a wheel and a Go module zip of any name, a
//! release folder signed with attest's test stack, and the SLSA statement for a tag's release run.

use std::fs;
use std::path::Path;

use artidigest::{Algorithm, Format, RepackOptions, digest_bytes};

use crate::common::{DEMO_SIGNED_AT, DemoError, SignError, files, pack, write_file};

/// A wheel `{py}-{version}-{tag}.whl` holding `{py}/__init__.py` and its dist-info (METADATA,
/// WHEEL with `tag`, an honest RECORD — or, with `wrong_record`, one whose first hash is of
/// other bytes).
pub fn python_wheel(
    py: &str,
    version: &str,
    tag: &str,
    init_py: Vec<u8>,
    wrong_record: bool,
) -> Result<(String, Vec<u8>), DemoError> {
    let v = version;
    let dist_info = format!("{py}-{v}.dist-info");
    let pure = tag.ends_with("-none-any");
    let mut wheel_files = vec![
        (format!("{py}/__init__.py"), init_py),
        (
            format!("{dist_info}/METADATA"),
            format!(
                "Metadata-Version: 2.1\nName: {py}\nVersion: {v}\nSummary: relkit's demo release\n"
            )
            .into_bytes(),
        ),
        (
            format!("{dist_info}/WHEEL"),
            format!(
                "Wheel-Version: 1.0\nGenerator: relkit-demo\nRoot-Is-Purelib: {pure}\nTag: {tag}\n"
            )
            .into_bytes(),
        ),
    ];
    let mut record = String::new();
    for (i, (path, bytes)) in wheel_files.iter().enumerate() {
        let hashed: &[u8] = if wrong_record && i == 0 {
            b"not the file"
        } else {
            bytes
        };
        let set = digest_bytes(hashed, &[Algorithm::Sha256]);
        if let Some(d) = set.get(Algorithm::Sha256) {
            record.push_str(&format!("{path},{},{}\n", d.to_record(), bytes.len()));
        }
    }
    record.push_str(&format!("{dist_info}/RECORD,,\n"));
    wheel_files.push((format!("{dist_info}/RECORD"), record.into_bytes()));
    let wheel = format!("{py}-{v}-{tag}.whl");
    let bytes = pack(&wheel, files(wheel_files), RepackOptions::new(Format::Zip))?;
    Ok((wheel, bytes))
}

/// A Go module zip as the go command lays it out: every file under `module@version/`.
pub fn go_module_zip(
    module: &str,
    version: &str,
    module_files: &[(&str, &[u8])],
) -> Result<Vec<u8>, DemoError> {
    let entries = module_files
        .iter()
        .map(|(p, b)| (format!("{module}@{version}/{p}"), b.to_vec()))
        .collect();
    pack(
        &format!("{version}.zip"),
        files(entries),
        RepackOptions::new(Format::Zip),
    )
}

/// What [`sign_folder`] signs, and as whom.
#[derive(Debug, Clone, Copy)]
pub struct SigningPlan<'a> {
    /// The test stack's seed (keys derive from it; the trust root too).
    pub seed: [u8; 32],
    /// Files of the folder that each get a `<file>.sigstore.json`.
    pub files: &'a [String],
    /// The identity the bundles are signed as.
    pub signer: &'a attest::TestIdentity,
    /// `owner/repo`: the provenance is signed as its `release.yml` run for `tag` (push).
    pub repository: &'a str,
    /// The release tag.
    pub tag: &'a str,
    /// Files the provenance names as subjects.
    pub covered: &'a [String],
    /// The provenance file name (`<name>.intoto.jsonl`).
    pub provenance: &'a str,
    /// Further subjects held by a registry, not the folder: (name, digest) of pushed images.
    pub registry_subjects: &'a [(String, artidigest::Digest)],
    /// Where the test stack's `trusted_root.json` is written: outside the release folder, since
    /// the verifier holds the trust root and relgate refuses one inside the release it judges
    /// (`trust-root-in-release`).
    pub trusted_root: &'a Path,
}

/// Signs the release folder `dir` with attest's test stack: a `<file>.sigstore.json` bundle
/// for each of `plan.files` signed as `plan.signer`, SLSA v1 provenance over `plan.covered`
/// signed as the repository's `release.yml` run for the tag; the matching trust root goes to
/// `plan.trusted_root`, outside the folder. ECDSA
/// signatures are deterministic (RFC 6979), so the same plan gives the same bytes.
pub fn sign_folder(dir: &Path, plan: &SigningPlan<'_>) -> Result<(), DemoError> {
    let fail = |what: &str| {
        let what = what.to_owned();
        move |source| DemoError::from(SignError { what, source })
    };
    let read = |name: &str| {
        let p = dir.join(name);
        fs::read(&p).map_err(|source| DemoError::Io { path: p, source })
    };
    let mut stack = attest::TestStack::new(plan.seed).map_err(fail("the stack"))?;
    for name in plan.files {
        let bundle = stack
            .sign_blob(&read(name)?, plan.signer)
            .map_err(fail(name))?;
        write_file(
            &dir.join(format!("{name}.sigstore.json")),
            bundle.as_bytes(),
        )?;
    }
    let mut subjects = Vec::new();
    for name in plan.covered {
        let d = digest_bytes(&read(name)?, &[Algorithm::Sha256]);
        if let Some(d) = d.get(Algorithm::Sha256) {
            subjects.push(serde_json::json!({"name": name, "digest": {"sha256": d.to_hex()}}));
        }
    }
    for (name, d) in plan.registry_subjects {
        subjects
            .push(serde_json::json!({"name": name, "digest": {d.algorithm().name(): d.to_hex()}}));
    }
    let statement = slsa_statement(plan.repository, plan.tag, subjects);
    let release = attest::TestIdentity::github(
        plan.repository,
        "release.yml",
        &format!("refs/tags/{}", plan.tag),
        "push",
        DEMO_SIGNED_AT,
    );
    let line = stack
        .sign_statement(statement.as_bytes(), &release)
        .map_err(fail("the provenance"))?;
    write_file(&dir.join(plan.provenance), format!("{line}\n").as_bytes())?;
    let root = stack.trusted_root_json().map_err(fail("the trust root"))?;
    write_file(plan.trusted_root, root.as_bytes())
}

/// A SLSA v1 statement for `repository`'s `release.yml` run of `tag`, consistent with the
/// certificate the test stack issues for it.
pub fn slsa_statement(repo: &str, tag: &str, subjects: Vec<serde_json::Value>) -> String {
    relkit_testkit::provenance::slsa_statement(repo, &format!("refs/tags/{tag}"), "push", subjects)
        .to_string()
}
