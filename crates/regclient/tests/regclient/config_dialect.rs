//! One registries file format (kebab-case) and one environment dialect
//! (`RELKIT_REGISTRY_<NAME>_URL` / `_TOKEN`): the old spellings give the same configuration
//! with deprecation notices and `tracing` warnings; tokens appear in no Debug, error or log;
//! bad files are typed errors naming file, line and key.

use regclient::npm::NpmRegistry;
use regclient::{ConfigError, RegistriesConfig, Secret};

use crate::support::*;

const NEW: &str = "[http]\ndeadline-secs = 60\nmax-concurrency = 2\n\
[pypi]\njson-api = \"http://127.0.0.1:9/pypi/\"\nsimple = \"http://127.0.0.1:9/simple/\"\ntoken-env = \"PYPI_TOKEN\"\n\
[npm]\nregistry = \"http://127.0.0.1:9/\"\ntoken-env = \"NPM_TOKEN\"\n\
[oci]\nregistry = \"http://127.0.0.1:9/\"\nusername = \"ci\"\npassword-env = \"OCI_PASSWORD\"\n\
[registries.npm-client]\nurl = \"http://127.0.0.1:9/\"\ntoken-env = \"NPM_TOKEN\"\n";

/// The same file in the snake_case keys of earlier releases.
fn old_spelling() -> String {
    NEW.replace("deadline-secs", "deadline_secs")
        .replace("max-concurrency", "max_concurrency")
        .replace("json-api", "json_api")
        .replace("token-env", "token_env")
        .replace("password-env", "password_env")
}

fn shape(c: &RegistriesConfig) -> String {
    format!(
        "{:?} {:?} {:?} {:?} {:?} {:?} {:?}",
        c.http, c.pypi, c.crates, c.npm, c.oci, c.goproxy, c.registries
    )
}

#[test]
fn old_and_new_file_spellings_give_the_same_config_and_the_old_one_warns() {
    let new = RegistriesConfig::from_toml_str(NEW, "registries.toml").unwrap();
    assert!(new.deprecations().is_empty(), "{:?}", new.deprecations());
    assert_eq!(new.http.deadline_secs, Some(60));
    assert_eq!(
        new.registries["npm-client"].token_env.as_deref(),
        Some("NPM_TOKEN")
    );

    let mut old = None;
    let log = logged(|| {
        old = Some(RegistriesConfig::from_toml_str(&old_spelling(), "old.toml").unwrap());
    });
    let old = old.unwrap();
    assert_eq!(shape(&old), shape(&new));
    let notices = old.deprecations();
    assert_eq!(notices.len(), 7, "{notices:?}");
    assert_eq!(
        notices[0],
        "old.toml:2: `deadline_secs` is deprecated: write `deadline-secs` (the value was used)"
    );
    assert!(
        notices
            .iter()
            .any(|n| n.starts_with("old.toml:17: `token_env`")),
        "{notices:?}"
    );
    assert!(log.contains("WARN"), "{log}");
    assert!(log.contains("`json_api` is deprecated"), "{log}");
}

#[test]
fn old_and_new_variables_give_the_same_config_and_the_old_ones_warn() {
    let var = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    let new = RegistriesConfig::from_vars(vec![
        var("RELKIT_REGISTRY_NPM_URL", "http://127.0.0.1:9/"),
        var("RELKIT_REGISTRY_NPM_TOKEN", "tok-NEW-SECRET-1"),
        var("RELKIT_REGISTRY_PYPI_URL", "http://127.0.0.1:9/simple/"),
        var("RELKIT_REGISTRY_CRATES_URL", "http://127.0.0.1:9/index/"),
        var("RELKIT_REGISTRY_GOPROXY_URL", "http://127.0.0.1:9/go/"),
        var("RELKIT_REGISTRY_OCI_URL", "http://127.0.0.1:9/"),
    ]);
    assert!(new.deprecations().is_empty());
    let mut old = None;
    let log = logged(|| {
        old = Some(RegistriesConfig::from_vars(vec![
            var("RELKIT_NPM_REGISTRY", "http://127.0.0.1:9/"),
            var("RELKIT_NPM_TOKEN", "tok-OLD-SECRET-2"),
            var("RELKIT_PYPI_SIMPLE", "http://127.0.0.1:9/simple/"),
            var("RELKIT_CRATES_INDEX", "http://127.0.0.1:9/index/"),
            var("RELKIT_GOPROXY", "http://127.0.0.1:9/go/"),
            var("RELKIT_OCI_REGISTRY", "http://127.0.0.1:9/"),
        ]));
    });
    let old = old.unwrap();
    // Same endpoints; each names the variable its token is read from.
    assert_eq!(format!("{:?}", old.pypi), format!("{:?}", new.pypi));
    assert_eq!(format!("{:?}", old.crates), format!("{:?}", new.crates));
    assert_eq!(format!("{:?}", old.goproxy), format!("{:?}", new.goproxy));
    assert_eq!(format!("{:?}", old.oci), format!("{:?}", new.oci));
    assert_eq!(
        old.npm.as_ref().unwrap().registry,
        new.npm.as_ref().unwrap().registry
    );
    assert_eq!(
        new.npm.as_ref().unwrap().token_env.as_deref(),
        Some("RELKIT_REGISTRY_NPM_TOKEN")
    );
    assert_eq!(
        old.npm.as_ref().unwrap().token_env.as_deref(),
        Some("RELKIT_NPM_TOKEN")
    );
    assert_eq!(old.deprecations().len(), 6, "{:?}", old.deprecations());
    assert!(old.deprecations().contains(&String::from(
        "RELKIT_NPM_REGISTRY is deprecated: set RELKIT_REGISTRY_NPM_URL instead (the value was used)"
    )));
    assert!(log.contains("RELKIT_NPM_TOKEN is deprecated"), "{log}");
    // Token values are read by name, never copied into the configuration or the log.
    for shown in [format!("{old:?}"), format!("{new:?}"), log] {
        assert!(!shown.contains("SECRET"), "{shown}");
    }
    // The new name wins over the old one, without a notice.
    let both = RegistriesConfig::from_vars(vec![
        var("RELKIT_NPM_REGISTRY", "http://127.0.0.1:1/"),
        var("RELKIT_REGISTRY_NPM_URL", "http://127.0.0.1:2/"),
    ]);
    assert_eq!(both.npm.as_ref().unwrap().registry, "http://127.0.0.1:2/");
    assert!(both.deprecations().is_empty());
}

