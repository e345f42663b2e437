//! Property tests of plan ordering: every order respects every edge; every cycle is found
//! and is a real cycle.

use std::collections::HashMap;

use proptest::prelude::*;
use relgate::{
    Phase,
    plan::{GateOptions, Plan, PlanError},
};

use crate::support::{gate, passing};

/// A plan of gates where gate i runs after the gates in `edges[i]` (indices below i
/// when acyclic), inserted in a shuffled order.
fn plan(edges: &[Vec<usize>], insertion: &[usize]) -> Plan {
    let mut p = Plan::new();
    for &i in insertion {
        let after: Vec<String> = edges[i].iter().map(|j| format!("g{j}")).collect();
        p.add(
            gate(&format!("g{i}"), Phase::Prepublish, passing()),
            GateOptions::after(after),
        );
    }
    p
}

fn dag() -> impl Strategy<Value = (usize, Vec<Vec<usize>>, Vec<usize>)> {
    (1usize..24).prop_flat_map(|n| {
        let edges = (0..n)
            .map(|i| proptest::collection::vec(0..i.max(1), 0..3.min(i + 1)))
            .collect::<Vec<_>>();
        (
            Just(n),
            edges,
            Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
        )
    })
}

proptest! {
    #[test]
    fn orders_respect_every_edge((n, edges, insertion) in dag()) {
        // Keep only edges to lower indices (acyclic by construction).
        let edges: Vec<Vec<usize>> = edges
            .iter()
            .enumerate()
            .map(|(i, e)| { let mut e: Vec<usize> = e.iter().copied().filter(|&j| j < i).collect(); e.dedup(); e })
            .collect();
        let order = plan(&edges, &insertion).order().unwrap();
        prop_assert_eq!(order.len(), n);
        let pos: HashMap<&str, usize> = order.iter().enumerate().map(|(k, id)| (id.as_str(), k)).collect();
        for (i, e) in edges.iter().enumerate() {
            for j in e {
                let (dep, dependant) = (format!("g{j}"), format!("g{i}"));
                prop_assert!(pos[dep.as_str()] < pos[dependant.as_str()]);
            }
        }
    }

    #[test]
    fn a_back_edge_is_reported_as_a_real_cycle((n, edges, insertion) in dag(), a in 0usize..24, b in 0usize..24) {
        let mut edges: Vec<Vec<usize>> = edges
            .iter()
            .enumerate()
            .map(|(i, e)| e.iter().copied().filter(|&j| j < i).collect())
            .collect();
        let (lo, hi) = (a.min(b) % n, a.max(b) % n);
        // Chain hi -> ... -> lo exists if we add lo after hi and hi after lo.
        edges[hi].push(lo);
        edges[lo].push(hi);
        match plan(&edges, &insertion).order() {
            Err(PlanError::Cycle { cycle }) => {
                prop_assert!(cycle.len() >= 2);
                prop_assert_eq!(cycle.first(), cycle.last());
                // Each consecutive pair is an edge: gate X runs after gate Y.
                for w in cycle.windows(2) {
                    let x: usize = w[0][1..].parse().unwrap();
                    let y: usize = w[1][1..].parse().unwrap();
                    prop_assert!(edges[x].contains(&y), "{} does not run after {}", w[0], w[1]);
                }
            }
            other => prop_assert!(false, "expected a cycle, got {:?}", other),
        }
    }
}
