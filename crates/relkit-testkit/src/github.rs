//! A loopback fake of the GitHub REST API: the endpoints relkit's CI evidence reads, answered
//! as GitHub documents them.
//!
//! - `GET /repos/{owner}/{repo}/git/ref/{heads|tags}/{name}`: a ref object
//!   (`{"ref", "node_id", "url", "object": {"sha", "type", "url"}}`); annotated tags point at a
//!   `tag` object, read through `GET /repos/{owner}/{repo}/git/tags/{sha}`.
//! - `GET /repos/{owner}/{repo}/actions/runs` with `head_sha`, `event`, `branch`, `status`
//!   filters: `{"total_count", "workflow_runs": [...]}`.
//! - `GET /repos/{owner}/{repo}/releases`: newest first, drafts only to a request with a token
//!   (GitHub lists drafts to users with push access);
//!   `GET /repos/{owner}/{repo}/releases/tags/{tag}`: published releases only (404 for a draft).
//! - Deployment environments, their deployment branch and tag policies, and the
//!   immutable-release setting: see [`Environment`].
//! - Lists are paginated with `per_page` (default 30, at most 100, or the fake's own smaller
//!   cap) and `page`, with a `Link` header naming `next`, `last`, `first` and `prev` pages.
//! - Every answer carries the `x-ratelimit-*` headers; when the budget is spent the answer is
//!   403 with `x-ratelimit-remaining: 0` and GitHub's rate-limit message.
//! - Errors have GitHub's JSON bodies: 404 `Not Found` (also for a private repository asked
//!   without its token), 401 `Bad credentials` for a wrong token, 403 `Resource not
//!   accessible by integration` for a repository the token may not read.
//!
//! The server runs on threads of its own (no async runtime), so both synchronous tests that
//! run the `relkit` binary and async tests can use it. [`GithubFake::with_handler`] answers
//! every request with the caller's function instead, for hostile answers.
//!
//! ```
//! use relkit_testkit::github::{GithubFake, Run};
//! let fake = GithubFake::start();
//! fake.branch("o/r", "main", "1111111111111111111111111111111111111111");
//! fake.run("o/r", Run::push(1, "ci.yml", "1111111111111111111111111111111111111111").completed("success"));
//! assert!(fake.base().starts_with("http://127.0.0.1:"));
//! ```

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};

mod environment;
mod model;
pub use environment::Environment;
pub use model::{Release, Reply, Request, Run};

/// The rate-limit budget of a fresh fake (GitHub's for an authenticated user).
const RATE_LIMIT: u64 = 5000;
/// The reset time the fake announces (unix seconds).
const RATE_RESET: u64 = 1_700_000_000;
/// Largest request head read.
const MAX_HEAD: usize = 64 * 1024;
/// GitHub's `per_page` default and maximum.
const DEFAULT_PER_PAGE: usize = 30;
const MAX_PER_PAGE: usize = 100;

#[derive(Debug, Clone)]
enum TagRef {
    Lightweight(String),
    Annotated { object: String, commit: String },
}

#[derive(Debug, Default)]
struct Repo {
    private: bool,
    forbidden: bool,
    branches: BTreeMap<String, String>,
    tags: BTreeMap<String, TagRef>,
    runs: Vec<Run>,
    releases: Vec<Release>,
    environments: Vec<Environment>,
    immutable_releases: bool,
}

type Handler = dyn Fn(&str, &Request) -> Reply + Send + Sync;

#[derive(Default)]
struct State {
    repos: BTreeMap<String, Repo>,
    token: Option<String>,
    remaining: Option<u64>,
    max_per_page: Option<usize>,
    handler: Option<Arc<Handler>>,
}

