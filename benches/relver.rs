//! Criterion bench: `relver::check` over a generated monorepo with 2,000 version sources.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use relver::{Config, DirTree, SourceKind, SourceSpec, Tag, check};

const SOURCES: usize = 2_000;

/// Write a monorepo with `SOURCES` version sources across ecosystems; returns its config.
fn generate(root: &Path, version: &str) -> Config {
    let mut specs = Vec::with_capacity(SOURCES + 1);
    let mut lock = String::from("version = 4\n");
    let w = |p: &str, t: String| {
        let path = root.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, t).unwrap();
    };
    for i in 0..SOURCES {
        let (path, kind, text) = match i % 10 {
            0..=3 => (
                format!("crates/c{i}/Cargo.toml"),
                SourceKind::Cargo,
                format!(
                    "[package]\nname = \"c{i}\"\nversion = \"{version}\"\nedition = \"2024\"\n\n[dependencies]\nserde = \"1\"\n"
                ),
            ),
            4 | 5 => (
                format!("py/p{i}/pyproject.toml"),
                SourceKind::Pyproject,
                format!(
                    "[project]\nname = \"p{i}\"\nversion = \"{version}\"\ndependencies = [\"requests\"]\n"
                ),
            ),
            6 | 7 => (
                format!("js/j{i}/package.json"),
                SourceKind::PackageJson,
                format!(
                    "{{\n  \"name\": \"j{i}\",\n  \"version\": \"{version}\",\n  \"dependencies\": {{ \"a\": \"^1.0.0\" }}\n}}\n"
                ),
            ),
            8 => (
                format!("py/m{i}/__init__.py"),
                SourceKind::PythonVersion,
                format!("\"\"\"Module.\"\"\"\n\n__version__ = \"{version}\"\n"),
            ),
            _ => (
                format!("charts/h{i}/Chart.yaml"),
                SourceKind::Yaml,
                format!(
                    "apiVersion: v2\nname: h{i}\ndescription: chart\nversion: {version}\nappVersion: \"v{version}\"\n"
                ),
            ),
        };
        w(&path, text);
        let mut spec = SourceSpec::new(path, kind);
        if kind == SourceKind::Yaml {
            spec = spec.with_key("version");
        }
        if kind == SourceKind::Cargo {
            lock.push_str(&format!(
                "\n[[package]]\nname = \"c{i}\"\nversion = \"{version}\"\n"
            ));
        }
        specs.push(spec);
    }
    w("Cargo.lock", lock);
    specs.push(SourceSpec::new("Cargo.lock", SourceKind::CargoLock));
    Config::new(specs)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let config = generate(dir.path(), "3.14.15");
    let tree = DirTree::new(dir.path());
    let tag: Tag = "v3.14.15".parse().unwrap();
    let report = check(&tree, &config, Some(&tag));
    assert!(report.ok, "{report}");
    assert_eq!(report.fields.len(), SOURCES + 800);
    let mut group = c.benchmark_group("relver");
    group.throughput(Throughput::Elements(SOURCES as u64));
    group.sample_size(20);
    group.bench_function("check_2000_sources", |b| {
        b.iter(|| black_box(check(&tree, black_box(&config), Some(&tag))))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
