//! Set-up the fuzz targets share.

use std::sync::Once;

static DEFAULT_HOOK: Once = Once::new();

/// libfuzzer-sys aborts on every panic, even one a library catches and turns into a typed error
/// (relver's guard against `toml_edit` panics). This restores the default panic hook, once per
/// process, so that only a panic that escapes the library (and reaches libfuzzer-sys's own
/// catch) counts as a crash. Call it first thing in the target.
pub fn count_only_escaping_panics() {
    DEFAULT_HOOK.call_once(|| drop(std::panic::take_hook()));
}
