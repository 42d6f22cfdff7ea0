// The twin of `fields = ..` holds every field by value, so an unsized last field cannot have one.
#[gilkit::global_lock(fields = BufferFields)]
struct Buffer<T: ?Sized> {
    len: usize,
    data: T,
}

fn main() {}
