use gilkit::object::{Atomic, Context, Locked};

// `with` borrows the context mutably: no second object can be locked inside, so no two object
// locks ever nest, and the same object cannot be borrowed twice.
fn main() {
    let a = Locked::<Atomic, u8>::new(0);
    let b = Locked::<Atomic, u8>::new(0);
    Context::enter(|cx| {
        a.with(cx, |x, _| b.with(cx, |y, _| std::mem::swap(x, y)));
        a.with(cx, |_, _| cx.detach(|| ()));
        a.with(cx, |_, _| cx.checkpoint());
    });
}
