//! The link model every reader (and repacking) shares: the symlinks of one archive, recorded
//! while entries are admitted, then resolved against each other once the last entry was seen.
//!
//! A lexical check of each target on its own ([`check_link_target`](crate::archive::paths::check_link_target))
//! misses what extraction makes of several links together: with `pkg/up -> .`, the target
//! `up/up/../../etc` of `pkg/x` climbs out of the root once `up` is followed. Here every
//! symlink's target is resolved the way the kernel resolves a path: component by component
//! from the link's folder, each component that is a symlink of this archive replaced by its own
//! resolution (from that symlink's folder), `..` popping, at most [`MAX_HOPS`] links followed.
//! A link whose resolution leaves the root is an escape; one that does not terminate within the
//! hop budget is a loop. A target naming nothing in the archive (dangling) stays allowed as
//! long as it stays inside: entries that are not symlinks are taken to be directories, the
//! reading that can reach furthest.
//!
//! Cost: each link's resolution is memoised (as the tree node it lands on plus a count of
//! components beyond the known tree), so every target is walked once and every component
//! costs one hash lookup: linear in the total size of the targets, whatever the chains.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::archive::error::ArchiveErrorKind;

/// Most symlinks followed while resolving one target (Linux's `MAXSYMLINKS`).
pub(crate) const MAX_HOPS: u32 = 40;

/// Where a resolution stands: a node of the known tree plus components below it that name
/// nothing in the archive (so no symlink can be met there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Loc {
    node: u32,
    beyond: u32,
}

/// Why a link does not resolve inside the root.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fail {
    Escapes,
    /// The links being followed when the hop budget ran out or a link came back.
    Loop(Vec<u32>),
}

/// All links' resolution under way: each link's [`State`], and the links being resolved
/// (outermost first).
struct Resolution {
    states: Vec<State>,
    progress: Vec<u32>,
}

#[derive(Debug, Clone)]
enum State {
    Unvisited,
    InProgress,
    Done { at: Loc, hops: u32 },
    Failed(Fail),
}

struct Node {
    parent: u32,
    /// The symlink recorded at this path (the last one, if the name repeats).
    link: Option<u32>,
}

struct Link {
    node: u32,
    index: usize,
    name: String,
    path: String,
    target: String,
}

/// A link that fails the model: the entry (index, name as stored) and the typed problem.
#[derive(Debug)]
pub(crate) struct LinkFailure {
    pub(crate) index: usize,
    pub(crate) name: String,
    pub(crate) kind: ArchiveErrorKind,
}

/// The symlinks of one archive as a tree of their paths (node 0 is the root).
pub(crate) struct LinkModel {
    nodes: Vec<Node>,
    children: HashMap<String, u32>,
    links: Vec<Link>,
    key: String,
}

impl Default for LinkModel {
    fn default() -> Self {
        LinkModel {
            nodes: vec![Node {
                parent: 0,
                link: None,
            }],
            children: HashMap::new(),
            links: Vec::new(),
            key: String::new(),
        }
    }
}

fn child_key(key: &mut String, parent: u32, name: &str) {
    key.clear();
    // Infallible: writing to a String.
    let _ = write!(key, "{parent}/{name}");
}

