use gilkit::object::{Context, GlobalLock};

// A token proves that this thread is in a context (under the GIL: holds it); it cannot be
// taken out of the context it came from.
fn main() {
    let token = Context::<GlobalLock>::enter(|cx| cx.token());
    let _ = token;
}
