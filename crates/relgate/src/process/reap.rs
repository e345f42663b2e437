//! Ending a command with everything it started: its process group, every descendant (found
//! through `/proc`), and every process that carries its tag in its environment — which
//! finds a daemon that called `setsid` (it left the group) and was re-parented. On Linux
//! relkit is a child subreaper, so such orphans are re-parented to relkit rather than to
//! init, and reaped here.

use std::sync::atomic::{AtomicU64, Ordering};

/// A fresh tag for one command (relkit's pid, a counter, the time): see
/// [`super::env::COMMAND_TAG`].
pub(crate) fn new_tag() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{}.{n}.{nanos}", std::process::id())
}

/// Makes relkit a child subreaper (once), so that processes a command detaches are
/// re-parented to relkit and can be found, killed and reaped.
pub(crate) fn become_subreaper() {
    #[cfg(target_os = "linux")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // Without it (an old kernel, a sandbox) orphans go to init: they are still
            // killed by tag and group below, only not reaped by relkit.
            let _ = rustix::process::set_child_subreaper(Some(rustix::process::getpid()));
        });
    }
}

/// Kills the process group `group` (the command's pid) and every process of the command
/// tagged `tag`, with their descendants; reaps those re-parented to relkit. Returns the
/// number of processes killed besides the group's leader.
pub(crate) fn end_all(group: u32, tag: &str) -> usize {
    #[cfg(target_os = "linux")]
    {
        linux::end_all(group, tag)
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        let _ = tag;
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{group}")])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        0
    }
    #[cfg(not(unix))]
    {
        let _ = (group, tag);
        0
    }
}

#[cfg(target_os = "linux")]
pub(crate) mod linux {
    use std::collections::BTreeSet;
    use std::time::Duration;

    use rustix::process::{Pid, Signal, WaitOptions, kill_process, kill_process_group, waitpid};

    use crate::process::env::COMMAND_TAG;

    /// Rounds of find-and-kill (a process may fork while it is being killed).
    const ROUNDS: usize = 100;

    /// A process as `/proc/<pid>/stat` shows it.
    #[derive(Debug, Clone, Copy)]
    pub(crate) struct Stat {
        pub(crate) pid: i32,
        pub(crate) state: char,
        pub(crate) ppid: i32,
        pub(crate) pgrp: i32,
    }

    /// Parses `/proc/<pid>/stat` (the command name may hold spaces and parentheses).
    pub(crate) fn parse_stat(text: &str) -> Option<Stat> {
        let (head, rest) = text.rsplit_once(')')?;
        let pid = head.split_once(' ')?.0.trim().parse().ok()?;
        let mut fields = rest.split_whitespace();
        let state = fields.next()?.chars().next()?;
        let ppid = fields.next()?.parse().ok()?;
        let pgrp = fields.next()?.parse().ok()?;
        Some(Stat {
            pid,
            state,
            ppid,
            pgrp,
        })
    }

    /// Every process visible in `/proc`.
    fn processes() -> Vec<Stat> {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        dir.filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
            })
            .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
            .filter_map(|t| parse_stat(&t))
            .collect()
    }

    /// Whether process `pid`'s environment (as it was at exec) holds `COMMAND_TAG=tag`.
    fn tagged(pid: i32, needle: &[u8]) -> bool {
        std::fs::read(format!("/proc/{pid}/environ"))
            .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == needle))
    }

    /// The processes of a command: in its group, tagged with its tag, or descending from
    /// one of those. Never relkit itself.
    pub(crate) fn members(all: &[Stat], group: i32, tag: &str, me: i32) -> Vec<Stat> {
        let needle = format!("{COMMAND_TAG}={tag}").into_bytes();
        let mut chosen: BTreeSet<i32> = all
            .iter()
            .filter(|p| p.pid != me && (p.pgrp == group || tagged(p.pid, &needle)))
            .map(|p| p.pid)
            .collect();
        loop {
            let before = chosen.len();
            for p in all {
                if p.pid != me && chosen.contains(&p.ppid) {
                    chosen.insert(p.pid);
                }
            }
            if chosen.len() == before {
                break;
            }
        }
        all.iter()
            .filter(|p| chosen.contains(&p.pid))
            .copied()
            .collect()
    }

    /// `pid`'s stat, `None` once it is gone.
    fn stat_of(pid: i32) -> Option<Stat> {
        parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
    }

    /// See [`super::end_all`].
    pub(crate) fn end_all(group: u32, tag: &str) -> usize {
        let me = rustix::process::getpid().as_raw_pid();
        let Ok(group) = i32::try_from(group) else {
            return 0;
        };
        if let Some(g) = Pid::from_raw(group) {
            let _ = kill_process_group(g, Signal::KILL);
        }
        // Every process killed, until it is gone (reaped here when re-parented to relkit,
        // else by its parent or init).
        let mut pending: BTreeSet<i32> = BTreeSet::new();
        let mut killed = 0;
        for round in 0..ROUNDS {
            for p in members(&processes(), group, tag, me) {
                if p.state != 'Z'
                    && let Some(pid) = Pid::from_raw(p.pid)
                {
                    let _ = kill_process(pid, Signal::KILL);
                }
                if pending.insert(p.pid) && p.pid != group {
                    killed += 1;
                }
            }
            pending.retain(|&pid| match stat_of(pid) {
                None => false,
                Some(p) if p.ppid == me && p.pid != group => match Pid::from_raw(pid) {
                    // Re-parented to relkit (the subreaper): reap it once it has died.
                    Some(pid) => !matches!(
                        waitpid(Some(pid), WaitOptions::NOHANG),
                        Ok(Some(_)) | Err(_)
                    ),
                    None => false,
                },
                Some(_) => true,
            });
            if pending.is_empty() && members(&processes(), group, tag, me).is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(if round < 10 { 2 } else { 20 }));
        }
        killed
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn stat_lines_parse_with_odd_command_names() {
            let s = parse_stat("31586 (a) b (c)) S 31584 31500 27900 0 -1 4194304").unwrap();
            assert_eq!((s.pid, s.state, s.ppid, s.pgrp), (31586, 'S', 31584, 31500));
            assert!(parse_stat("garbage").is_none());
            assert!(parse_stat("1 (x) S notanumber 3").is_none());
        }
    }
}
