// The owner's inbox: a biased object's last drop on another thread is handed to the owner,
// which drops the value later. It must not borrow what may be gone by then.
use gilkit::refcount::{AtomicRc, Mode};

struct Reader<'a>(&'a String);

fn main() {
    let s = String::from("borrowed");
    let rc = AtomicRc::with_mode(Reader(&s), Mode::Biased);
    drop(rc);
}
