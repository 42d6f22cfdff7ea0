#[gilkit::atomic_rc]
enum Shape {
    Circle(f64),
    Square(f64),
}

fn main() {}
