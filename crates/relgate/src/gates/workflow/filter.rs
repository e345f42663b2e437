//! GitHub Actions filter patterns (`on.push.tags`, `branches`): `*` (no `/`), `**`, `?` and
//! `+` after a character or class, `[...]` classes with ranges, `\` escapes; a list is
//! evaluated in order with `!pattern` excluding what earlier patterns matched.

/// Longest pattern compiled; longer ones are refused (and so never taken as narrow).
const MAX_PATTERN: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Atom {
    Char(char),
    Class(Vec<(char, char)>),
    /// `*`: any run without `/`.
    Star,
    /// `**`: any run.
    StarStar,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Count {
    One,
    /// `?`: zero or one.
    Optional,
    /// `+`: one or more.
    Many,
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Filter {
    atoms: Vec<(Atom, Count)>,
}

impl Filter {
    /// Compiles `pattern`; `None` when it is malformed or too long.
    pub(crate) fn new(pattern: &str) -> Option<Filter> {
        if pattern.len() > MAX_PATTERN {
            return None;
        }
        let mut atoms: Vec<(Atom, Count)> = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            let atom = match c {
                '*' if chars.peek() == Some(&'*') => {
                    chars.next();
                    Atom::StarStar
                }
                '*' => Atom::Star,
                '\\' => Atom::Char(chars.next()?),
                '[' => {
                    let mut ranges = Vec::new();
                    loop {
                        let a = chars.next()?;
                        if a == ']' {
                            break;
                        }
                        if chars.peek() == Some(&'-') {
                            chars.next();
                            let b = chars.next()?;
                            if b == ']' {
                                ranges.push((a, a));
                                ranges.push(('-', '-'));
                                break;
                            }
                            ranges.push((a, b));
                        } else {
                            ranges.push((a, a));
                        }
                    }
                    Atom::Class(ranges)
                }
                '?' | '+' => {
                    let last = atoms.last_mut()?;
                    if !matches!(last.0, Atom::Char(_) | Atom::Class(_)) || last.1 != Count::One {
                        return None;
                    }
                    last.1 = if c == '?' {
                        Count::Optional
                    } else {
                        Count::Many
                    };
                    continue;
                }
                other => Atom::Char(other),
            };
            atoms.push((atom, Count::One));
        }
        Some(Filter { atoms })
    }

    /// Whether the whole of `text` matches.
    pub(crate) fn matches(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        let width = chars.len() + 1;
        // memo[i * width + j]: atoms[i..] match chars[j..]; 0 unknown, 1 no, 2 yes.
        let mut memo = vec![0u8; (self.atoms.len() + 1) * width];
        self.at(0, 0, &chars, &mut memo, width)
    }

    fn at(&self, i: usize, j: usize, chars: &[char], memo: &mut [u8], width: usize) -> bool {
        let slot = i * width + j;
        match memo.get(slot) {
            Some(1) => return false,
            Some(2) => return true,
            _ => {}
        }
        let result = match self.atoms.get(i) {
            None => j == chars.len(),
            Some((atom, count)) => {
                let one = |k: usize| chars.get(k).is_some_and(|&c| fits(atom, c));
                match (atom, count) {
                    (Atom::Star | Atom::StarStar, _) => {
                        let mut k = j;
                        loop {
                            if self.at(i + 1, k, chars, memo, width) {
                                break true;
                            }
                            match chars.get(k) {
                                Some('/') if *atom == Atom::Star => break false,
                                Some(_) => k += 1,
                                None => break false,
                            }
                        }
                    }
                    (_, Count::One) => one(j) && self.at(i + 1, j + 1, chars, memo, width),
                    (_, Count::Optional) => {
                        self.at(i + 1, j, chars, memo, width)
                            || (one(j) && self.at(i + 1, j + 1, chars, memo, width))
                    }
                    (_, Count::Many) => {
                        let mut k = j;
                        let mut found = false;
                        while one(k) {
                            k += 1;
                            if self.at(i + 1, k, chars, memo, width) {
                                found = true;
                                break;
                            }
                        }
                        found
                    }
                }
            }
        };
        if let Some(m) = memo.get_mut(slot) {
            *m = if result { 2 } else { 1 };
        }
        result
    }
}

fn fits(atom: &Atom, c: char) -> bool {
    match atom {
        Atom::Char(x) => *x == c,
        Atom::Class(ranges) => ranges.iter().any(|(a, b)| (*a..=*b).contains(&c)),
        Atom::Star => c != '/',
        Atom::StarStar => true,
    }
}

/// Whether `name` passes a filter list in GitHub's order: a name matches when the last
/// pattern that matches it is not a `!` pattern. `Err(pattern)` names a malformed one.
pub(crate) fn list_matches<'a>(patterns: &[&'a str], name: &str) -> Result<bool, &'a str> {
    let mut matched = false;
    for p in patterns {
        let (negated, body) = match p.strip_prefix('!') {
            Some(b) => (true, b),
            None => (false, *p),
        };
        let f = Filter::new(body).ok_or(*p)?;
        if f.matches(name) {
            matched = !negated;
        }
    }
    Ok(matched)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Filter::new(p).unwrap().matches(t)
    }

    #[test]
    fn github_filter_syntax_matches_as_documented() {
        assert!(m("v[0-9]+.[0-9]+.[0-9]+", "v1.22.333"));
        assert!(!m("v[0-9]+.[0-9]+.[0-9]+", "v1.2.3-rc.1"));
        assert!(!m("v[0-9]+.[0-9]+.[0-9]+", "v1.2"));
        assert!(m("v*", "v1"));
        assert!(!m("v*", "v1/x"));
        assert!(m("v**", "v1/x"));
        assert!(m("v1.?0", "v1.0") && m("v1.?0", "v10") && !m("v1.?0", "v1..0"));
        assert!(m("*.*.*", "1.2.3-rc.1"));
        assert!(m("a\\*b", "a*b") && !m("a\\*b", "axb"));
        assert!(m("[a-c-]x", "-x") && m("[a-c-]x", "bx"));
        assert!(Filter::new("[0-9").is_none() && Filter::new("+a").is_none());
    }

    #[test]
    fn negations_apply_in_order() {
        assert_eq!(list_matches(&["v*", "!v*-rc*"], "v1.0.0-rc1"), Ok(false));
        assert_eq!(list_matches(&["v*", "!v*-rc*"], "v1.0.0"), Ok(true));
        assert_eq!(list_matches(&["[oops"], "x"), Err("[oops"));
    }
}
