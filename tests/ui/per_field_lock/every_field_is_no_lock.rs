use gilkit::per_field_lock;

#[per_field_lock]
struct Constants {
    #[field(no_lock)]
    id: u32,
    #[field(no_lock)]
    name: &'static str,
}

fn main() {}
