//! tar.gz reader: never panics, and the pipelined and one-thread readers agree on every input:
//! the same entries and digests, or both an error. (Which error comes first may differ when a
//! cap is crossed: the pipelined reader inflates ahead of the parser.)
#![no_main]

use artidigest::{Limits, MultiHasher, Algorithm, visit_tar_gz, visit_tar_gz_single_thread};
use libfuzzer_sys::fuzz_target;

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_entries = 1000;
    l.max_total_size = 4 << 20;
    l
}

fn read(data: &[u8], pipelined: bool) -> Result<Vec<(String, u64, String)>, String> {
    let mut out = Vec::new();
    let visitor = |e: &artidigest::Entry, c: &mut dyn std::io::Read| {
        let mut h = MultiHasher::new(&[Algorithm::Sha256]);
        std::io::copy(c, &mut h)?;
        let set = h.finish();
        out.push((e.path.clone(), set.size(), set.get(Algorithm::Sha256).map(|d| d.to_hex()).unwrap_or_default()));
        Ok(())
    };
    let r = if pipelined {
        visit_tar_gz(data, &limits(), visitor)
    } else {
        visit_tar_gz_single_thread(data, &limits(), visitor)
    };
    match r {
        Ok(_) => Ok(out),
        Err(_) => Err(String::new()),
    }
}

fuzz_target!(|data: &[u8]| {
    let a = read(data, true);
    let b = read(data, false);
    assert_eq!(a, b);
});
