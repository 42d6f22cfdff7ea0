use gilkit::object::{Atomic, Biased, GlobalLock, Locked, Shared};
use std::cell::Cell;
use std::rc::Rc;

// Any thread may read a shared value and drop the last handle: it must be `Send + Sync`. Any
// thread may lock a locked value: it must be `Send` (a `Cell` inside a `Locked` is fine).
fn main() {
    let _ = Shared::<Biased, Rc<u8>>::new(Rc::new(0));
    let _ = Shared::<GlobalLock, Cell<u8>>::new(Cell::new(0));
    let _ = Locked::<Atomic, Rc<u8>>::new(Rc::new(0));
    let _ = Shared::<Atomic, Locked<Atomic, Cell<u8>>>::new(Locked::new(Cell::new(0)));
}
