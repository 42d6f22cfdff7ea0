// With `fields = ..`, a locked field named `into_fields` would give its accessor the name of the
// generated `into_fields`.
#[gilkit::per_field_lock(fields = OddFields)]
struct Odd {
    into_fields: u8,
}

fn main() {}
