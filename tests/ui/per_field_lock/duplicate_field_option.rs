use gilkit::per_field_lock;

#[per_field_lock]
struct Account {
    #[field(rw)]
    #[field(rw)]
    balance: i64,
}

fn main() {}
