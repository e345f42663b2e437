//! Registries configuration: TOML endpoints, secrets by environment variable, unified lookups.

use regclient::{ConfigError, LookupError, PackageSpec, RegistriesConfig, VersionState};

use crate::support::*;

#[test]
fn config_file_builds_clients_and_names_bad_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registries.toml");
    std::fs::write(&path, "[npm]\nregistry = \"http://127.0.0.1:4873/\"\ntoken_env = \"HOME\"\n[oci]\nregistry = \"http://127.0.0.1:5000\"\n").unwrap();
    let reg = RegistriesConfig::from_file(&path).unwrap().build().unwrap();
    assert!(reg.npm.is_some() && reg.oci.is_some() && reg.pypi.is_none());
    let home = std::env::var("HOME").unwrap();
    if home.len() >= 4 {
        assert!(
            !format!("{reg:?}").contains(&home),
            "secret printed in Debug"
        );
    }

    let err =
        "[npm]\nregistry = \"http://127.0.0.1:1/\"\ntoken_env = \"RELKIT_SURELY_UNSET_VAR_123\"\n"
            .parse::<RegistriesConfig>()
            .unwrap()
            .build()
            .unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::MissingSecret {
                field: "npm.token-env",
                ..
            }
        ),
        "{err:?}"
    );
    let err = "[npm]\nregistri = \"x\"\n"
        .parse::<RegistriesConfig>()
        .unwrap_err();
    assert!(err.to_string().contains("registri"), "{err}");
    let err = "[crates]\nindex = \"ftp://127.0.0.1/\"\n"
        .parse::<RegistriesConfig>()
        .unwrap()
        .build()
        .unwrap_err();
    assert!(matches!(
        err,
        ConfigError::Endpoint {
            field: "crates.index",
            ..
        }
    ));
}

#[test]
fn unified_lookup_by_spec() {
    let files: Files = Default::default();
    let server = static_server(std::sync::Arc::clone(&files));
    files.lock().unwrap().insert(
        "/index/config.json".into(),
        format!("{{\"dl\":\"http://{}/dl\"}}", server.addr).into_bytes(),
    );
    files.lock().unwrap().insert(
        "/index/3/a/abc".into(),
        format!("{{\"name\":\"abc\",\"vers\":\"1.0.0\",\"deps\":[],\"cksum\":\"{}\",\"features\":{{}},\"yanked\":false}}\n", sha256(b"abc").to_hex()).into_bytes(),
    );
    let cfg: RegistriesConfig = format!("[crates]\nindex = \"{}\"\n", server.url("/index/"))
        .parse()
        .unwrap();
    let reg = cfg.build().unwrap();
    let spec: PackageSpec = "crates:abc@1.0.0".parse().unwrap();
    let v = reg.version(&spec).unwrap();
    assert_eq!(v.state, VersionState::Present);
    assert_eq!(
        v.files[0].url,
        format!("http://{}/dl/abc/1.0.0/download", server.addr)
    );
    assert!(!reg.exists(&"crates:abc@2.0.0".parse().unwrap()).unwrap());
    assert!(matches!(
        reg.version(&"npm:x@1.0.0".parse().unwrap()),
        Err(LookupError::NotConfigured(_))
    ));
}