#[test]
fn a_token_is_sent_to_its_registry_only_and_shows_in_no_debug_error_or_log() {
    let token = "tok-e7f1-SECRET-a9";
    let server = TestServer::start(|req| match req.path.as_str() {
        "/-/whoami" => Reply::json(401, &serde_json::json!({"error": "nope"})),
        _ => Reply::json(403, &serde_json::json!({"error": "forbidden"})),
    });
    let reg = NpmRegistry::new(client(), &server.url("/"))
        .unwrap()
        .with_token(Secret::new(token));
    let mut shown = format!("{reg:?}");
    let log = logged(|| {
        let err = reg.whoami().unwrap_err();
        shown.push_str(&format!("{err} {err:?} {}", regclient::error_chain(&err)));
        let err = reg.version("@scope/pkg", "1.0.0").unwrap_err();
        shown.push_str(&format!("{err} {err:?}"));
    });
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(!log.contains("SECRET"), "{log}");
    let sent: Vec<Option<String>> = server
        .requests()
        .iter()
        .map(|r| r.header("authorization").map(str::to_owned))
        .collect();
    assert!(
        sent.iter()
            .all(|h| h.as_deref() == Some(&format!("Bearer {token}")[..])),
        "{sent:?}"
    );
}

#[test]
fn bad_files_are_typed_errors_naming_file_line_and_key() {
    let cases: [(&str, usize, &str); 5] = [
        ("[npm]\nregistry = 3\n", 2, "npm.registry"),
        ("[http]\nattempts = 2\nretries = 3\n", 3, "http.retries"),
        (
            "# endpoints\n[registries.py]\nurl = \"ftp://127.0.0.1/\"\n",
            2,
            "registries.py.url",
        ),
        (
            "[registries.py]\nurl = \"http://127.0.0.1/\"\ntoken = \"inline\"\n",
            3,
            "registries.py.token",
        ),
        (
            "[registries.py]\nurl = \"http://127.0.0.1/\"\n[registries.py]\n",
            3,
            "registries.py",
        ),
    ];
    for (text, want_line, want_key) in cases {
        let err = RegistriesConfig::from_toml_str(text, "reg.toml").unwrap_err();
        match &err {
            ConfigError::Parse {
                path, line, key, ..
            } => {
                assert_eq!(path, "reg.toml", "{text}");
                assert_eq!(*line, want_line, "{text}: {err}");
                assert_eq!(key.as_deref(), Some(want_key), "{text}: {err}");
            }
            other => panic!("{text}: expected Parse, got {other:?}"),
        }
        assert!(
            err.to_string()
                .starts_with(&format!("reg.toml:{want_line}: {want_key}: ")),
            "{err}"
        );
    }
    // A deprecated key keeps its line in a later error.
    let err =
        RegistriesConfig::from_toml_str("[npm]\ntoken_env = \"X\"\nregistry = []\n", "r.toml")
            .unwrap_err();
    assert!(
        err.to_string().starts_with("r.toml:3: npm.registry: "),
        "{err}"
    );
}

#[test]
fn a_password_written_into_a_url_is_masked_in_the_configurations_debug() {
    let file = "[pypi]\njson-api = \"http://ci:pypi-pw-1@127.0.0.1:9/pypi/\"\n\
        [crates]\nindex = \"http://ci:crates-pw-2@127.0.0.1:9/index/\"\n\
        [npm]\nregistry = \"https://ci:npm-pw-3@127.0.0.1:9/\"\n\
        [oci]\nregistry = \"http://ci:oci-pw-4@127.0.0.1:9/\"\n\
        [goproxy]\nurl = \"http://ci:go-pw-5@127.0.0.1:9/\"\n\
        [registries.npm-client]\nurl = \"http://ci:named-pw-6@127.0.0.1:9/\"\n";
    let config: RegistriesConfig = file.parse().unwrap();
    let shown = format!("{config:?}");
    for pw in [
        "pypi-pw-1",
        "crates-pw-2",
        "npm-pw-3",
        "oci-pw-4",
        "go-pw-5",
        "named-pw-6",
    ] {
        assert!(!shown.contains(pw), "{pw} shown in {shown}");
    }
    // What is not secret stays readable: the hosts, paths and names.
    for kept in ["127.0.0.1:9/pypi/", "127.0.0.1:9/index/", "npm-client"] {
        assert!(shown.contains(kept), "{kept} missing from {shown}");
    }
    assert_eq!(shown.matches("<redacted>@").count(), 6, "{shown}");
    // The configuration itself keeps the URLs as written: only what is shown is masked.
    assert!(config.npm.unwrap().registry.contains("npm-pw-3"));
}
