//! `[sbom]`: the SBOMs of the release folder and what they must describe (gate `sbom-valid`).

use serde::{Deserialize, Serialize};

/// An SBOM format relkit reads.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SbomFormat {
    /// CycloneDX 1.4, 1.5 or 1.6, as JSON.
    Cyclonedx,
    /// SPDX 2.3, as JSON.
    Spdx,
}

/// `[sbom]`: which files of the release folder are SBOMs, the component they must describe and
/// the formats accepted. Its presence requires the `sbom-valid` gate.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SbomRules {
    /// Globs over the release folder (`*` does not cross `/`); default `*.cdx.json`,
    /// `*.spdx.json`, `bom.json`. Every file that is an SBOM by name or content is read too.
    #[serde(default = "default_files")]
    pub files: Vec<String>,
    /// The component every SBOM must describe (default: `[project] name`).
    #[serde(default)]
    pub component: Option<String>,
    /// The formats accepted (default: both).
    #[serde(default = "default_formats")]
    pub formats: Vec<SbomFormat>,
}

impl Default for SbomRules {
    fn default() -> Self {
        SbomRules {
            files: default_files(),
            component: None,
            formats: default_formats(),
        }
    }
}

fn default_files() -> Vec<String> {
    ["*.cdx.json", "*.spdx.json", "bom.json"]
        .map(String::from)
        .to_vec()
}

fn default_formats() -> Vec<SbomFormat> {
    vec![SbomFormat::Cyclonedx, SbomFormat::Spdx]
}

impl SbomRules {
    /// Checks the section: the globs compile, and it names at least one glob and one format.
    /// The error names the key at fault.
    pub(crate) fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.files.is_empty() {
            return Err((
                "sbom.files",
                String::from(
                    "names no glob: leave it out for the default (*.cdx.json, *.spdx.json, bom.json)",
                ),
            ));
        }
        for g in &self.files {
            if let Err(e) = globset::Glob::new(g) {
                return Err(("sbom.files", format!("bad glob {g:?}: {e}")));
            }
        }
        if self.formats.is_empty() {
            return Err((
                "sbom.formats",
                String::from("names no format: leave it out to accept cyclonedx and spdx"),
            ));
        }
        if self
            .component
            .as_deref()
            .is_some_and(|c| c.trim().is_empty())
        {
            return Err((
                "sbom.component",
                String::from("is empty: leave it out for the project name"),
            ));
        }
        Ok(())
    }
}
