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
    const UNVISITED: u32 = u32::MAX;
    let n = graph.nodes();
    let mut index = vec![UNVISITED; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut members: Vec<u32> = Vec::with_capacity(n);
    let mut offsets: Vec<u32> = vec![0];
    let mut counter = 0u32;
    // (node, position of the next successor to look at)
    let mut calls: Vec<(u32, u32)> = Vec::new();

    for root in 0..n as u32 {
        if index[root as usize] != UNVISITED {
            continue;
        }
        index[root as usize] = counter;
        low[root as usize] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root as usize] = true;
        calls.push((root, 0));
        while let Some(&mut (v, ref mut next)) = calls.last_mut() {
            if let Some(&w) = graph.successors(v).get(*next as usize) {
                *next += 1;
                if index[w as usize] == UNVISITED {
                    index[w as usize] = counter;
                    low[w as usize] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w as usize] = true;
                    calls.push((w, 0));
                } else if on_stack[w as usize] {
                    low[v as usize] = low[v as usize].min(index[w as usize]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent as usize] = low[parent as usize].min(low[v as usize]);
            }
            if low[v as usize] == index[v as usize] {
                while let Some(w) = stack.pop() {
                    on_stack[w as usize] = false;
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
