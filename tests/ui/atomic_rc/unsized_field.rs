// Row 6: the handle holds the value inline, with its counts, so it needs its size.
#[gilkit::atomic_rc]
pub struct Dst<T: ?Sized + Send + Sync> {
    pub len: usize,
    pub data: T,
}

#[gilkit::atomic_rc]
pub struct Dyn {
    pub len: usize,
    pub data: dyn Send + Sync,
}

fn main() {}
