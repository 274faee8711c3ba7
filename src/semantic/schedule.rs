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
//! itself was walked again within its wave (`check_file`). Files in a cycle of module
//! references are ordered again by their references to each other's functions and
//! classes with methods alone, and what is still a cycle by functions alone
//! (`within_cycle`): 3 files checked again, in one round, on the bench corpus (12 in
//! two rounds before). Two ask what a method in a cycle of classes reads through
//! `self` (`Authenticator.wrap` builds classes of the module that calls it); one what a
//! method of a model loaded by name reads (`get_model("customer", "ProductAlert")`
//! names no module for a reference to order). What stays cyclic shares a wave; what is
//! learnt out of order is settled by the usual rounds, so the order changes how much
//! work settling takes, never what it settles to.

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
    let wave_of = levels(
        todo.len(),
        |node, targets| {
            for reference in &facts[todo[node]].graph.references {
                if let Some(nodes) = module_of(&reference.target, &by_module) {
                    targets.extend(nodes);
                }
            }
        },
        |members| {
            let nodes: Vec<usize> = members.iter().map(|m| m.index()).collect();
            let steps = within_cycle(&nodes, todo, facts, true);
            nodes.into_iter().zip(steps).collect()
        },
    );
    let count = wave_of.iter().max().map_or(0, |w| w + 1);
    let mut waves: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (node, &i) in todo.iter().enumerate() {
        waves[wave_of[node]].push(i);
    }
    waves.retain(|wave| !wave.is_empty());
    waves
}

/// The level of each node of a graph of `count` nodes, where `targets(node, out)` puts
/// in `out` the nodes `node` refers to: one past the last level of every node it
/// refers to, except within a cycle, whose members `split` places at steps of their
/// own from the cycle's first level (`(node, step)`). Components come out callees
/// first (Kosaraju's postorder), so each is placed after all it refers to.
fn levels(
    count: usize,
    mut targets: impl FnMut(usize, &mut Vec<u32>),
    mut split: impl FnMut(&[NodeIndex]) -> Vec<(usize, usize)>,
) -> Vec<usize> {
    let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(count, 0);
    for _ in 0..count {
        graph.add_node(());
    }
    let mut out: Vec<u32> = Vec::new();
    for node in 0..count {
        out.clear();
        targets(node, &mut out);
        out.retain(|&target| target as usize != node);
        out.sort_unstable();
        out.dedup();
        for &target in &out {
            graph.add_edge(NodeIndex::new(node), NodeIndex::new(target as usize), ());
        }
    }
    let components = petgraph::algo::kosaraju_scc(&graph);
    let mut component_of = vec![0usize; count];
    for (c, members) in components.iter().enumerate() {
        for member in members {
            component_of[member.index()] = c;
        }
    }
    let mut level = vec![0usize; count];
    let mut last = vec![0usize; components.len()];
    for (c, members) in components.iter().enumerate() {
        let first = members
            .iter()
            .flat_map(|member| graph.neighbors(*member))
            .map(|target| component_of[target.index()])
            .filter(|&other| other != c)
            .inspect(|&other| debug_assert!(other < c, "components come out callees first"))
            .map(|other| last[other] + 1)
            .max()
            .unwrap_or(0);
        let steps = match members.as_slice() {
            [one] => vec![(one.index(), 0)],
            _ => split(members),
        };
        last[c] = first + steps.iter().map(|(_, step)| *step).max().unwrap_or(0);
        for (node, step) in steps {
            level[node] = first + step;
        }
    }
    level
}

