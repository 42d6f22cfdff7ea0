#[gilkit::global_lock]
struct Boxed<T>(T);

fn main() {
    // A handle may be dropped, and its object freed, on any thread.
    let _handle = Boxed::new(std::rc::Rc::new(1)).into_handle();
}
