use gilkit::object::{Context, GlobalLock, Locked, Shared};

// `detach` gives the GIL away: a token taken before it cannot be used inside it (a count
// changed without the GIL would race), nor survive a checkpoint, which may switch.
fn main() {
    let object: Shared<GlobalLock, Locked<GlobalLock, u8>> = Shared::new(Locked::new(0));
    Context::enter(|cx| {
        let token = cx.token();
        cx.detach(|| drop(object.share(token)));
    });
    Context::enter(|cx| {
        let token = cx.token();
        cx.checkpoint();
        drop(object.share(token));
    });
}
