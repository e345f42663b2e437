//! Verifying a whole release folder against one sha256 pass over the same files.
//!
//! The folder is synthetic: wheels, sdists, `.crate`s and npm tarballs in equal numbers, each
//! well-formed for relkit's profile checks (a wheel RECORD with the right hashes, an sdist's
//! `PKG-INFO`, a crate's `Cargo.toml` naming the file's name and version, an npm
//! `package/package.json`), holding mostly incompressible bytes from a seeded PRNG so that the
//! sizes are real, plus a `SHA256SUMS` listing every artifact. Two things are measured in the
//! same run:
//!
//! - `sha256-pass`: every file of the folder read and sha256-hashed once, one after another,
//!   with artidigest's [`digest_reader`];
//! - `relgate-verify`: [`relgate::run_blocking`] on the folder with the built-in policy that
//!   `examples/verify_release.rs` uses for a plain folder (its checksum file is present and
//!   verifies every file), which also runs archive-safety on every archive and the ledger.
//!
//! After the criterion samples the bench times three more alternating passes of both and prints
//! the wall-time ratio verify / sha256 (target: at most 2), then re-runs itself as a child that
//! verifies the folder once and prints its own `VmHWM` (peak resident memory; target
//! < 100 MiB).
//!
//! Under `cargo bench` the folder has 300 artifacts of about 2 GiB in total (override with
//! `RELKIT_RELEASE_BENCH_ARTIFACTS` and `RELKIT_RELEASE_BENCH_MIB`). It is generated once,
//! deterministically, under `$RELKIT_BENCH_DATA` (default `~/.cache/relkit/bench-data`) in a
//! folder named after [`DATA_VERSION`] and the sizes, and reused while it exists. Under
//! `cargo test -p relkit-benches --benches` (a smoke run) it is 8 artifacts of 4 MiB in all, in a temporary folder.
//!
//! `RELKIT_RELEASE_VERIFY_CHILD=<dir>` makes the binary verify `<dir>` once, print
//! `VmHWM <kB> kB` and exit (0 allowed, 1 blocked): the child mode used for the memory figure.

use std::fs;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use artidigest::checksums::Style;
use artidigest::{
    Algorithm, ChecksumFile, Format, RepackEntry, RepackOptions, digest_bytes, digest_reader,
    repack_entries,
};
use criterion::{Criterion, SamplingMode, Throughput};
use relgate::{Policy, RunContext, RunStatus};
use relkit_demo::python_wheel;
use relkit_testkit::bench::{full_run, input_size};

#[path = "common/cpu.rs"]
mod cpu;
use cpu::cpu_seconds;

/// Bump when the generator changes: the cached folder is keyed by it.
const DATA_VERSION: &str = "v1";

/// The checksum file of the folder.
const SUMS: &str = "SHA256SUMS";

/// The environment variable of the child mode.
const CHILD_VAR: &str = "RELKIT_RELEASE_VERIFY_CHILD";

/// xorshift64*: fast, seeded, and its output does not deflate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// `len` bytes: seven eighths random, one eighth text-like lines (about 3:1 under deflate),
    /// like a package of compiled code with some sources beside it.
    fn payload(&mut self, len: usize) -> Vec<u8> {
        let random = len - len / 8;
        let mut out = Vec::with_capacity(len + 64);
        while out.len() < random {
            out.extend_from_slice(&self.next().to_le_bytes());
        }
        out.truncate(random);
        while out.len() < len {
            let r = self.next();
            out.extend_from_slice(
                format!("pub const ITEM_{}: u32 = 0x{:x};\n", r % 4096, r >> 48).as_bytes(),
            );
        }
        out.truncate(len);
        out
    }
}

/// How big the folder is.
#[derive(Debug, Clone, Copy)]
struct Plan {
    artifacts: usize,
    total_bytes: u64,
}

impl Plan {
    fn current() -> Plan {
        Plan {
            artifacts: input_size("RELKIT_RELEASE_BENCH_ARTIFACTS", 300, 8),
            total_bytes: input_size::<u64>("RELKIT_RELEASE_BENCH_MIB", 2048, 4) << 20,
        }
    }

