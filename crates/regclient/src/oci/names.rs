//! Repository names, references and fallback tags, checked against the distribution spec.

use artidigest::Digest;

use super::error::Error;

/// Checks a repository name against the distribution spec's grammar.
pub fn check_repository(name: &str) -> Result<(), Error> {
    let comp_ok = |c: &str| {
        !c.is_empty()
            && c.starts_with(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit())
            && c.ends_with(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit())
            && c.chars().all(|ch| {
                ch.is_ascii_lowercase() || ch.is_ascii_digit() || matches!(ch, '.' | '_' | '-')
            })
    };
    if name.len() > 255 || !name.split('/').all(comp_ok) {
        return Err(Error::Invalid {
            what: "repository",
            input: name.to_owned(),
        });
    }
    Ok(())
}

/// Checks a tag (`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`) or parses a digest reference.
pub(super) fn check_reference(reference: &str) -> Result<Option<Digest>, Error> {
    if reference.contains(':') {
        return Digest::from_oci(reference)
            .map(Some)
            .map_err(|_| Error::Invalid {
                what: "reference",
                input: reference.to_owned(),
            });
    }
    let ok = !reference.is_empty()
        && reference.len() <= 128
        && reference.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && reference
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(None)
    } else {
        Err(Error::Invalid {
            what: "reference",
            input: reference.to_owned(),
        })
    }
}

/// The fallback tag of a subject: `sha256-<hex>`.
pub fn fallback_tag(subject: &Digest) -> String {
    format!("{}-{}", subject.algorithm(), subject.to_hex())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_references_follow_the_spec() {
        check_repository("team/app").unwrap();
        check_repository("a.b/c_d/e-f").unwrap();
        for bad in ["", "Team/app", "a//b", "../x", "a/-b"] {
            assert!(check_repository(bad).is_err(), "{bad}");
        }
        assert!(check_reference("v1.2.3").unwrap().is_none());
        assert!(
            check_reference(&format!("sha256:{}", "a".repeat(64)))
                .unwrap()
                .is_some()
        );
        assert!(check_reference("../x").is_err());
        assert!(check_reference("sha256:zz").is_err());
    }
}
