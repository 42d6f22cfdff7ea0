// `domain =` names a type declared with `gilkit::domain!`; any other type is refused where it is named.
#[gilkit::global_lock(domain = u32)]
pub struct Body {
    pub position: f64,
}

fn main() {}
