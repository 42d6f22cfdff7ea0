use gilkit::object::Strategy;

// The three strategies are the library's: a fourth could hand out `&mut` without a lock.
enum Unlocked {}

impl Strategy for Unlocked {
    const NAME: &'static str = "unlocked";
}

fn main() {}