    /// The cache folder's name: the generator version and the sizes.
    fn key(&self) -> String {
        format!(
            "release-folder-{DATA_VERSION}-{}x{}MiB",
            self.artifacts,
            self.total_bytes >> 20
        )
    }
}

fn repack(name: &str, files: Vec<(String, Vec<u8>)>, opts: &RepackOptions) -> Vec<u8> {
    let entries = files
        .into_iter()
        .map(|(p, b)| RepackEntry::file(p, b))
        .collect();
    repack_entries(entries, opts)
        .unwrap_or_else(|e| panic!("cannot pack {name}: {e}"))
        .bytes
}

/// Artifact `i` (its kind is `i % 4`) with `payload` as its main content: name and bytes.
fn artifact(i: usize, payload: Vec<u8>) -> (String, Vec<u8>) {
    let version = format!("1.{}.{}", i / 4, i % 7);
    let py = format!("relkit_bench_{i:03}");
    let name = format!("relkit-bench-{i:03}");
    match i % 4 {
        // A wheel from the demo's wheel writer: METADATA, WHEEL and an honest RECORD.
        0 => python_wheel(&py, &version, "py3-none-any", payload, false).unwrap(),
        1 => {
            let root = format!("{py}-{version}");
            let files = vec![
                (
                    format!("{root}/PKG-INFO"),
                    format!("Metadata-Version: 2.1\nName: {py}\nVersion: {version}\nSummary: relkit bench sdist\n")
                        .into_bytes(),
                ),
                (
                    format!("{root}/pyproject.toml"),
                    format!("[project]\nname = \"{py}\"\nversion = \"{version}\"\n").into_bytes(),
                ),
                (format!("{root}/{py}/_data.bin"), payload),
            ];
            let file = format!("{root}.tar.gz");
            let bytes = repack(&file, files, &RepackOptions::new(Format::TarGz));
            (file, bytes)
        }
        2 => {
            let root = format!("{name}-{version}");
            let manifest = format!(
                "[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\nlicense = \"MIT\"\n"
            );
            let files = vec![
                (
                    format!("{root}/.cargo_vcs_info.json"),
                    b"{\n  \"git\": {\n    \"sha1\": \"4b825dc642cb6eb9a060e54bf8d69288fbee4904\"\n  },\n  \"path_in_vcs\": \"\"\n}".to_vec(),
                ),
                (format!("{root}/Cargo.toml"), manifest.clone().into_bytes()),
                (format!("{root}/Cargo.toml.orig"), manifest.into_bytes()),
                (
                    format!("{root}/src/lib.rs"),
                    b"//! A bench crate.\npub const DATA: &[u8] = include_bytes!(\"data.bin\");\n"
                        .to_vec(),
                ),
                (format!("{root}/src/data.bin"), payload),
            ];
            let file = format!("{root}.crate");
            let bytes = repack(&file, files, &RepackOptions::cargo());
            (file, bytes)
        }
        _ => {
            let files = vec![
                (
                    String::from("package/package.json"),
                    format!("{{\n  \"name\": \"{name}\",\n  \"version\": \"{version}\",\n  \"main\": \"index.js\",\n  \"license\": \"MIT\"\n}}\n")
                        .into_bytes(),
                ),
                (
                    String::from("package/index.js"),
                    b"module.exports = require('./data.bin');\n".to_vec(),
                ),
                (String::from("package/data.bin"), payload),
            ];
            let file = format!("{name}-{version}.tgz");
            let bytes = repack(&file, files, &RepackOptions::new(Format::TarGz));
            (file, bytes)
        }
    }
}

/// Writes the release folder of `plan` into `dist` (which must not exist): the artifacts and
/// a `SHA256SUMS` listing them. The same plan always gives the same bytes.
fn generate(plan: Plan, dist: &Path) {
    fs::create_dir_all(dist).unwrap();
    let mut rng = Rng(0x5eed_0000_0000_0011);
    let mean = plan.total_bytes / plan.artifacts as u64;
    let mut sums = Vec::new();
    let mut left = plan.total_bytes;
    for i in 0..plan.artifacts {
        // Sizes from 1/4 to 7/4 of the mean; the last artifact takes what is left.
        let len = if i + 1 == plan.artifacts {
            left
        } else {
            (mean / 4 + rng.next() % (mean * 3 / 2)).min(left)
        };
        left -= len;
        let payload = rng.payload(len as usize);
        let (name, bytes) = artifact(i, payload);
        let d = *digest_bytes(&bytes, &[Algorithm::Sha256])
            .get(Algorithm::Sha256)
            .unwrap();
        fs::write(dist.join(&name), &bytes).unwrap();
        sums.push((name, d));
    }
    let sums = ChecksumFile::from_entries(sums, Style::Text);
    fs::write(dist.join(SUMS), sums.to_string()).unwrap();
}

