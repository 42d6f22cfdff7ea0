//! The seed's "self referenced" problem: reference counting cannot free a cycle.
//!
//! Two nodes that hold strong handles to each other keep each other's count above zero after
//! every outside handle is gone, so they leak: the live-object count of the type stays at 2.
//! Two ways out:
//! 1. making one direction a `Weak` (the child's link to its parent) breaks the cycle, and both
//!    nodes are freed by their counts;
//! 2. `#[atomic_rc(collect)]` plus a `Trace` impl lets the cycle collector
//!    (`gilkit::refcount::collect_cycles`, trial deletion as in `CPython`'s `gc`) find the cycle that
//!    nothing outside reaches and cut it.
//!
//! Run with `cargo run --example cycles`.

use std::sync::Mutex;

use gilkit::refcount::{AtomicRc, Trace, Visitor, Weak};

/// A node that links to its peer with a strong handle: a cycle leaks.
#[gilkit::atomic_rc]
struct StrongNode {
    name: &'static str,
    peer: Mutex<Option<StrongNodeRc>>,
}

/// A tree node: strong to its child, weak to its parent.
#[gilkit::atomic_rc]
struct TreeNode {
    name: &'static str,
    child: Mutex<Option<TreeNodeRc>>,
    parent: Mutex<Option<Weak<TreeNode>>>,
}

/// A node the cycle collector can see into.
#[gilkit::atomic_rc(collect)]
struct CollectedNode {
    peer: Mutex<Option<CollectedNodeRc>>,
}

impl Trace for CollectedNode {
    fn trace(&self, visitor: &mut Visitor<'_>) {
        if let Some(peer) = &*self.peer.lock().unwrap() {
            visitor.visit(peer);
        }
    }

    fn clear(&self) {
        self.peer.lock().unwrap().take();
    }
}

fn main() {
    // 1. A strong cycle: a -> b -> a.
    {
        let a = StrongNode {
            name: "a",
            peer: Mutex::new(None),
        }
        .into_handle();
        let b = StrongNode {
            name: "b",
            peer: Mutex::new(Some(a.clone())),
        }
        .into_handle();
        *a.peer.lock().unwrap() = Some(b.clone());
        println!(
            "strong cycle: {} -> {} -> {}; counts a={} b={}",
            a.name,
            b.name,
            a.name,
            AtomicRc::strong_count(&a),
            AtomicRc::strong_count(&b),
        );
    } // both outside handles dropped here
    let leaked = gilkit::stats::live::<StrongNode>();
    println!("after dropping both handles: {leaked} StrongNode objects still alive (leaked)");
    assert!(leaked >= 1, "the strong cycle should leak");

    // 2. The same shape with one weak direction: parent -> child strong, child -> parent weak.
    {
        let parent = TreeNode {
            name: "parent",
            child: Mutex::new(None),
            parent: Mutex::new(None),
        }
        .into_handle();
        let child = TreeNode {
            name: "child",
            child: Mutex::new(None),
            parent: Mutex::new(Some(AtomicRc::downgrade(&parent))),
        }
        .into_handle();
        *parent.child.lock().unwrap() = Some(child.clone());
        let up = child
            .parent
            .lock()
            .unwrap()
            .as_ref()
            .and_then(Weak::upgrade);
        println!(
            "weak link: {} -> {}, and back up to {:?}",
            parent.name,
            child.name,
            up.map(|p| p.name)
        );
    }
    let freed = gilkit::stats::live::<TreeNode>();
    println!(
        "after dropping both handles: {freed} TreeNode objects alive (the Weak fix frees them)"
    );
    assert_eq!(freed, 0, "the weak link should let both nodes go");

    // 3. A strong cycle again, this time tracked by the cycle collector.
    {
        let a = CollectedNode {
            peer: Mutex::new(None),
        }
        .into_handle();
        let b = CollectedNode {
            peer: Mutex::new(Some(a.clone())),
        }
        .into_handle();
        *a.peer.lock().unwrap() = Some(b.clone());
    }
    let before = gilkit::stats::live::<CollectedNode>();
    let cleared = gilkit::refcount::collect_cycles();
    let after = gilkit::stats::live::<CollectedNode>();
    println!("collected cycle: {before} alive, collect_cycles() cleared {cleared}, {after} alive");
    assert_eq!(
        (before, after),
        (2, 0),
        "the collector should free the unreachable cycle"
    );
}
