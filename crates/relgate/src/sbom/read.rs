//! Reading one SBOM document: its format and version, the component it describes, and the
//! digests it claims for files — each problem at the JSON pointer of the value at fault.

use artidigest::{Algorithm, Digest};

use crate::finding::Code;
use crate::sbom::model::{self, CdxComponent, CdxHash, CycloneDx, Probe, Spdx, SpdxChecksum};
use crate::sbom::pointer::{join, pointer_at};
use crate::sbom::purl::Purl;

/// The CycloneDX versions relkit reads.
pub(crate) const CYCLONEDX_VERSIONS: &[&str] = &["1.4", "1.5", "1.6"];
/// The SPDX version relkit reads.
pub(crate) const SPDX_VERSION: &str = "SPDX-2.3";

/// An SBOM format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    CycloneDx,
    Spdx,
}

impl Format {
    /// The policy's name for it (`[sbom] formats`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Format::CycloneDx => "cyclonedx",
            Format::Spdx => "spdx",
        }
    }
}

/// What the document must describe, and the formats the policy accepts.
#[derive(Debug)]
pub(crate) struct Expected<'a> {
    pub(crate) component: &'a str,
    pub(crate) version: &'a str,
    pub(crate) formats: &'a [Format],
}

/// A problem with the document, at a JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) code: Code,
    /// Where (RFC 6901; `""` is the whole document).
    pub(crate) pointer: String,
    /// The 1-based line and column, when the parser named them.
    pub(crate) line_col: Option<(usize, usize)>,
    pub(crate) expected: Option<String>,
    pub(crate) found: String,
    pub(crate) hint: &'static str,
}

impl Problem {
    fn new(code: Code, pointer: impl Into<String>, found: impl Into<String>) -> Self {
        Problem {
            code,
            pointer: pointer.into(),
            line_col: None,
            expected: None,
            found: found.into(),
            hint: "",
        }
    }

    fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    fn hint(mut self, hint: &'static str) -> Self {
        self.hint = hint;
        self
    }
}

/// A digest the document claims for a file, by the names it gives the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claim {
    /// The file names the claim is for (the last path segment of a file name, URL or purl
    /// qualifier), as the document gives them.
    pub(crate) names: Vec<String>,
    /// The pointer of the digest's value.
    pub(crate) pointer: String,
    pub(crate) digest: Digest,
}

/// What a document says, once it parsed and its format is one relkit reads.
#[derive(Debug, Default)]
pub(crate) struct Reading {
    /// `cyclonedx 1.6`, `spdx SPDX-2.3`.
    pub(crate) format: String,
    /// Problems (blocking), each at its pointer.
    pub(crate) problems: Vec<Problem>,
    /// Digests listed in algorithms relkit does not compute (not checked), at their pointers.
    pub(crate) unchecked: Vec<(String, String)>,
    /// The digests it claims for files.
    pub(crate) claims: Vec<Claim>,
}