/// The release folder for `plan`: in a full run cached under the bench-data folder (made once,
/// in a scratch folder renamed into place when complete); in a smoke run in `scratch`.
fn release_folder(plan: Plan, scratch: &Path) -> PathBuf {
    if !full_run() {
        let dist = scratch.join("dist");
        generate(plan, &dist);
        return dist;
    }
    let root = std::env::var_os("RELKIT_BENCH_DATA")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/relkit/bench-data"))
        })
        .expect("set RELKIT_BENCH_DATA or HOME");
    let done = root.join(plan.key());
    if !done.join("dist").join(SUMS).is_file() {
        let partial = root.join(format!("{}.partial", plan.key()));
        let _ = fs::remove_dir_all(&partial);
        let started = Instant::now();
        println!(
            "generating {} artifacts, {} MiB, into {} (once)",
            plan.artifacts,
            plan.total_bytes >> 20,
            done.display()
        );
        generate(plan, &partial.join("dist"));
        let _ = fs::remove_dir_all(&done);
        fs::rename(&partial, &done).unwrap();
        println!("generated in {:.1} s", started.elapsed().as_secs_f64());
    }
    done.join("dist")
}

/// Every file of `dist`, sorted: the artifacts and the checksum file.
fn files_of(dist: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dist)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// (a) One sha256 pass: every file read and hashed, one after another. Returns bytes hashed.
fn sha256_pass(files: &[PathBuf]) -> u64 {
    let mut total = 0;
    for f in files {
        let set = digest_reader(fs::File::open(f).unwrap(), &[Algorithm::Sha256]).unwrap();
        black_box(set.get(Algorithm::Sha256));
        total += set.size();
    }
    total
}

/// The built-in policy `examples/verify_release.rs` uses for a plain folder holding
/// `SHA256SUMS`: the checksum file is present and verifies every file.
fn plain_folder_policy() -> Policy {
    let text = format!(
        "[project]\nname = \"dist\"\n[release]\nrequired-assets = [\"{SUMS}\"]\n[checksums]\nfile = \"{SUMS}\"\n[gates.checksum-file]\nafter = [\"required-assets-present\"]\n"
    );
    Policy::from_toml_str(&text, "(built-in policy)").unwrap()
}

/// (b) relgate on the folder with no policy of its own, as `verify_release DIR` runs it.
fn verify(policy: &Policy, dist: &Path) -> relgate::Report {
    relgate::run_blocking(policy, RunContext::new(dist))
}

fn assert_allowed(report: &relgate::Report, files: usize) {
    assert_eq!(
        report.decision.status,
        RunStatus::Allowed,
        "{}",
        relgate::Format::Terminal.render(report, false)
    );
    let ledger = report.ledger.as_ref().expect("a ledger");
    assert_eq!(ledger.counts(), (files, 0, 0), "every file covered");
}

