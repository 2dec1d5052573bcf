//! A directed graph over numbered nodes, packed, and its strongly connected components: shared by
//! `application_grouping`, `network_topology` and the assessment flow's wave planning.

/// A directed graph over numbered nodes in compressed rows: node `v`'s successors are
/// `targets[offsets[v]..offsets[v + 1]]`, in the order the edges came.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    offsets: Vec<u32>,
    targets: Vec<u32>,
}

impl Graph {
    /// A graph of `nodes` nodes; edges to or from nodes outside it are ignored.
    pub fn new(nodes: usize, edges: impl Iterator<Item = (u32, u32)> + Clone) -> Self {
        let n = nodes as u32;
        let inside = move |&(s, t): &(u32, u32)| s < n && t < n;
        let mut offsets = vec![0u32; nodes + 1];
        for (s, _) in edges.clone().filter(inside) {
            offsets[s as usize + 1] += 1;
        }
        for v in 0..nodes {
            offsets[v + 1] += offsets[v];
        }
        let mut next = offsets.clone();
        let mut targets = vec![0u32; offsets[nodes] as usize];
        for (s, t) in edges.filter(inside) {
            targets[next[s as usize] as usize] = t;
            next[s as usize] += 1;
        }
        Graph { offsets, targets }
    }

    pub fn nodes(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn successors(&self, v: u32) -> &[u32] {
        let v = v as usize;
        match (self.offsets.get(v), self.offsets.get(v + 1)) {
            (Some(&from), Some(&to)) => &self.targets[from as usize..to as usize],
            _ => &[],
        }
    }
}

/// Strongly connected components by Tarjan's algorithm with an explicit stack. Components come
/// out in reverse topological order: every edge between components points to an earlier one.
/// Returned as a graph of sorts: component `c`'s members are `successors(c)`.
pub fn strongly_connected_components(graph: &Graph) -> Graph {
    let n = graph.nodes();
    let mut t = Tarjan {
        index: vec![UNVISITED; n],
        low: vec![0u32; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        calls: Vec::new(),
        counter: 0,
    };
    let mut members: Vec<u32> = Vec::with_capacity(n);
    let mut offsets: Vec<u32> = vec![0];

    for root in 0..n as u32 {
        if t.index[root as usize] != UNVISITED {
            continue;
        }
        t.enter(root);
        while let Some(&mut (v, ref mut next)) = t.calls.last_mut() {
            if let Some(&w) = graph.successors(v).get(*next as usize) {
                *next += 1;
                if t.index[w as usize] == UNVISITED {
                    t.enter(w);
                } else if t.on_stack[w as usize] {
                    t.low[v as usize] = t.low[v as usize].min(t.index[w as usize]);
                }
                continue;
            }
            t.calls.pop();
            if let Some(&(parent, _)) = t.calls.last() {
                t.low[parent as usize] = t.low[parent as usize].min(t.low[v as usize]);
            }
            if t.low[v as usize] == t.index[v as usize] {
                while let Some(w) = t.stack.pop() {
                    t.on_stack[w as usize] = false;
                    members.push(w);
                    if w == v {
                        break;
                    }
                }
                offsets.push(members.len() as u32);
            }
        }
    }
    Graph {
        offsets,
        targets: members,
    }
}

const UNVISITED: u32 = u32::MAX;

/// Tarjan's bookkeeping: each node's visit number and low-link, the stack of nodes whose
/// component is not finished, and the explicit call stack.
struct Tarjan {
    index: Vec<u32>,
    low: Vec<u32>,
    on_stack: Vec<bool>,
    stack: Vec<u32>,
    /// (node, position of the next successor to look at)
    calls: Vec<(u32, u32)>,
    counter: u32,
}

impl Tarjan {
    /// Visits `v`: numbers it, and pushes it on the node stack and the call stack.
    fn enter(&mut self, v: u32) {
        self.index[v as usize] = self.counter;
        self.low[v as usize] = self.counter;
        self.counter += 1;
        self.stack.push(v);
        self.on_stack[v as usize] = true;
        self.calls.push((v, 0));
    }
}

/// Each node's component, from `strongly_connected_components`' answer over `nodes` nodes.
pub fn component_of(components: &Graph, nodes: usize) -> Vec<u32> {
    let mut of = vec![0u32; nodes];
    for c in 0..components.nodes() as u32 {
        for &v in components.successors(c) {
            of[v as usize] = c;
        }
    }
    of
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tarjan_on_small_graphs() {
        // 0 → 1 → 2 → 0, 2 → 3, 3 → 4 → 3
        let graph = Graph::new(5, [(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 3)].into_iter());
        let components = strongly_connected_components(&graph);
        let sccs: Vec<Vec<u32>> = (0..components.nodes() as u32)
            .map(|c| {
                let mut c = components.successors(c).to_vec();
                c.sort();
                c
            })
            .collect();
        // Reverse topological order: {3,4} before {0,1,2}.
        assert_eq!(sccs, vec![vec![3, 4], vec![0, 1, 2]]);
        assert_eq!(
            strongly_connected_components(&Graph::new(0, std::iter::empty())).nodes(),
            0
        );
    }
}
