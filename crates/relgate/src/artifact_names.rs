//! Which local artifact files belong to which registry package, by the file-name conventions
//! of each ecosystem: a Python index serving `ordvec` does not serve `ordvec_manifest`'s wheel,
//! and a crates registry's `ordvec` is not `ordvec-manifest`.

use artidigest::names::{CrateName, GoModuleFile, SdistExtension, SdistName, WheelName};

use crate::policy::model::ArtifactKind;

/// Whether `file_name` (of an artifact of `kind`) is a file of registry package `package`
/// at `version`, following each ecosystem's naming (the rules are
/// [`artidigest::names`]'s):
///
/// - wheel: `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`, name compared after
///   PEP 503 normalisation;
/// - sdist: `{name}-{version}.tar.gz` (or `.zip`), name normalised the same way;
/// - crate: `{name}-{version}.crate`, exactly;
/// - npm tarball: `{name}-{version}.tgz`, with `@scope/name` packed as `scope-name`;
/// - Go module: `{version}.zip` / `{version}.mod` (`v` prefixed) or `{anything}-{version}.zip`.
///
/// Other kinds (images, charts, signatures, provenance) are not named after a package: they
/// always belong.
pub(crate) fn belongs_to(
    kind: ArtifactKind,
    file_name: &str,
    package: &str,
    version: &str,
) -> bool {
    match kind {
        ArtifactKind::Wheel => file_name
            .parse::<WheelName>()
            .is_ok_and(|w| w.version == version && w.is_project(package)),
        ArtifactKind::Sdist => file_name.parse::<SdistName>().is_ok_and(|s| {
            matches!(s.extension, SdistExtension::TarGz | SdistExtension::Zip)
                && s.version == version
                && s.is_project(package)
        }),
        ArtifactKind::Crate => file_name == CrateName::new(package, version).to_string(),
        ArtifactKind::NpmTarball => {
            file_name == artidigest::names::npm_tarball_name(package, version)
        }
        ArtifactKind::GoModule => GoModuleFile::is_for(file_name, version),
        _ => true,
    }
}

/// Whether the local file `local` is the one a registry serves as `served`: the same name, or
/// a module zip a proxy serves as `vX.Y.Z.zip` that the release names `<anything>-vX.Y.Z.zip`.
pub(crate) fn served_as(local: &str, served: &str) -> bool {
    GoModuleFile::served_as(local, served)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_matched_to_their_own_package() {
        use ArtifactKind::*;
        let v = "0.5.0";
        assert!(belongs_to(
            Wheel,
            "ordvec-0.5.0-cp312-cp312-manylinux_2_17_x86_64.whl",
            "ordvec",
            v
        ));
        assert!(!belongs_to(
            Wheel,
            "ordvec_manifest-0.5.0-py3-none-any.whl",
            "ordvec",
            v
        ));
        assert!(belongs_to(
            Wheel,
            "ordvec_manifest-0.5.0-py3-none-any.whl",
            "ordvec-manifest",
            v
        ));
        assert!(!belongs_to(
            Wheel,
            "ordvec-0.4.0-py3-none-any.whl",
            "ordvec",
            v
        ));
        assert!(belongs_to(
            Sdist,
            "ordvec_manifest-0.5.0.tar.gz",
            "Ordvec.Manifest",
            v
        ));
        assert!(!belongs_to(
            Sdist,
            "ordvec-0.5.0.tar.gz",
            "ordvec-manifest",
            v
        ));
        assert!(belongs_to(
            Crate,
            "ordvec-manifest-0.5.0.crate",
            "ordvec-manifest",
            v
        ));
        assert!(!belongs_to(
            Crate,
            "ordvec-manifest-0.5.0.crate",
            "ordvec",
            v
        ));
        assert!(belongs_to(
            NpmTarball,
            "sketchlog-client-0.5.0.tgz",
            "@sketchlog/client",
            v
        ));
        assert!(!belongs_to(
            NpmTarball,
            "sketchlog-react-0.5.0.tgz",
            "@sketchlog/client",
            v
        ));
        assert!(belongs_to(GoModule, "v0.5.0.zip", "example.invalid/m", v));
        assert!(belongs_to(OciImage, "anything", "example/app", v));
        assert!(served_as("clients-go-v3.0.2.zip", "v3.0.2.zip"));
        assert!(served_as("v3.0.2.zip", "v3.0.2.zip"));
        assert!(!served_as("clients-go-v3.0.2.zip", "v3.0.2.mod"));
        assert!(!belongs_to(Wheel, "-0.5.0-py3-none-any.whl", "ordvec", v));
    }
}
