// A `MutexGuard` must be unlocked on the thread that locked it: it is `Sync` but not `Send`.
#[gilkit::atomic_rc]
struct Shared {
    guard: std::sync::MutexGuard<'static, u8>,
}

fn main() {}
