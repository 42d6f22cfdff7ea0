use gilkit::object::{Biased, GlobalLock, Shared};

// A shared value's destructor may run later (a pending pool, an owner's inbox): it must borrow
// nothing.
fn main() {
    let local = String::from("borrowed");
    let _ = Shared::<GlobalLock, &String>::new(&local);
    let _ = Shared::<Biased, &String>::new(&local);
}
