#[gilkit::global_lock(domain = 5)]
pub struct Body {
    pub position: f64,
}

fn main() {}
