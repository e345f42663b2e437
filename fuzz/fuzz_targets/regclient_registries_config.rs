//! The registries configuration (TOML): parsing, checking and building clients never panic,
//! whatever the numbers (timeouts and deadlines near `u64::MAX`) and URLs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regclient::RegistriesConfig;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(config) = s.parse::<RegistriesConfig>() {
        let _ = config.build();
        let _ = config.http_client();
    }
});
