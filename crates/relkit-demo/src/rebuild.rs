//! [`DemoRebuilder`]: the demo's build recipe as an in-process `Rebuilder`.

use std::fs;

use artidigest::{Format, RepackOptions};

use crate::common::write_file;
use crate::release::DemoRelease;

/// The demo's build recipe as the `rebuild-identity` gate's rebuilder, run in-process: it reads
/// the package name and version from the source tree's `Cargo.toml` and builds that release's
/// artifacts into the request's output folder. Its `SOURCE_DATE_EPOCH`-ignoring variant
/// ([`Tamper::Rebuild`](crate::Tamper::Rebuild)) stamps the sdist's entries with the build
/// time instead.
#[derive(Debug, Clone, Copy)]
pub struct DemoRebuilder {
    honour_epoch: bool,
}

impl DemoRebuilder {
    /// A rebuilder; `honour_epoch = false` builds like a tool that ignores
    /// `SOURCE_DATE_EPOCH`.
    pub fn new(honour_epoch: bool) -> Self {
        DemoRebuilder { honour_epoch }
    }

    fn build(&self, req: &relgate::gates::RebuildRequest) -> Result<(), String> {
        let manifest = req.source_dir.join("Cargo.toml");
        let text =
            fs::read_to_string(&manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
        let doc: toml::Table = text
            .parse()
            .map_err(|e| format!("{}: {e}", manifest.display()))?;
        let field = |key: &str| {
            doc.get("package")
                .and_then(|p| p.get(key))
                .and_then(toml::Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("{}: no [package] {key}", manifest.display()))
        };
        let demo = DemoRelease {
            name: field("name")?,
            version: field("version")?,
            ..DemoRelease::default()
        };
        for (name, bytes) in demo.artifacts().map_err(|e| e.to_string())? {
            let bytes = if !self.honour_epoch && name.ends_with(".tar.gz") {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let opts = RepackOptions::new(Format::TarGz)
                    .with_mtime(artidigest::MtimePolicy::Fixed(now));
                artidigest::repack_bytes(&bytes, Some(Format::TarGz), &opts)
                    .map_err(|e| format!("{name}: {e}"))?
                    .bytes
            } else {
                bytes
            };
            write_file(&req.out_dir.join(&name), &bytes).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

impl relgate::gates::Rebuilder for DemoRebuilder {
    fn rebuild<'a>(
        &'a self,
        req: &'a relgate::gates::RebuildRequest,
    ) -> relgate::BoxFuture<'a, Result<relgate::gates::RebuildOutput, relgate::gates::RebuildError>>
    {
        Box::pin(async move {
            self.build(req)
                .map_err(relgate::gates::RebuildError::Other)?;
            Ok(relgate::gates::RebuildOutput::new(&req.out_dir))
        })
    }
}
