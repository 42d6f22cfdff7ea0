use gilkit::per_field_lock;

#[per_field_lock(class = "A", class = "B")]
struct Account {
    balance: i64,
}

fn main() {}
