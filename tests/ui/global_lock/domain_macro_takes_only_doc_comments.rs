// A `#[cfg]` that removed the declared enum would leave the `unsafe impl` to whatever else the
// name means in scope (an alias, say): `domain!` accepts doc comments only.
type Physics = u8;
gilkit::domain!(#[cfg(any())] Physics);

fn main() {}
