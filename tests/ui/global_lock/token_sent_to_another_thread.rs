fn main() {
    let guard = gilkit::acquire();
    std::thread::spawn(move || {
        let _token = &*guard;
    });
}
