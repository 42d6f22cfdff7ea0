// The owner's exit merge: a scoped thread's thread-locals are destroyed after `scope` has
// returned, and its exit merge may drop the objects it owns then.
use gilkit::refcount::{AtomicRc, Mode};

struct Reader<'a>(&'a String);

fn main() {
    let s = String::from("borrowed");
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let rc = AtomicRc::with_mode(Reader(&s), Mode::Biased);
            std::mem::forget(rc.clone()); // counted in the owner's local count until its exit
        });
    });
    drop(s);
}
