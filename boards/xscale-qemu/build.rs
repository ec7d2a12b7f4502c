include!("../../linker/board-build.rs");

fn main() {
    link_board("xscale-qemu");
}
