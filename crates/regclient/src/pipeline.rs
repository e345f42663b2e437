//! Many package versions read back at once: lookups and downloads pipelined over one client, a
//! file's download starting as soon as its version's metadata is in. Each download is
//! `readback`'s [`fetch_verified`].

use std::path::Path;

use crate::config::{LookupError, Registries};
use crate::model::{PackageSpec, PublishedFile, PublishedVersion, RegistryKind};
use crate::readback::{
    FetchOptions, FetchedFile, Progress, ReadbackError, duplicates, fetch_all, fetch_verified,
};

/// One package version read back by [`read_back`]: what its registry publishes and the outcome
/// of each of its files' downloads.
#[non_exhaustive]
#[derive(Debug)]
pub struct SpecReadback {
    /// The package version asked for.
    pub spec: PackageSpec,
    /// What its registry publishes for it, or why that could not be learnt.
    pub published: Result<PublishedVersion, LookupError>,
    /// One result per file of `published`, in its order (empty when the lookup failed).
    pub downloads: Vec<Result<FetchedFile, ReadbackError>>,
}

/// Work shared by [`read_back`]'s workers.
#[derive(Default)]
struct Pipeline {
    /// Index of the next spec to look up.
    next_lookup: usize,
    /// Lookups started and not finished: their files may still come.
    looking_up: usize,
    /// Files whose metadata is in, waiting for a worker: (spec index, file index, file).
    ready: std::collections::VecDeque<(usize, usize, PublishedFile)>,
    /// Every file name handed out for download so far.
    claimed: std::collections::HashSet<String>,
    /// The results so far, one per spec.
    done: Vec<Option<LookedUp>>,
}

type FileResult = Result<FetchedFile, ReadbackError>;

/// A spec's lookup and a slot per file for its download.
type LookedUp = (
    Result<PublishedVersion, LookupError>,
    Vec<Option<FileResult>>,
);

/// What a worker does next.
enum Job {
    Lookup(usize),
    Download(usize, usize, PublishedFile),
}

impl Pipeline {
    /// The next job: a download whose metadata is in first (bytes keep flowing), else the next
    /// lookup; `None` when nothing is left and no lookup can add more; `Some(None)` to wait.
    fn next_job(&mut self, specs: usize) -> Option<Option<Job>> {
        if let Some((s, f, file)) = self.ready.pop_front() {
            return Some(Some(Job::Download(s, f, file)));
        }
        if self.next_lookup < specs {
            let i = self.next_lookup;
            self.next_lookup += 1;
            self.looking_up += 1;
            return Some(Some(Job::Lookup(i)));
        }
        (self.looking_up > 0).then_some(None)
    }

    /// Records spec `i`'s lookup and queues its files. A name listed twice by the version, or
    /// already listed by another spec of this run, is not downloaded again: both would be
    /// written to one path ([`ReadbackError::DuplicateName`]).
    fn looked_up(&mut self, i: usize, published: Result<PublishedVersion, LookupError>) {
        self.looking_up = self.looking_up.saturating_sub(1);
        let files = published
            .as_ref()
            .map(|p| p.files.clone())
            .unwrap_or_default();
        let twice: std::collections::BTreeMap<String, usize> = duplicates(&files)
            .into_iter()
            .map(|(n, c)| (n.to_owned(), c))
            .collect();
        let mut slots: Vec<Option<FileResult>> = files.iter().map(|_| None).collect();
        for (f, (file, slot)) in files.into_iter().zip(slots.iter_mut()).enumerate() {
            let count = match twice.get(&file.name) {
                Some(&count) => Some(count),
                None if self.claimed.contains(&file.name) => Some(2),
                None => None,
            };
            match count {
                Some(count) => {
                    *slot = Some(Err(ReadbackError::DuplicateName {
                        name: file.name.clone(),
                        count,
                    }));
                }
                None => {
                    self.claimed.insert(file.name.clone());
                    self.ready.push_back((i, f, file));
                }
            }
        }
        if let Some(d) = self.done.get_mut(i) {
            *d = Some((published, slots));
        }
    }

