// An `Rc` is neither `Send` nor `Sync`: both errors, on field `_1` of the tuple struct.
#[gilkit::atomic_rc]
struct Pair(u32, std::rc::Rc<str>);

fn main() {}