/// Reads `bytes` as an SBOM that must describe `expected`.
pub(crate) fn read(bytes: &[u8], expected: &Expected<'_>) -> Reading {
    let mut r = Reading::default();
    // A UTF-8 byte order mark (written by some Windows tools) is not part of the JSON text.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = bytes.trim_ascii_start();
    let not_json = match text.first() {
        None => {
            r.problems.push(
                Problem::new(Code::SbomInvalid, "", "an empty file").expected("a JSON object"),
            );
            return r;
        }
        Some(b'{') => None,
        Some(b'<') => Some("an XML document"),
        Some(_) if text.starts_with(b"SPDXVersion:") || text.starts_with(b"##") => {
            Some("an SPDX tag-value document")
        }
        Some(_) => Some("not a JSON object (YAML, or another format)"),
    };
    if let Some(what) = not_json {
        r.problems.push(
            Problem::new(Code::SbomUnsupported, "", what)
                .expected("CycloneDX or SPDX as JSON")
                .hint("attach the JSON form of the SBOM (cyclonedx-py --of JSON, npm sbom, syft -o cyclonedx-json|spdx-json)"),
        );
        return r;
    }
    let probe: Probe = match serde_json::from_slice(bytes) {
        Ok(p) => p,
        Err(e) => {
            r.problems.push(parse_problem(bytes, &e));
            return r;
        }
    };
    let format = match (&probe.bom_format, &probe.spdx_version) {
        (Some(_), _) => Format::CycloneDx,
        (None, Some(_)) => Format::Spdx,
        (None, None) => {
            r.problems.push(
                Problem::new(
                    Code::SbomUnsupported,
                    "",
                    "a JSON document with neither bomFormat (CycloneDX) nor spdxVersion (SPDX)",
                )
                .expected("CycloneDX 1.4-1.6 or SPDX 2.3 JSON"),
            );
            return r;
        }
    };
    // The declared format and version, before anything else is believed.
    let (pointer, value, supported): (&str, _, Vec<&str>) = match format {
        Format::CycloneDx => {
            if probe.bom_format.as_ref().and_then(|v| v.as_str()) != Some("CycloneDX") {
                r.problems.push(
                    Problem::new(
                        Code::SbomUnsupported,
                        "/bomFormat",
                        show(probe.bom_format.as_ref()),
                    )
                    .expected("\"CycloneDX\""),
                );
                return r;
            }
            (
                "/specVersion",
                &probe.spec_version,
                CYCLONEDX_VERSIONS.to_vec(),
            )
        }
        Format::Spdx => ("/spdxVersion", &probe.spdx_version, vec![SPDX_VERSION]),
    };
    let declared = value.as_ref().and_then(|v| v.as_str());
    let Some(version) = declared.filter(|v| supported.contains(v)) else {
        r.problems.push(
            Problem::new(Code::SbomUnsupported, pointer, show(value.as_ref()))
                .expected(format!("{} {}", format.as_str(), supported.join(", ")))
                .hint(
                    "generate the SBOM in a version relkit reads (cyclonedx-py --sv 1.6, npm sbom)",
                ),
        );
        return r;
    };
    if !expected.formats.contains(&format) {
        r.problems.push(
            Problem::new(
                Code::SbomUnsupported,
                "",
                format!("{} {version}", format.as_str()),
            )
            .expected(format!(
                "one of the policy's [sbom] formats: {}",
                expected
                    .formats
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        );
        return r;
    }
    r.format = format!("{} {version}", format.as_str());
    match format {
        Format::CycloneDx => match serde_json::from_slice::<CycloneDx>(bytes) {
            Ok(doc) => cyclonedx(&doc, expected, &mut r),
            Err(e) => r.problems.push(parse_problem(bytes, &e)),
        },
        Format::Spdx => match serde_json::from_slice::<Spdx>(bytes) {
            Ok(doc) => spdx(&doc, expected, &mut r),
            Err(e) => r.problems.push(parse_problem(bytes, &e)),
        },
    }
    r
}

/// A JSON value for a finding (`null` when absent).
fn show(v: Option<&serde_json::Value>) -> String {
    v.map_or_else(|| String::from("absent"), ToString::to_string)
}

/// `sbom-invalid` at the value the parser stopped at.
fn parse_problem(bytes: &[u8], e: &serde_json::Error) -> Problem {
    let mut p = Problem::new(
        Code::SbomInvalid,
        pointer_at(bytes, e.line(), e.column()),
        e.to_string(),
    )
    .hint("regenerate the SBOM with its generator; a hand-edited value breaks the format's schema");
    p.line_col = Some((e.line(), e.column()));
    p
}

/// The last path segment of a file name or URL (query and fragment dropped), if any.
fn file_name_of(s: &str) -> Option<String> {
    let s = s.split(['?', '#']).next().unwrap_or(s);
    let last = s.rsplit('/').next().unwrap_or(s);
    (!last.is_empty()).then(|| last.to_owned())
}

/// Checks one digest (`alg`, `content`) at `at` (the object holding both) and records it as a
/// claim for `names`, or a problem.
fn digest(
    r: &mut Reading,
    spdx: bool,
    (alg, alg_key): (&str, &str),
    (content, content_key): (&str, &str),
    at: &str,
    names: &[String],
) {
    let alg_ptr = join(at, alg_key);
    let content_ptr = join(at, content_key);
    match model::algorithm(alg, spdx) {
        None => r.problems.push(
            Problem::new(Code::SbomInvalid, alg_ptr, format!("{alg:?}")).expected(if spdx {
                "an SPDX checksum algorithm (SHA256, SHA512, SHA1, ...)"
            } else {
                "a CycloneDX hash algorithm (SHA-256, SHA-512, SHA-1, ...)"
            }),
        ),
        Some(Err(())) => {
            if content.is_empty() || !content.bytes().all(|b| b.is_ascii_hexdigit()) {
                r.problems.push(
                    Problem::new(Code::SbomInvalid, content_ptr, format!("{content:?}"))
                        .expected(format!("hex digits ({alg})")),
                );
            } else {
                r.unchecked.push((content_ptr, alg.to_owned()));
            }
        }
        Some(Ok(a)) => match Digest::from_hex(a, content) {
            Ok(d) => {
                if !names.is_empty() {
                    r.claims.push(Claim {
                        names: names.to_vec(),
                        pointer: content_ptr,
                        digest: d,
                    });
                }
            }
            Err(_) => r.problems.push(
                Problem::new(Code::SbomInvalid, content_ptr, format!("{content:?}"))
                    .expected(format!("{} hex digits ({alg})", hex_len(a))),
            ),
        },
    }
}

fn hex_len(a: Algorithm) -> usize {
    a.output_len() * 2
}

// ---------------------------------------------------------------- CycloneDX

fn cyclonedx(doc: &CycloneDx, expected: &Expected<'_>, r: &mut Reading) {
    match doc.metadata.as_ref().and_then(|m| m.component.as_ref()) {
        None => r.problems.push(
            Problem::new(
                Code::SbomComponentMismatch,
                if doc.metadata.is_some() {
                    "/metadata"
                } else {
                    ""
                },
                "no metadata.component: the SBOM does not say what it describes",
            )
            .expected(format!("{} {}", expected.component, expected.version))
            .hint("generate the SBOM for the project itself (cyclonedx-py --pyproject, npm sbom in the package)"),
        ),
        Some(c) => {
            let names = cdx_names(c);
            if !names.iter().any(|n| same_name(n, expected.component)) {
                r.problems.push(
                    Problem::new(
                        Code::SbomComponentMismatch,
                        "/metadata/component/name",
                        names.join(", "),
                    )
                    .expected(expected.component.to_owned())
                    .hint("the SBOM describes another component: attach this release's SBOM, or set [sbom] component"),
                );
            } else if c.version.as_deref() != Some(expected.version) {
                r.problems.push(
                    Problem::new(
                        Code::SbomComponentMismatch,
                        "/metadata/component/version",
                        c.version.clone().unwrap_or_else(|| String::from("absent")),
                    )
                    .expected(expected.version.to_owned())
                    .hint("the SBOM was generated for another version: regenerate it at the release commit"),
                );
            }
        }
    }
    if let Some(c) = doc.metadata.as_ref().and_then(|m| m.component.as_ref()) {
        cdx_component(c, "/metadata/component", r);
    }
    for (i, c) in doc.components.iter().enumerate() {
        cdx_component(c, &join("/components", i), r);
    }
}

/// The names a component goes by: `name`, `group/name`, and its purl's `namespace/name`.
fn cdx_names(c: &CdxComponent) -> Vec<String> {
    let mut names = vec![c.name.clone()];
    if let Some(g) = c.group.as_deref().filter(|g| !g.is_empty()) {
        names.push(format!("{g}/{}", c.name));
    }
    if let Some(p) = c.purl.as_deref().and_then(Purl::parse) {
        names.push(p.full_name());
    }
    names.dedup();
    names
}

/// Package names compare as the ecosystems do for lookups: ASCII case-insensitively.
fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn cdx_component(c: &CdxComponent, at: &str, r: &mut Reading) {
    // The component's own digests are for the file it is named after: its name (a `file`
    // component), or its purl's `file_name` / `download_url` qualifier.
    let mut names: Vec<String> = vec![c.name.clone()];
    if let Some(p) = c.purl.as_deref().and_then(Purl::parse) {
        names.extend(p.file_names());
    }
    cdx_hashes(&c.hashes, &join(at, "hashes"), &names, r);
    for (j, e) in c.external_references.iter().enumerate() {
        let at_ref = join(&join(at, "externalReferences"), j);
        let names: Vec<String> = file_name_of(&e.url).into_iter().collect();
        cdx_hashes(&e.hashes, &join(&at_ref, "hashes"), &names, r);
    }
    for (k, nested) in c.components.iter().enumerate() {
        cdx_component(nested, &join(&join(at, "components"), k), r);
    }
}

fn cdx_hashes(hashes: &[CdxHash], at: &str, names: &[String], r: &mut Reading) {
    let fields = |h: &CdxHash| (h.alg.clone(), h.content.clone());
    digests(hashes, false, ("alg", "content"), fields, at, names, r);
}

/// Checks each digest of `items` (at `at/N`): `fields` gives its algorithm and value, whose
/// keys are `keys`.
fn digests<T>(
    items: &[T],
    spdx: bool,
    keys: (&str, &str),
    fields: impl Fn(&T) -> (String, String),
    at: &str,
    names: &[String],
    r: &mut Reading,
) {
    for (i, item) in items.iter().enumerate() {
        let (alg, value) = fields(item);
        digest(
            r,
            spdx,
            (&alg, keys.0),
            (&value, keys.1),
            &join(at, i),
            names,
        );
    }
}

// ---------------------------------------------------------------- SPDX

fn spdx(doc: &Spdx, expected: &Expected<'_>, r: &mut Reading) {
    let mut described: Vec<&str> = doc.document_describes.iter().map(String::as_str).collect();
    for rel in &doc.relationships {
        if rel.relationship_type == "DESCRIBES" && rel.spdx_element_id == doc.spdx_id {
            described.push(&rel.related_spdx_element);
        }
        if rel.relationship_type == "DESCRIBED_BY" && rel.related_spdx_element == doc.spdx_id {
            described.push(&rel.spdx_element_id);
        }
    }
    let packages: Vec<(usize, &model::SpdxPackage)> = doc
        .packages
        .iter()
        .enumerate()
        .filter(|(_, p)| described.contains(&p.spdx_id.as_str()))
        .collect();
    let ours = packages.iter().find(|(_, p)| {
        spdx_names(p)
            .iter()
            .any(|n| same_name(n, expected.component))
    });
    match (ours, packages.first()) {
        (_, None) => r.problems.push(
            Problem::new(
                Code::SbomComponentMismatch,
                "/documentDescribes",
                "the document describes no package (documentDescribes, DESCRIBES relationships)",
            )
            .expected(format!("{} {}", expected.component, expected.version))
            .hint("generate the SBOM for the project itself (npm sbom --sbom-format spdx in the package)"),
        ),
        (None, Some((i, p))) => r.problems.push(
            Problem::new(
                Code::SbomComponentMismatch,
                join(&join("/packages", i), "name"),
                spdx_names(p).join(", "),
            )
            .expected(expected.component.to_owned())
            .hint("the SBOM describes another package: attach this release's SBOM, or set [sbom] component"),
        ),
        (Some((i, p)), _) => {
            if p.version_info.as_deref() != Some(expected.version) {
                r.problems.push(
                    Problem::new(
                        Code::SbomComponentMismatch,
                        join(&join("/packages", i), "versionInfo"),
                        p.version_info
                            .clone()
                            .unwrap_or_else(|| String::from("absent")),
                    )
                    .expected(expected.version.to_owned())
                    .hint("the SBOM was generated for another version: regenerate it at the release commit"),
                );
            }
        }
    }
    for (i, p) in doc.packages.iter().enumerate() {
        let names: Vec<String> = p
            .package_file_name
            .as_deref()
            .and_then(file_name_of)
            .into_iter()
            .collect();
        spdx_checksums(
            &p.checksums,
            &join(&join("/packages", i), "checksums"),
            &names,
            r,
        );
    }
    for (i, f) in doc.files.iter().enumerate() {
        let names: Vec<String> = file_name_of(&f.file_name).into_iter().collect();
        spdx_checksums(
            &f.checksums,
            &join(&join("/files", i), "checksums"),
            &names,
            r,
        );
    }
}

/// The names a package goes by: `name` and the names of its purls.
fn spdx_names(p: &model::SpdxPackage) -> Vec<String> {
    let mut names = vec![p.name.clone()];
    for e in &p.external_refs {
        if e.reference_type == "purl"
            && let Some(purl) = Purl::parse(&e.reference_locator)
        {
            names.push(purl.full_name());
        }
    }
    names.dedup();
    names
}

fn spdx_checksums(checksums: &[SpdxChecksum], at: &str, names: &[String], r: &mut Reading) {
    let fields = |c: &SpdxChecksum| (c.algorithm.clone(), c.checksum_value.clone());
    digests(
        checksums,
        true,
        ("algorithm", "checksumValue"),
        fields,
        at,
        names,
        r,
    );
}
