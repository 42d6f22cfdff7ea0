use gilkit::per_field_lock;

#[per_field_lock(fair)]
struct Account {
    balance: i64,
}

fn main() {}
