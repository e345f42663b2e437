//! Package URLs (`pkg:type/namespace/name@version?qualifiers#subpath`), as far as the SBOM
//! checks need them: the package's full name and the file names its qualifiers give.

/// A parsed package URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Purl {
    /// `namespace/name`, percent-decoded (`@sketchlog/client`), or `name` alone.
    name: String,
    /// `file_name` and `download_url` qualifiers, percent-decoded.
    files: Vec<String>,
}

impl Purl {
    /// Parses `s`; `None` when it is not a package URL.
    pub(crate) fn parse(s: &str) -> Option<Purl> {
        let rest = s.strip_prefix("pkg:")?;
        let rest = rest.split('#').next().unwrap_or(rest);
        let (path, qualifiers) = rest.split_once('?').unwrap_or((rest, ""));
        let (_kind, path) = path.trim_start_matches('/').split_once('/')?;
        let path = path.rsplit_once('@').map_or(path, |(p, _version)| p);
        if path.is_empty() {
            return None;
        }
        let name = path
            .split('/')
            .map(decode)
            .collect::<Vec<String>>()
            .join("/");
        let files = qualifiers
            .split('&')
            .filter_map(|q| q.split_once('='))
            .filter(|(k, _)| matches!(*k, "file_name" | "download_url"))
            .filter_map(|(_, v)| {
                let v = decode(v);
                let v = v.split(['?', '#']).next().unwrap_or(&v).to_owned();
                v.rsplit('/')
                    .next()
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
            })
            .collect();
        Some(Purl { name, files })
    }

    /// `namespace/name` (or `name`).
    pub(crate) fn full_name(&self) -> String {
        self.name.clone()
    }

    /// The file names the qualifiers give (`file_name`, last segment of `download_url`).
    pub(crate) fn file_names(&self) -> Vec<String> {
        self.files.clone()
    }
}

/// Percent-decodes `s` (an invalid escape stays as it is).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |j: usize| bytes.get(j).and_then(|c| (*c as char).to_digit(16));
        match (b, hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'%'));
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_file_qualifiers() {
        let p = Purl::parse("pkg:npm/%40sketchlog/client@3.0.2").unwrap();
        assert_eq!(p.full_name(), "@sketchlog/client");
        assert!(p.file_names().is_empty());
        let p = Purl::parse(
            "pkg:pypi/advisoryhub@2.3.1?file_name=advisoryhub-2.3.1.tar.gz&repository_url=http://127.0.0.1:9/simple",
        )
        .unwrap();
        assert_eq!(p.full_name(), "advisoryhub");
        assert_eq!(p.file_names(), ["advisoryhub-2.3.1.tar.gz"]);
        let p = Purl::parse(
            "pkg:generic/tool@1?download_url=http%3A%2F%2F127.0.0.1%2Ftool-1.zip%3Fx%3D1",
        )
        .unwrap();
        assert_eq!(p.file_names(), ["tool-1.zip"]);
        assert_eq!(Purl::parse("npm/x@1"), None);
        assert_eq!(Purl::parse("pkg:npm"), None);
    }
}
