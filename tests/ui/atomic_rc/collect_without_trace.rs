// `collect` needs a `gilkit::refcount::Trace` impl: the collector must see the node's handles.
use std::sync::Mutex;

#[gilkit::atomic_rc(collect)]
struct Node {
    next: Mutex<Option<NodeRc>>,
}

fn main() {}