/// The files of one cycle of module references (`nodes`, into `todo`), each with its
/// step (in `nodes`' order): a file after the files declaring the functions it refers
/// to that may return a queryset, and the classes with methods it refers to (a
/// method's answer may be asked through an instance or a subclass). Only answers about
/// functions are learnt by checking a file; a module's other names (constants, classes
/// without methods, functions returning something else) tie cycles that need no order.
/// Ordered by the references left, most cycles come apart. `classes` false: by
/// references to functions alone, for what stays a cycle through classes (models refer
/// to each other's classes everywhere), so that at least what functions return is
/// learnt in order. `settle` still runs rounds for the rest.
fn within_cycle(nodes: &[usize], todo: &[usize], facts: &[FileFacts], classes: bool) -> Vec<usize> {
    let mut declared: HashMap<String, u32> = HashMap::default();
    for (local, &node) in nodes.iter().enumerate() {
        let file = &facts[todo[node]];
        for function in &file.graph.functions {
            // Nested functions are no one else's to call; a module function none of
            // whose returns may be a queryset has no answer worth waiting for.
            if function.parent.is_some() {
                continue;
            }
            let method = function.class.is_some();
            if (method && classes) || (!method && function.returns.is_some()) {
                declared.insert(
                    format!("{}.{}", file.module, function.qualname),
                    local as u32,
                );
            }
            if let Some(class) = function.class.as_ref().filter(|_| classes) {
                declared.insert(format!("{}.{}", file.module, class), local as u32);
            }
        }
    }
    levels(
        nodes.len(),
        |local, targets| {
            for reference in &facts[todo[nodes[local]]].graph.references {
                if let Some(&target) = declared.get(reference.target.as_str()) {
                    targets.push(target);
                }
            }
        },
        |members| {
            let locals: Vec<usize> = members.iter().map(|m| m.index()).collect();
            if !classes {
                return locals.into_iter().map(|local| (local, 0)).collect();
            }
            // Still a cycle through classes: ordered by functions alone, so that at
            // least what functions return is learnt first (a method's answer may wait).
            let originals: Vec<usize> = locals.iter().map(|&local| nodes[local]).collect();
            let steps = within_cycle(&originals, todo, facts, false);
            locals.into_iter().zip(steps).collect()
        },
    )
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
    use crate::semantic::callgraph::{GraphFacts, GraphFunction, Reference, ReferenceKind};

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

    fn function(qualname: &str, class: Option<&str>, returns_calls: bool) -> GraphFunction {
        GraphFunction {
            qualname: qualname.to_string(),
            class: class.map(str::to_string),
            parent: None,
            task: false,
            parameters: Vec::new(),
            returns: returns_calls.then(Vec::new),
        }
    }

    #[test]
    fn a_cycle_comes_apart_by_its_references_to_functions() {
        let mut facts = vec![
            // 0: views import a constant of the utils and call its queryset helper.
            file(
                "shop.views",
                &["shop.utils.PAGE_SIZE", "shop.utils.visible_books"],
            ),
            // 1: the utils import the views' settings constant and call a function
            // of theirs that returns no queryset.
            file(
                "shop.utils",
                &["shop.views.TEMPLATE", "shop.views.render_page"],
            ),
            // 2: a form subclasses the policy class of the utils.
            file("shop.forms", &["shop.utils.Policy", "shop.views.TEMPLATE"]),
        ];
        facts[0].graph.functions = vec![function("render_page", None, false)];
        facts[1].graph.functions = vec![
            function("visible_books", None, true),
            function("Policy.allowed", Some("Policy"), false),
        ];
        // The views refer to the form: all three are one cycle of module references.
        facts[0].graph.references.push(
            file("x", &["shop.forms.BookForm"])
                .graph
                .references
                .remove(0),
        );
        let todo: Vec<usize> = (0..facts.len()).collect();
        assert_eq!(waves(&todo, &facts), vec![vec![1], vec![0, 2]]);
        // A function that may return a queryset on both sides: still one wave.
        facts[0].graph.functions[0].returns = Some(Vec::new());
        assert_eq!(waves(&todo, &facts), vec![vec![0, 1], vec![2]]);
    }

    #[test]
    fn a_cycle_through_classes_is_ordered_by_functions() {
        let mut facts = vec![
            // 0: the models build the policy class and call a queryset helper.
            file(
                "shop.models",
                &["shop.policy.Policy", "shop.policy.visible_books"],
            ),
            // 1: the policy subclasses nothing, but refers to the model class.
            file("shop.policy", &["shop.models.Book"]),
        ];
        facts[0].graph.functions = vec![function("Book.wrap", Some("Book"), false)];
        facts[1].graph.functions = vec![
            function("visible_books", None, true),
            function("Policy.allowed", Some("Policy"), false),
        ];
        let todo: Vec<usize> = (0..facts.len()).collect();
        assert_eq!(waves(&todo, &facts), vec![vec![1], vec![0]]);
        // With no function between them, the cycle stays one wave.
        facts[0].graph.references.pop();
        assert_eq!(waves(&todo, &facts), vec![vec![0, 1]]);
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