/// The fake server; it stops when dropped.
pub struct GithubFake {
    base: String,
    state: Arc<Mutex<State>>,
    log: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for GithubFake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubFake")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl GithubFake {
    /// Starts an empty fake on `127.0.0.1` (fails the calling test when it cannot bind).
    #[track_caller]
    pub fn start() -> GithubFake {
        let listener = match TcpListener::bind("127.0.0.1:0") {
            Ok(l) => l,
            Err(e) => crate::fail(&format!("cannot bind the GitHub fake: {e}")),
        };
        let base = match listener.local_addr() {
            Ok(a) => format!("http://{a}"),
            Err(e) => crate::fail(&format!("the GitHub fake has no address: {e}")),
        };
        let fake = GithubFake {
            base,
            state: Arc::default(),
            log: Arc::default(),
            stop: Arc::default(),
        };
        let (state, log, stop, base) = (
            Arc::clone(&fake.state),
            Arc::clone(&fake.log),
            Arc::clone(&fake.stop),
            fake.base.clone(),
        );
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = conn else { continue };
                let (state, log, base) = (Arc::clone(&state), Arc::clone(&log), base.clone());
                std::thread::spawn(move || serve(stream, &base, &state, &log));
            }
        });
        fake
    }

    /// A fake that answers every request with `handler(base, request)`.
    #[track_caller]
    pub fn with_handler(
        handler: impl Fn(&str, &Request) -> Reply + Send + Sync + 'static,
    ) -> GithubFake {
        let fake = GithubFake::start();
        lock(&fake.state).handler = Some(Arc::new(handler));
        fake
    }

    /// The API base URL (what `GITHUB_API_URL` would be).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.log).clone()
    }

    fn repo<R>(&self, repo: &str, f: impl FnOnce(&mut Repo) -> R) -> R {
        f(lock(&self.state).repos.entry(repo.to_owned()).or_default())
    }

    /// Branch `name` of `repo` (`owner/name`) has its head at `sha`.
    pub fn branch(&self, repo: &str, name: &str, sha: &str) {
        self.repo(repo, |r| r.branches.insert(name.to_owned(), sha.to_owned()));
    }

    /// A lightweight tag at commit `sha`.
    pub fn lightweight_tag(&self, repo: &str, tag: &str, sha: &str) {
        self.repo(repo, |r| {
            r.tags
                .insert(tag.to_owned(), TagRef::Lightweight(sha.to_owned()))
        });
    }

    /// An annotated tag: the ref points at tag object `object`, which points at `commit`.
    pub fn annotated_tag(&self, repo: &str, tag: &str, object: &str, commit: &str) {
        self.repo(repo, |r| {
            r.tags.insert(
                tag.to_owned(),
                TagRef::Annotated {
                    object: object.to_owned(),
                    commit: commit.to_owned(),
                },
            )
        });
    }

    /// Adds a workflow run (listed newest first: the last added comes first).
    pub fn run(&self, repo: &str, run: Run) {
        self.repo(repo, |r| r.runs.push(run));
    }

    /// Adds a release (listed newest first: the last added comes first).
    pub fn release(&self, repo: &str, release: Release) {
        self.repo(repo, |r| r.releases.push(release));
    }

    /// Adds (or replaces, by name) a deployment environment.
    pub fn environment(&self, repo: &str, environment: Environment) {
        self.repo(repo, |r| {
            r.environments.retain(|e| e.name() != environment.name());
            r.environments.push(environment);
        });
    }

    /// Turns the repository's immutable releases on or off (off by default).
    pub fn immutable_releases(&self, repo: &str, enabled: bool) {
        self.repo(repo, |r| r.immutable_releases = enabled);
    }

    /// Makes `repo` private: without the fake's token it answers 404, as GitHub does.
    pub fn private(&self, repo: &str) {
        self.repo(repo, |r| r.private = true);
    }

    /// Makes `repo` refuse the token: 403 `Resource not accessible by integration`.
    pub fn forbidden(&self, repo: &str) {
        self.repo(repo, |r| r.forbidden = true);
    }

    /// The one token the fake accepts; any other `Authorization` answers 401.
    pub fn token(&self, token: &str) {
        lock(&self.state).token = Some(token.to_owned());
    }

    /// Only `n` more requests are answered before the rate limit is spent.
    pub fn rate_limit(&self, n: u64) {
        lock(&self.state).remaining = Some(n);
    }

    /// Pages hold at most `n` items whatever `per_page` asks (to exercise pagination).
    pub fn max_per_page(&self, n: usize) {
        lock(&self.state).max_per_page = Some(n.max(1));
    }
}

impl Drop for GithubFake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
    }
}

/// Reads one request head, answers it, closes the connection.
fn serve(mut stream: TcpStream, base: &str, state: &Mutex<State>, log: &Mutex<Vec<Request>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut chunk = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend(chunk.iter().take(n)),
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.lines();
    let path = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("/")
        .to_owned();
    let mut request = Request {
        path,
        authorization: None,
        accept: None,
    };
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "authorization" => request.authorization = Some(value.trim().to_owned()),
                "accept" => request.accept = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    lock(log).push(request.clone());
    let reply = answer(base, state, &request);
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n",
        reply.status,
        reason(reply.status),
        reply.body.len()
    );
    for (k, v) in &reply.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&reply.body);
    let _ = stream.write_all(out.as_bytes());
    let _ = stream.flush();
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        _ => "Status",
    }
}

/// Decodes `%XX` escapes (and leaves anything else as it is).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(v)) => {
                out.push(v);
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

