// A known limit of row 15: rustc expands a derive written *above* an attribute macro after it,
// and does not show it to the attribute, so it cannot be refused with the explanation; the
// error is rustc's own, on the field. Write the strategy attribute first (see
// `derive_clone_or_partial_eq.rs` for the explained refusal).
#[derive(Clone)]
#[gilkit::global_lock]
pub struct Counter {
    pub hits: u64,
}

fn main() {}
