use gilkit::per_field_lock;

#[per_field_lock]
struct Account {
    #[field(fair)]
    balance: i64,
    #[field(spin)]
    history: Vec<i64>,
}

fn main() {}
