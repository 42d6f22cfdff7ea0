use gilkit::per_field_lock;

// `rc` alone: the error names the argument and its values, at the argument, as
// `rc = arc` gets ("unknown counts `arc`; expected one of: ..."), not a bare "expected `=`"
// spanned at the whole attribute.
#[per_field_lock(rc)]
struct Node {
    value: u64,
}

fn main() {}
