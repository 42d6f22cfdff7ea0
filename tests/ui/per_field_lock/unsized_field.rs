// Row 6: a field lock holds its value inline, so it needs its size.
#[gilkit::per_field_lock]
pub struct Dst<T: ?Sized + Send> {
    pub len: usize,
    pub data: T,
}

#[gilkit::per_field_lock]
pub struct Bytes<T>
where
    T: ?Sized,
{
    pub len: usize,
    pub data: T,
}

#[gilkit::per_field_lock]
pub struct Text {
    pub len: usize,
    pub data: str,
}

fn main() {}
