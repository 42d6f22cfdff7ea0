// Fields are shared immutably: a handle derefs to `&Shared`, never `&mut`.
#[gilkit::atomic_rc]
struct Shared {
    value: u32,
}

fn main() {
    let shared = Shared { value: 1 }.into_handle();
    shared.value = 2;
}
