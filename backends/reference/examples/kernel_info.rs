//! Print the kernel set `auto` picks on this CPU and every set it can run
//! (`--names`: just the names, one per line, for scripts).

use edgebench_reference::kernels;

fn main() {
    if std::env::args().any(|a| a == "--names") {
        for k in kernels::available() {
            println!("{k}");
        }
        return;
    }
    println!("arch: {}", std::env::consts::ARCH);
    println!("auto: {}", kernels::select_auto().name);
    println!("available: {}", kernels::available().join(", "));
    match kernels::select() {
        Ok(k) => println!("{}: {}", kernels::ENV_VAR, k.name),
        Err(e) => println!("{}: {e}", kernels::ENV_VAR),
    }
}
