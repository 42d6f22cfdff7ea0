use gilkit::object::{Biased, Context, GlobalLock, Locked, Shared};

// A context belongs to its thread: neither it nor (under the GIL) its token can reach another
// thread, even a scoped one.
fn main() {
    let cell = Locked::<Biased, u8>::new(0);
    Context::<Biased>::enter(|cx| {
        std::thread::scope(|s| {
            s.spawn(|| cell.with(cx, |value, _| *value += 1));
        });
    });
    let object: Shared<GlobalLock, u8> = Shared::new(0);
    Context::<GlobalLock>::enter(|cx| {
        let token = cx.token();
        std::thread::scope(|s| {
            s.spawn(move || drop(object.share(token)));
        });
    });
}
