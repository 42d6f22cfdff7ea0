use gilkit::per_field_lock;

// A biased object's last drop may be handed to its owner thread and run later, after the
// borrowed name is gone: refused.
#[per_field_lock(rc = biased)]
struct Tagged<'a> {
    name: &'a str,
    hits: u64,
}

fn main() {}
