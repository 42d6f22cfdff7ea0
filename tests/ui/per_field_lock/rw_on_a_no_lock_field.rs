use gilkit::per_field_lock;

#[per_field_lock]
struct Account {
    balance: i64,
    #[field(no_lock, rw)]
    id: u32,
}

fn main() {}
