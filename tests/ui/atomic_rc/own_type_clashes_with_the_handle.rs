// Row 12: the user's own `type NodeRc` clashes with the generated handle alias: rustc points at
// both, the generated one being the attribute. The fix is `#[atomic_rc(handle = OtherName)]`.
#[gilkit::atomic_rc]
struct Node {
    value: u8,
}

type NodeRc = std::sync::Arc<Node>;

fn main() {}
