#[gilkit::atomic_rc(collect, hybrid)]
struct Node {
    value: u32,
}

impl gilkit::refcount::Trace for Node {
    fn trace(&self, _: &mut gilkit::refcount::Visitor<'_>) {}
    fn clear(&self) {}
}

fn main() {}
