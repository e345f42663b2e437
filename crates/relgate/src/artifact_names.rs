//! Which local artifact files belong to which registry package, by the file-name conventions
//! of each ecosystem: a Python index serving `ordvec` does not serve `ordvec_manifest`'s wheel,
//! and a crates registry's `ordvec` is not `ordvec-manifest`.

use crate::policy::model::ArtifactKind;

/// PEP 503 normalisation (runs of `-`, `_`, `.` become one `-`, lower case), used to compare
/// a project name with the name part of a wheel or sdist file name; a name that is not a valid
/// project name compares as itself, lower-cased (and so matches nothing valid).
fn pep503(name: &str) -> String {
    regclient::pypi::normalize(name).unwrap_or_else(|_| name.to_ascii_lowercase())
}

/// Whether `file_name` (of an artifact of `kind`) is a file of registry package `package`
/// at `version`, following each ecosystem's naming:
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
    let name_before = |suffix: &str| -> Option<&str> {
        file_name
            .strip_suffix(suffix)
            .and_then(|rest| rest.strip_suffix(version))
            .and_then(|rest| rest.strip_suffix('-'))
    };
    match kind {
        ArtifactKind::Wheel => {
            let mut parts = file_name.trim_end_matches(".whl").split('-');
            let (Some(name), Some(v)) = (parts.next(), parts.next()) else {
                return false;
            };
            v == version && pep503(name) == pep503(package)
        }
        ArtifactKind::Sdist => [".tar.gz", ".zip"]
            .iter()
            .filter_map(|s| name_before(s))
            .any(|name| pep503(name) == pep503(package)),
        ArtifactKind::Crate => name_before(".crate") == Some(package),
        ArtifactKind::NpmTarball => {
            let packed = package.trim_start_matches('@').replace('/', "-");
            name_before(".tgz") == Some(packed.as_str())
        }
        ArtifactKind::GoModule => {
            let v = format!("v{}", version.trim_start_matches('v'));
            file_name == format!("{v}.zip")
                || file_name == format!("{v}.mod")
                || file_name.ends_with(&format!("-{v}.zip"))
        }
        _ => true,
    }
}

/// Whether the local file `local` is the one a registry serves as `served`: the same name, or
/// a module zip a proxy serves as `vX.Y.Z.zip` that the release names `<anything>-vX.Y.Z.zip`.
pub(crate) fn served_as(local: &str, served: &str) -> bool {
    local == served || (served.ends_with(".zip") && local.ends_with(&format!("-{served}")))
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
        assert_eq!(pep503("Ordvec__Manifest.x"), "ordvec-manifest-x");
        assert!(served_as("clients-go-v3.0.2.zip", "v3.0.2.zip"));
        assert!(served_as("v3.0.2.zip", "v3.0.2.zip"));
        assert!(!served_as("clients-go-v3.0.2.zip", "v3.0.2.mod"));
        assert!(!belongs_to(Wheel, "-0.5.0-py3-none-any.whl", "ordvec", v));
    }
}
