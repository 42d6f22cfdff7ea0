// `#[global_lock(debug)]` prints every field, so each field's type must be `Debug`; the error
// points at the field's type.
struct Secret;

#[gilkit::global_lock(debug)]
struct Vault {
    count: u32,
    secret: Secret,
}

fn main() {}
