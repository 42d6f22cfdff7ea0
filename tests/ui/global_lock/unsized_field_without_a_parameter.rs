// Row 6: `#[global_lock]` supports an unsized last field that is generic (see
// `tests/ui-pass/global_lock/unsized_last_field.rs`); a concrete one could never be built.
#[gilkit::global_lock]
pub struct Bytes {
    pub len: usize,
    pub data: [u8],
}

fn main() {}