    fn downloaded(&mut self, i: usize, f: usize, result: FileResult) {
        if let Some(Some((_, slots))) = self.done.get_mut(i)
            && let Some(slot) = slots.get_mut(f)
        {
            *slot = Some(result);
        }
    }
}

/// Reads back every spec into `dir`, pipelined: up to the client's concurrency of workers
/// look versions up and download their files, and a file's download starts as soon as its
/// version's metadata is in, while other versions are still being looked up. Every download
/// is [`fetch_verified`] (each claimed digest checked while streaming, size caps, fsync and
/// rename only after every check); all share `registries.http`, its connection pool per host
/// and its bound on requests in flight.
///
/// An npm download carries the npm registry's credential to that registry's origin only.
/// Results come back in the order of `specs`. A file name listed twice in one version, or by
/// two specs of the run, is downloaded once at most: the later listing gets
/// [`ReadbackError::DuplicateName`].
pub fn read_back(
    registries: &Registries,
    specs: &[PackageSpec],
    dir: &Path,
    progress: Option<&dyn Progress>,
) -> Vec<SpecReadback> {
    let http = &registries.http;
    let options_for = |kind: RegistryKind| {
        let (credential, credential_origin) = match (kind, &registries.npm) {
            (RegistryKind::Npm, Some(n)) => (n.credential(), Some(n.base())),
            _ => (None, None),
        };
        FetchOptions {
            credential,
            credential_origin,
            progress,
        }
    };
    let state = std::sync::Mutex::new(Pipeline {
        done: specs.iter().map(|_| None).collect(),
        ..Pipeline::default()
    });
    let wake = std::sync::Condvar::new();
    let workers = http.max_concurrency().min(specs.len().max(1));
    let work = || {
        loop {
            let job = {
                let Ok(mut st) = state.lock() else { return };
                loop {
                    match st.next_job(specs.len()) {
                        Some(Some(job)) => break job,
                        Some(None) => match wake.wait(st) {
                            Ok(g) => st = g,
                            Err(_) => return,
                        },
                        None => return,
                    }
                }
            };
            match job {
                Job::Lookup(i) => {
                    let Some(spec) = specs.get(i) else { continue };
                    let published = registries.version(spec);
                    if let Ok(mut st) = state.lock() {
                        st.looked_up(i, published);
                    }
                    wake.notify_all();
                }
                Job::Download(i, f, file) => {
                    let kind = specs.get(i).map_or(RegistryKind::Pypi, |s| s.kind);
                    let r = fetch_verified(http, &file, dir, options_for(kind));
                    if let Ok(mut st) = state.lock() {
                        st.downloaded(i, f, r);
                    }
                }
            }
        }
    };
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(work);
        }
    });
    // Whatever the workers left undone (only if one stopped) is done here, one at a time.
    let done = state.into_inner().map(|p| p.done).unwrap_or_default();
    specs
        .iter()
        .zip(done.into_iter().chain(std::iter::repeat_with(|| None)))
        .map(|(spec, d)| {
            let options = options_for(spec.kind);
            let (published, downloads) = match d {
                Some((published, slots)) => {
                    let files = published
                        .as_ref()
                        .map(|p| p.files.as_slice())
                        .unwrap_or_default();
                    let downloads = slots
                        .into_iter()
                        .zip(files)
                        .map(|(r, f)| r.unwrap_or_else(|| fetch_verified(http, f, dir, options)))
                        .collect();
                    (published, downloads)
                }
                None => {
                    let published = registries.version(spec);
                    let downloads = match &published {
                        Ok(p) => fetch_all(http, &p.files, dir, options),
                        Err(_) => Vec::new(),
                    };
                    (published, downloads)
                }
            };
            SpecReadback {
                spec: spec.clone(),
                published,
                downloads,
            }
        })
        .collect()
}
