use gilkit::per_field_lock;

#[per_field_lock(class = Account)]
struct Account {
    balance: i64,
}

fn main() {}
