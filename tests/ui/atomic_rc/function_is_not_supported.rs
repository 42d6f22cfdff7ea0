#[gilkit::atomic_rc]
fn shared() {}

fn main() {}
