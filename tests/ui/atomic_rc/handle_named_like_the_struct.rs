// Row 12: the handle alias cannot take the struct's own name.
#[gilkit::atomic_rc(handle = Node)]
struct Node {
    value: u8,
}

fn main() {}
