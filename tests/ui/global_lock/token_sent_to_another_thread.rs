fn main() {
    let guard = gil::acquire();
    std::thread::spawn(move || {
        let _token = &*guard;
    });
}
