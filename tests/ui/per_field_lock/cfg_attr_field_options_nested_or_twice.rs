// Row 2: `field(...)` inside one `cfg_attr` is honoured (see `ui-pass`); nested or repeated ones
// are refused, with the way to join the conditions.
#[gilkit::per_field_lock]
struct Nested {
    #[cfg_attr(all(), cfg_attr(all(), field(rw)))]
    a: u64,
    #[cfg_attr(unix, field(rw))]
    #[cfg_attr(windows, field(rw))]
    b: u64,
    #[field(rw)]
    #[cfg_attr(unix, field(no_lock))]
    c: u64,
}

fn main() {}