/// The current process's peak resident set, `VmHWM`, in kB (Linux).
fn vm_hwm_kb() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs this binary as a child that verifies `dist` once and prints its gates' timings; returns
/// its `VmHWM` in kB.
fn child_peak_kb(dist: &Path) -> u64 {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env(CHILD_VAR, dist)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines().filter(|l| !l.starts_with("VmHWM")) {
        println!("child: {line}");
    }
    assert!(
        out.status.success(),
        "the verify child failed ({}): {stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM ")?.strip_suffix(" kB")?.parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM line from the child: {stdout}"))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    if let Some(dist) = std::env::var_os(CHILD_VAR) {
        let started = Instant::now();
        let report = verify(&plain_folder_policy(), Path::new(&dist));
        let wall = started.elapsed().as_secs_f64();
        for g in &report.gates {
            println!(
                "gate {:<24} {:?}: started at {} ms, ran {} ms",
                g.id, g.status, g.started_ms, g.duration_ms
            );
        }
        println!(
            "run: wall {wall:.2} s, gates {} ms serial / {} ms wall (at most {} at once), process CPU {:.2} s",
            report.timings.serial_ms,
            report.timings.wall_ms,
            report.timings.max_parallel,
            cpu_seconds("/proc/self/stat")
        );
        println!("VmHWM {} kB", vm_hwm_kb().unwrap_or(0));
        std::process::exit(report.exit_code());
    }

    let plan = Plan::current();
    let scratch = tempfile::tempdir().unwrap();
    let dist = release_folder(plan, scratch.path());
    let files = files_of(&dist);
    let bytes: u64 = files.iter().map(|f| f.metadata().unwrap().len()).sum();
    println!(
        "release folder {}: {} files, {:.1} MB",
        dist.display(),
        files.len(),
        bytes as f64 / 1e6
    );
    let policy = plain_folder_policy();
    // The folder must pass before its time means anything.
    assert_allowed(&verify(&policy, &dist), files.len());
    assert_eq!(sha256_pass(&files), bytes);

    let mut c = Criterion::default().configure_from_args();
    {
        let mut g = c.benchmark_group("release_folder");
        g.throughput(Throughput::Bytes(bytes));
        g.sample_size(10);
        g.sampling_mode(SamplingMode::Flat);
        g.warm_up_time(Duration::from_secs(1));
        g.bench_function("sha256-pass", |b| {
            b.iter(|| assert_eq!(sha256_pass(black_box(&files)), bytes))
        });
        g.bench_function("relgate-verify", |b| {
            b.iter(|| assert_eq!(verify(&policy, black_box(&dist)).exit_code(), 0))
        });
        g.finish();
    }
    c.final_summary();

    // Alternating passes, so that machine load shifts both sides alike; with the process's CPU
    // time of each, which moves much less with load than wall time does.
    let passes = if full_run() { 3 } else { 1 };
    let (mut hash_times, mut verify_times) = (Vec::new(), Vec::new());
    let (mut hash_cpu, mut verify_cpu) = (Vec::new(), Vec::new());
    for _ in 0..passes {
        let (t, cpu) = (Instant::now(), cpu_seconds("/proc/self/stat"));
        sha256_pass(&files);
        hash_times.push(t.elapsed());
        hash_cpu.push(cpu_seconds("/proc/self/stat") - cpu);
        let (t, cpu) = (Instant::now(), cpu_seconds("/proc/self/stat"));
        assert_eq!(verify(&policy, &dist).exit_code(), 0);
        verify_times.push(t.elapsed());
        verify_cpu.push(cpu_seconds("/proc/self/stat") - cpu);
    }
    let (h, v) = (median(hash_times.clone()), median(verify_times.clone()));
    println!(
        "alternating passes: sha256 {hash_times:.2?} (CPU {hash_cpu:.2?} s), verify {verify_times:.2?} (CPU {verify_cpu:.2?} s)"
    );
    println!(
        "median sha256 {:.3} s ({:.0} MB/s), verify {:.3} s ({:.0} MB/s): wall-time ratio verify/sha256 {:.2} (target <= 2)",
        h.as_secs_f64(),
        bytes as f64 / h.as_secs_f64() / 1e6,
        v.as_secs_f64(),
        bytes as f64 / v.as_secs_f64() / 1e6,
        v.as_secs_f64() / h.as_secs_f64()
    );
    let (hc, vc) = (
        hash_cpu.iter().sum::<f64>() / passes as f64,
        verify_cpu.iter().sum::<f64>() / passes as f64,
    );
    println!(
        "mean CPU: sha256 {hc:.2} s, verify {vc:.2} s: CPU-time ratio {:.2}",
        vc / hc.max(0.01)
    );
    let kb = child_peak_kb(&dist);
    println!(
        "peak memory of one verify in a child process: VmHWM {kb} kB = {:.1} MiB (target < 100 MiB)",
        kb as f64 / 1024.0
    );
}
