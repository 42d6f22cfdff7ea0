// Row 12: the attribute cannot see the user's other impl blocks, so a `fn new` of the user's
// clashes with the generated constructor: rustc points at both, the generated one being the
// attribute. The fix is `#[per_field_lock(constructor = other_name)]` (see the `ui-pass` case
// `renamed_methods.rs`).
#[gilkit::per_field_lock]
struct Node {
    value: u8,
}

impl Node {
    fn new() -> Option<Self> {
        None
    }
}

fn main() {
    let _ = Node::new();
}
