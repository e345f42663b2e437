//! A YAML document as a tree whose every node keeps its line and column, read with
//! `yaml-rust2`'s event parser (driven in a loop, never recursively, so nesting depth and the
//! node count are bounded here and not by the stack).

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::Marker;

/// Deepest nesting of collections accepted.
const MAX_DEPTH: usize = 64;
/// Most nodes a document may expand to (aliases count each time they are used).
const MAX_NODES: usize = 200_000;

/// One node of a document and where it starts (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Node {
    pub(crate) value: Value,
    pub(crate) line: usize,
    pub(crate) column: usize,
}

/// A node's value: YAML scalars stay text (GitHub reads `true` and `"true"` alike in most keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The value under `key` when this is a mapping.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node and value under `key` when this is a mapping.
    pub(crate) fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The scalar's text.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The mapping's entries (none for another kind of node).
    pub(crate) fn entries(&self) -> &[(Node, Node)] {
        match &self.value {
            Value::Map(e) => e,
            _ => &[],
        }
    }

    /// The sequence's items, or this node alone when it is a scalar (GitHub accepts
    /// `branches: main` for `branches: [main]`).
    pub(crate) fn items(&self) -> Vec<&Node> {
        match &self.value {
            Value::Seq(s) => s.iter().collect(),
            Value::Scalar(_) => vec![self],
            Value::Map(_) => Vec::new(),
        }
    }
}

/// Why a document could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub(crate) struct YamlError {
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) message: String,
}

impl YamlError {
    fn at(mark: Marker, message: impl Into<String>) -> Self {
        YamlError {
            line: mark.line(),
            column: mark.col() + 1,
            message: message.into(),
        }
    }
}

/// A collection being built.
enum Open {
    Seq(Node, usize),
    /// The mapping, its anchor, and a key waiting for its value.
    Map(Node, usize, Option<Node>),
}

/// Parses the first document of `text` (an empty text is an empty mapping).
pub(crate) fn parse(text: &str) -> Result<Node, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut nodes = 0usize;
    loop {
        let (event, mark) = parser
            .next_token()
            .map_err(|e| YamlError::at(*e.marker(), e.info()))?;
        let at = |value| Node {
            value,
            line: mark.line(),
            column: mark.col() + 1,
        };
        let done = match event {
            Event::StreamEnd => {
                return Ok(at(Value::Map(Vec::new())));
            }
            Event::Scalar(s, _, anchor, _) => {
                let node = at(Value::Scalar(s));
                if anchor > 0 {
                    anchors.insert(anchor, node.clone());
                }
                Some(node)
            }
            Event::Alias(id) => {
                let Some(node) = anchors.get(&id) else {
                    return Err(YamlError::at(mark, "an alias names no anchor"));
                };
                nodes = nodes.saturating_add(count(node));
                Some(node.clone())
            }
            Event::SequenceStart(anchor, _) => {
                stack.push(Open::Seq(at(Value::Seq(Vec::new())), anchor));
                None
            }
            Event::MappingStart(anchor, _) => {
                stack.push(Open::Map(at(Value::Map(Vec::new())), anchor, None));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match stack.pop() {
                    Some(Open::Seq(n, a) | Open::Map(n, a, None)) => (n, a),
                    _ => return Err(YamlError::at(mark, "unbalanced collection")),
                };
                if anchor > 0 {
                    anchors.insert(anchor, node.clone());
                }
                Some(node)
            }
            Event::Nothing | Event::StreamStart | Event::DocumentStart | Event::DocumentEnd => None,
        };
        if stack.len() > MAX_DEPTH {
            return Err(YamlError::at(
                mark,
                format!("nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        let Some(node) = done else { continue };
        nodes = nodes.saturating_add(1);
        if nodes > MAX_NODES {
            return Err(YamlError::at(
                mark,
                format!("more than {MAX_NODES} nodes (aliases expanded)"),
            ));
        }
        match stack.last_mut() {
            None => return Ok(node),
            Some(Open::Seq(seq, _)) => {
                if let Value::Seq(items) = &mut seq.value {
                    items.push(node);
                }
            }
            Some(Open::Map(map, _, pending)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => {
                    if let Value::Map(entries) = &mut map.value {
                        entries.push((key, node));
                    }
                }
            },
        }
    }
}

/// How many nodes `node` holds, itself included.
fn count(node: &Node) -> usize {
    let mut n = 0usize;
    let mut todo = vec![node];
    while let Some(x) = todo.pop() {
        n = n.saturating_add(1);
        match &x.value {
            Value::Scalar(_) => {}
            Value::Seq(items) => todo.extend(items),
            Value::Map(entries) => {
                for (k, v) in entries {
                    todo.push(k);
                    todo.push(v);
                }
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_keep_their_line_and_column() {
        let doc = parse(
            "on:\n  push:\n    tags: [\"v*\"]\njobs:\n  a:\n    steps:\n      - uses: x/y@v1\n",
        )
        .unwrap();
        let tags = doc
            .get("on")
            .unwrap()
            .get("push")
            .unwrap()
            .get("tags")
            .unwrap();
        let first = tags.items()[0];
        assert_eq!(
            (first.as_str(), first.line, first.column),
            (Some("v*"), 3, 12)
        );
        let step = &doc
            .get("jobs")
            .unwrap()
            .get("a")
            .unwrap()
            .get("steps")
            .unwrap()
            .items()[0];
        let (k, v) = step.entry("uses").unwrap();
        assert_eq!((k.line, k.column, v.column), (7, 9, 15));
    }

    #[test]
    fn aliases_expand_and_bombs_are_refused() {
        let doc = parse("a: &x {k: v}\nb: *x\n").unwrap();
        assert_eq!(doc.get("b").unwrap().get("k").unwrap().as_str(), Some("v"));
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            let p = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let e = parse(&bomb).unwrap_err();
        assert!(e.message.contains("nodes"), "{e}");
    }

    #[test]
    fn deep_nesting_and_bad_syntax_are_errors_with_a_position() {
        let deep = "[".repeat(10_000);
        assert!(parse(&deep).is_err());
        let e = parse("on:\n  push:\n tags: [v1\n").unwrap_err();
        assert!(e.line >= 3, "{e}");
        assert!(parse("").unwrap().entries().is_empty());
    }
}
