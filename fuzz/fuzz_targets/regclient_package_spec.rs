//! Package specs (`npm:@scope/name@1.0.0`, `pypi:name==1.0`, `oci:repo@sha256:…`): never
//! panic; an accepted spec prints back to a spec that parses equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regclient::PackageSpec;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(spec) = s.parse::<PackageSpec>() {
        let again: PackageSpec = spec
            .to_string()
            .parse()
            .expect("a printed spec parses again");
        assert_eq!(again, spec);
    }
});
