//! The order a cold run checks files in: the modules a file refers to before the file.
//!
//! What a project function returns is learnt while its file is checked, and a file that
//! asked about it before then must be checked again (`settle` in `lib.rs`). Checked all
//! at once, every caller of a project function is checked again at least once: 332 of
//! the bench corpus's 6 307 files, then 98 and 2 more. Checked in waves, callees'
//! modules first (pass 1's call graph references say who refers to whom), a caller
//! mostly asks about functions already learnt: 151, then 9 and 1 (32 waves), and 58
//! then 1 once custom QuerySet methods, which the index answers by name alone
//! (`Book.objects.search()`) and no reference orders, were read off their declarations
//! (`returns.rs`), and 11 then 1 once a file calling a function declared further down
//! itself was walked again within its wave (`check_file`). Files in a cycle of
//! references share a wave; what is learnt out of order is settled by the usual rounds,
//! so the order changes how much work settling takes, never what it settles to.

use petgraph::graph::{DiGraph, NodeIndex};
use rustc_hash::FxHashMap as HashMap;

use crate::semantic::index::FileFacts;

/// `todo` (indices into `facts`) grouped in waves: every file after the files of the
/// modules its references name, except within a cycle. Waves are in checking order,
/// files in each in `todo`'s order; the grouping is a function of the facts alone.
pub(crate) fn waves(todo: &[usize], facts: &[FileFacts]) -> Vec<Vec<usize>> {
    let mut by_module: HashMap<&str, Vec<u32>> = HashMap::default();
    for (node, &i) in todo.iter().enumerate() {
        by_module
            .entry(facts[i].module.as_str())
            .or_default()
            .push(node as u32);
    }
    let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(todo.len(), 0);
    for _ in todo {
        graph.add_node(());
    }
    let mut targets: Vec<u32> = Vec::new();
    for (node, &i) in todo.iter().enumerate() {
        targets.clear();
        for reference in &facts[i].graph.references {
            if let Some(nodes) = module_of(&reference.target, &by_module) {
                targets.extend(nodes.iter().filter(|&&n| n as usize != node));
            }
        }
        targets.sort_unstable();
        targets.dedup();
        for &target in &targets {
            graph.add_edge(NodeIndex::new(node), NodeIndex::new(target as usize), ());
        }
    }
    // Components come out callees first (Kosaraju's postorder); a component's wave is
    // one past the latest wave of any component it refers to.
    let components = petgraph::algo::kosaraju_scc(&graph);
    let mut component_of = vec![0usize; todo.len()];
    for (c, nodes) in components.iter().enumerate() {
        for node in nodes {
            component_of[node.index()] = c;
        }
    }
    let mut wave_of = vec![0usize; components.len()];
    for (c, nodes) in components.iter().enumerate() {
        let mut wave = 0;
        for node in nodes {
            for target in graph.neighbors(*node) {
                let other = component_of[target.index()];
                debug_assert!(other <= c, "components come out callees first");
                if other != c {
                    wave = wave.max(wave_of[other] + 1);
                }
            }
        }
        wave_of[c] = wave;
    }
    let count = wave_of.iter().max().map_or(0, |w| w + 1);
    let mut waves: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (node, &i) in todo.iter().enumerate() {
        waves[wave_of[component_of[node]]].push(i);
    }
    waves
}

/// The files of the longest module of the tree that `target` (`shop.models.Book.save`)
/// names: `shop.models`, else `shop`.
fn module_of<'a>(target: &str, by_module: &'a HashMap<&str, Vec<u32>>) -> Option<&'a [u32]> {
    let mut prefix = target;
    loop {
        if let Some(nodes) = by_module.get(prefix) {
            return Some(nodes);
        }
        prefix = &prefix[..prefix.rfind('.')?];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantic::callgraph::{GraphFacts, Reference, ReferenceKind};

    fn file(module: &str, targets: &[&str]) -> FileFacts {
        FileFacts {
            module: module.to_string(),
            graph: GraphFacts {
                references: targets
                    .iter()
                    .map(|target| Reference {
                        from: None,
                        target: target.to_string(),
                        kind: ReferenceKind::Plain,
                        arguments: None,
                    })
                    .collect(),
                ..GraphFacts::default()
            },
            ..FileFacts::default()
        }
    }

    #[test]
    fn callees_modules_come_first_and_cycles_share_a_wave() {
        let facts = vec![
            // 0: views call a service and a manager method through the model.
            file(
                "shop.views",
                &["shop.services.recompute", "shop.models.Book.objects"],
            ),
            // 1, 2: models and managers refer to each other.
            file("shop.models", &["shop.managers.BookManager"]),
            file(
                "shop.managers",
                &["shop.models.Book", "django.db.models.Manager"],
            ),
            // 3: the service uses the models.
            file("shop.services", &["shop.models.Book"]),
            // 4: refers to nothing of the tree.
            file("shop.apps", &["django.apps.AppConfig"]),
        ];
        let todo: Vec<usize> = (0..facts.len()).collect();
        assert_eq!(waves(&todo, &facts), vec![vec![1, 2, 4], vec![3], vec![0]]);
        // Only the files to check are ordered: the others' answers are known.
        assert_eq!(waves(&[0, 4], &facts), vec![vec![0, 4]]);
    }
}
