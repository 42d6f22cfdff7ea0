use gilkit::per_field_lock;

#[per_field_lock]
struct Account {
    balance: i64,
    #[field(no_lock)]
    id: u32,
}

fn main() {
    let a = Account::new(0, 1).into_handle();
    a.id = 2;
}
