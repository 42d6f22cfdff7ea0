use std::rc::Rc;

#[gilkit::global_lock]
struct Shared {
    count: u64,
    name: Rc<String>,
}

fn main() {}
