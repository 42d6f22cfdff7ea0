use gilkit::object::{Biased, Context, GlobalLock, Locked, Token};

// The `&mut` that `with` hands out, and its token, live only as long as the closure: neither can
// be returned, nor stored in the value.
fn main() {
    let cell = Locked::<GlobalLock, Vec<u8>>::new(Vec::new());
    let _escaped: &mut Vec<u8> = Context::enter(|cx| cell.with(cx, |value, _| value));

    let tokens = Locked::<Biased, Vec<Token<'static, Biased>>>::new(Vec::new());
    Context::enter(|cx| tokens.with(cx, |value, token| value.push(token)));
}