impl LinkModel {
    /// No symlink was recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.links.is_empty()
    }

    fn child(&mut self, parent: u32, name: &str) -> Option<u32> {
        child_key(&mut self.key, parent, name);
        self.children.get(self.key.as_str()).copied()
    }

    /// Records the symlink at `path` (normalised) with its `target` as stored; `index` and
    /// `name` (as stored) identify the entry in errors.
    pub(crate) fn add_symlink(&mut self, index: usize, name: &str, path: &str, target: &str) {
        let mut node = 0u32;
        for component in path.split('/').filter(|c| *c != ".") {
            node = match self.child(node, component) {
                Some(n) => n,
                None => {
                    let n = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
                    self.nodes.push(Node {
                        parent: node,
                        link: None,
                    });
                    self.children.insert(self.key.clone(), n);
                    n
                }
            };
        }
        let id = u32::try_from(self.links.len()).unwrap_or(u32::MAX);
        if let Some(n) = self.nodes.get_mut(node as usize) {
            n.link = Some(id);
        }
        self.links.push(Link {
            node,
            index,
            name: name.to_owned(),
            path: path.to_owned(),
            target: target.to_owned(),
        });
    }

    /// The first symlink met walking down `path` (normalised): one of its parents, or the
    /// path itself when `include_self`.
    pub(crate) fn symlink_on(&mut self, path: &str, include_self: bool) -> Option<String> {
        if self.links.is_empty() {
            return None;
        }
        let mut node = 0u32;
        let mut end = 0usize;
        let mut components = path.split('/').peekable();
        while let Some(component) = components.next() {
            end += component.len();
            node = self.child(node, component)?;
            let last = components.peek().is_none();
            let is_link = self
                .nodes
                .get(node as usize)
                .is_some_and(|n| n.link.is_some());
            if is_link && (include_self || !last) {
                return path.get(..end).map(str::to_owned);
            }
            end += 1;
        }
        None
    }

    /// Resolves every recorded symlink; the first one (in recording order) that leaves the
    /// root or does not terminate is returned.
    pub(crate) fn finish(&mut self) -> Result<(), LinkFailure> {
        let mut run = Resolution {
            states: vec![State::Unvisited; self.links.len()],
            progress: Vec::new(),
        };
        for id in 0..self.links.len() {
            let id = u32::try_from(id).unwrap_or(u32::MAX);
            if let Err(fail) = self.resolve(id, &mut run) {
                let Some(link) = self.links.get(id as usize) else {
                    continue;
                };
                let kind = match fail {
                    Fail::Escapes => ArchiveErrorKind::LinkEscapes {
                        target: link.target.clone(),
                    },
                    Fail::Loop(chain) => ArchiveErrorKind::LinkLoop {
                        chain: chain
                            .iter()
                            .filter_map(|&l| self.links.get(l as usize))
                            .map(|l| l.path.clone())
                            .collect(),
                    },
                };
                return Err(LinkFailure {
                    index: link.index,
                    name: link.name.clone(),
                    kind,
                });
            }
        }
        Ok(())
    }

    /// The kernel's walk of one link's target, memoised in `run`.
    #[allow(
        clippy::indexing_slicing,
        reason = "`id` is a link id (< links.len()) and `states` has one slot per link; input cannot reach an out-of-range index"
    )]
    fn resolve(&mut self, id: u32, run: &mut Resolution) -> Result<(Loc, u32), Fail> {
        match &run.states[id as usize] {
            State::Done { at, hops } => return Ok((*at, *hops)),
            State::Failed(f) => return Err(f.clone()),
            State::InProgress => {
                let from = run.progress.iter().position(|&l| l == id).unwrap_or(0);
                let mut chain = run.progress[from..].to_vec();
                chain.push(id);
                return Err(Fail::Loop(chain));
            }
            State::Unvisited => {}
        }
        if run.progress.len() >= MAX_HOPS as usize {
            let mut chain = run.progress.clone();
            chain.push(id);
            return Err(Fail::Loop(chain));
        }
        run.states[id as usize] = State::InProgress;
        run.progress.push(id);
        let result = self.walk(id, run);
        run.progress.pop();
        run.states[id as usize] = match &result {
            Ok((at, hops)) => State::Done {
                at: *at,
                hops: *hops,
            },
            Err(f) => State::Failed(f.clone()),
        };
        result
    }

    #[allow(
        clippy::indexing_slicing,
        reason = "link ids index `links` and node ids come from `child`/`links`; both arenas only grow, so input cannot reach an out-of-range index"
    )]
    fn walk(&mut self, id: u32, run: &mut Resolution) -> Result<(Loc, u32), Fail> {
        let link_node = self.links[id as usize].node;
        let mut at = Loc {
            node: self.nodes[link_node as usize].parent,
            beyond: 0,
        };
        let mut hops = 1u32;
        let target = std::mem::take(&mut self.links[id as usize].target);
        let mut outcome = Ok(());
        for component in target.split('/') {
            match component {
                "" | "." => {}
                ".." => {
                    if at.beyond > 0 {
                        at.beyond -= 1;
                    } else if at.node == 0 {
                        outcome = Err(Fail::Escapes);
                        break;
                    } else {
                        at.node = self.nodes[at.node as usize].parent;
                    }
                }
                name => {
                    if at.beyond > 0 {
                        at.beyond += 1;
                        continue;
                    }
                    match self.child(at.node, name) {
                        None => at.beyond = 1,
                        Some(n) => match self.nodes[n as usize].link {
                            None => at.node = n,
                            Some(other) => match self.resolve(other, run) {
                                Ok((there, used)) => {
                                    hops = hops.saturating_add(used);
                                    if hops > MAX_HOPS {
                                        let mut chain = run.progress.clone();
                                        chain.push(other);
                                        outcome = Err(Fail::Loop(chain));
                                        break;
                                    }
                                    at = there;
                                }
                                Err(f) => {
                                    outcome = Err(f);
                                    break;
                                }
                            },
                        },
                    }
                }
            }
        }
        self.links[id as usize].target = target;
        outcome.map(|()| (at, hops))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(links: &[(&str, &str)]) -> Result<(), (String, ArchiveErrorKind)> {
        let mut m = LinkModel::default();
        for (i, (path, target)) in links.iter().enumerate() {
            m.add_symlink(i, path, path, target);
        }
        m.finish().map_err(|f| (f.name, f.kind))
    }

    #[test]
    fn links_through_links_are_resolved() {
        assert!(model(&[("pkg/up", "."), ("pkg/x", "up/up/../etc")]).is_ok());
        let (name, kind) = model(&[("pkg/up", "."), ("pkg/x", "up/up/../../etc/passwd")])
            .expect_err("escapes through pkg/up");
        assert_eq!(name, "pkg/x");
        assert!(
            matches!(kind, ArchiveErrorKind::LinkEscapes { target } if target == "up/up/../../etc/passwd")
        );
        // Defined after the link that uses it.
        let (name, _) = model(&[("pkg/y", "d/../../../.."), ("pkg/d", "sub/deeper")]).unwrap_err();
        assert_eq!(name, "pkg/y");
        assert!(model(&[("pkg/y", "d/../../.."), ("pkg/d", "sub/deeper")]).is_ok());
        // Lexically `pkg/x`; really one level above the root.
        let (name, _) = model(&[("pkg/y", "d/../x"), ("pkg/d", "..")]).unwrap_err();
        assert_eq!(name, "pkg/y");
        // Dangling inside is allowed; what lies beyond the known tree pops back into it.
        assert!(model(&[("a/l", "missing/x/../../../a")]).is_ok());
        assert!(model(&[("a/l", "missing/x/../../../..")]).is_err());
    }

    #[test]
    fn loops_and_long_chains_are_loops() {
        let (_, kind) = model(&[("a", "b"), ("b", "a")]).unwrap_err();
        assert!(
            matches!(&kind, ArchiveErrorKind::LinkLoop { chain } if chain == &["a", "b", "a"]),
            "{kind:?}"
        );
        let (_, kind) = model(&[("a", "a")]).unwrap_err();
        assert!(matches!(&kind, ArchiveErrorKind::LinkLoop { chain } if chain == &["a", "a"]));
        // A chain of 40 links resolves; 41 do not (the kernel's ELOOP).
        let names: Vec<String> = (0..=41).map(|i| format!("l{i}")).collect();
        let chain = |n: usize| -> Vec<(&str, &str)> {
            (0..n)
                .map(|i| (names[i].as_str(), names[i + 1].as_str()))
                .collect()
        };
        assert!(model(&chain(40)).is_ok());
        assert!(matches!(
            model(&chain(41)),
            Err((_, ArchiveErrorKind::LinkLoop { .. }))
        ));
    }

    #[test]
    fn symlinks_on_a_path_are_found() {
        let mut m = LinkModel::default();
        m.add_symlink(0, "a/b", "a/b", "c");
        assert_eq!(m.symlink_on("a/b/c", false).as_deref(), Some("a/b"));
        assert_eq!(m.symlink_on("a/b", false), None);
        assert_eq!(m.symlink_on("a/b", true).as_deref(), Some("a/b"));
        assert_eq!(m.symlink_on("a/bc/d", true), None);
        assert_eq!(m.symlink_on("a", true), None);
    }
}