/// The answer to `request`, with the rate-limit headers.
fn answer(base: &str, state: &Mutex<State>, request: &Request) -> Reply {
    let mut st = lock(state);
    if let Some(handler) = st.handler.clone() {
        drop(st);
        return handler(base, request);
    }
    let used_up = st.remaining == Some(0);
    if let Some(n) = st.remaining.as_mut() {
        *n = n.saturating_sub(1);
    }
    let remaining = st.remaining.unwrap_or(RATE_LIMIT - 1);
    let limits = |reply: Reply, remaining: u64| {
        reply
            .header("x-ratelimit-limit", RATE_LIMIT.to_string())
            .header("x-ratelimit-remaining", remaining.to_string())
            .header("x-ratelimit-reset", RATE_RESET.to_string())
            .header(
                "x-ratelimit-used",
                (RATE_LIMIT - remaining.min(RATE_LIMIT)).to_string(),
            )
            .header("x-ratelimit-resource", "core")
            .header("x-github-api-version-selected", "2022-11-28")
    };
    if used_up {
        return limits(
            Reply::error(
                403,
                "API rate limit exceeded for installation. If you reach out to GitHub Support for help, please include the request ID.",
                "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
            ),
            0,
        );
    }
    let authorized = match (&st.token, &request.authorization) {
        (Some(t), Some(a)) => {
            if a.strip_prefix("Bearer ")
                .or_else(|| a.strip_prefix("token "))
                != Some(t)
            {
                return limits(
                    Reply::error(401, "Bad credentials", "https://docs.github.com/rest"),
                    remaining,
                );
            }
            true
        }
        (None, Some(_)) => true,
        (_, None) => false,
    };
    let max = st.max_per_page.unwrap_or(MAX_PER_PAGE).min(MAX_PER_PAGE);
    limits(route(base, &mut st, request, authorized, max), remaining)
}

/// The query parameters of a path, decoded.
fn query(path_and_query: &str) -> (String, BTreeMap<String, String>) {
    let (path, q) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let params = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    (path.to_owned(), params)
}

fn route(base: &str, st: &mut State, request: &Request, authorized: bool, max: usize) -> Reply {
    let (path, params) = query(&request.path);
    let Some(rest) = path.strip_prefix("/repos/") else {
        return Reply::not_found();
    };
    let mut parts = rest.splitn(3, '/');
    let (Some(owner), Some(name)) = (parts.next(), parts.next()) else {
        return Reply::not_found();
    };
    let tail = parts.next().unwrap_or("");
    let repo_name = format!("{owner}/{name}");
    let Some(repo) = st.repos.get(&repo_name) else {
        return Reply::not_found();
    };
    if repo.private && !authorized {
        return Reply::not_found();
    }
    if repo.forbidden {
        return Reply::error(
            403,
            "Resource not accessible by integration",
            "https://docs.github.com/rest",
        );
    }
    let api = format!("{base}/repos/{repo_name}");
    if let Some(branch) = tail.strip_prefix("git/ref/heads/") {
        return match repo.branches.get(&percent_decode(branch)) {
            Some(sha) => Reply::ok(git_ref(
                &api,
                &format!("refs/heads/{branch}"),
                sha,
                "commit",
            )),
            None => Reply::error(
                404,
                "Not Found",
                "https://docs.github.com/rest/git/refs#get-a-reference",
            ),
        };
    }
    if let Some(tag) = tail.strip_prefix("git/ref/tags/") {
        let full = format!("refs/tags/{tag}");
        return match repo.tags.get(&percent_decode(tag)) {
            Some(TagRef::Lightweight(sha)) => Reply::ok(git_ref(&api, &full, sha, "commit")),
            Some(TagRef::Annotated { object, .. }) => {
                Reply::ok(git_ref(&api, &full, object, "tag"))
            }
            None => Reply::error(
                404,
                "Not Found",
                "https://docs.github.com/rest/git/refs#get-a-reference",
            ),
        };
    }
    if let Some(sha) = tail.strip_prefix("git/tags/") {
        let found = repo.tags.iter().find_map(|(name, t)| match t {
            TagRef::Annotated { object, commit } if object == sha => Some((name, commit)),
            _ => None,
        });
        return match found {
            Some((name, commit)) => Reply::ok(
                json!({
                    "node_id": format!("TAG_{sha}"),
                    "tag": name,
                    "sha": sha,
                    "url": format!("{api}/git/tags/{sha}"),
                    "message": name,
                    "tagger": {"name": "t", "email": "t@t.invalid", "date": "2026-01-01T00:00:00Z"},
                    "object": {"type": "commit", "sha": commit, "url": format!("{api}/git/commits/{commit}")},
                    "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null},
                })
                .to_string(),
            ),
            None => Reply::not_found(),
        };
    }
    if tail == "actions/runs" {
        let wanted = |key: &str, value: &str| params.get(key).is_none_or(|w| w == value);
        let runs: Vec<Value> = repo
            .runs
            .iter()
            .rev()
            .filter(|r| {
                wanted("head_sha", &r.head_sha)
                    && wanted("event", &r.event)
                    && wanted("branch", &r.branch)
                    && (wanted("status", &r.status)
                        || r.conclusion.as_deref().is_some_and(|c| wanted("status", c)))
            })
            .map(|r| r.json(base, &repo_name))
            .collect();
        let total = runs.len();
        return paged(
            &api,
            "actions/runs",
            &params,
            max,
            runs,
            |page| json!({"total_count": total, "workflow_runs": page}),
        );
    }
    if tail == "releases" {
        // Drafts are listed only to users with push access: here, a request with a token.
        let releases: Vec<Value> = repo
            .releases
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, r)| authorized || !r.draft)
            .map(|(i, r)| r.json(i + 1))
            .collect();
        return paged(&api, "releases", &params, max, releases, Value::Array);
    }
    if let Some(tag) = tail.strip_prefix("releases/tags/") {
        let tag = percent_decode(tag);
        return match repo
            .releases
            .iter()
            .enumerate()
            .rev()
            .find(|(_, r)| r.tag == tag && !r.draft)
        {
            Some((i, r)) => Reply::ok(r.json(i + 1).to_string()),
            None => Reply::not_found(),
        };
    }
    if let Some(reply) = environment::route(&api, tail, &params, max, repo) {
        return reply;
    }
    Reply::not_found()
}

/// One page of `items` under GitHub's `per_page`/`page` rules, with its `Link` header.
fn paged(
    api: &str,
    what: &str,
    params: &BTreeMap<String, String>,
    max: usize,
    items: Vec<Value>,
    wrap: impl Fn(Vec<Value>) -> Value,
) -> Reply {
    let per_page = params
        .get("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(DEFAULT_PER_PAGE)
        .clamp(1, max);
    let page = params
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let body: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let mut reply = Reply::ok(wrap(body).to_string());
    // The other parameters are kept, as GitHub does, with `page` last.
    let keep: Vec<String> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "page")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let link = |n: usize, rel: &str| {
        let mut q = keep.clone();
        q.push(format!("page={n}"));
        format!("<{api}/{what}?{}>; rel=\"{rel}\"", q.join("&"))
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(link(page - 1, "prev"));
    }
    if page < last {
        links.push(link(page + 1, "next"));
        links.push(link(last, "last"));
    }
    if page > 1 {
        links.push(link(1, "first"));
    }
    if !links.is_empty() {
        reply = reply.header("link", links.join(", "));
    }
    reply
}

fn git_ref(api: &str, name: &str, sha: &str, kind: &str) -> String {
    let object_url = if kind == "tag" {
        format!("{api}/git/tags/{sha}")
    } else {
        format!("{api}/git/commits/{sha}")
    };
    json!({
        "ref": name,
        "node_id": format!("REF_{sha}"),
        "url": format!("{api}/git/{name}"),
        "object": {"sha": sha, "type": kind, "url": object_url},
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_and_escapes_decode() {
        let (path, params) = query("/repos/o/r/actions/runs?head_sha=ab&event=push&per_page=2");
        assert_eq!(path, "/repos/o/r/actions/runs");
        assert_eq!(params.get("per_page").map(String::as_str), Some("2"));
        assert_eq!(percent_decode("clients%2Fgo%2Fv1.2.3"), "clients/go/v1.2.3");
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn pages_link_next_last_prev_first() {
        let items: Vec<Value> = (0..5).map(|i| json!(i)).collect();
        let mut params = BTreeMap::new();
        params.insert(String::from("per_page"), String::from("2"));
        params.insert(String::from("page"), String::from("2"));
        let reply = paged(
            "http://h/repos/o/r",
            "releases",
            &params,
            100,
            items,
            Value::Array,
        );
        assert_eq!(reply.body, "[2,3]");
        let link = &reply.headers.first().unwrap().1;
        assert!(link.contains("<http://h/repos/o/r/releases?per_page=2&page=3>; rel=\"next\""));
        assert!(link.contains("page=1>; rel=\"prev\""));
        assert!(link.contains("page=3>; rel=\"last\""));
        assert!(link.contains("page=1>; rel=\"first\""));
    }
}
