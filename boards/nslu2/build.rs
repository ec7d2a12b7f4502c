include!("../../linker/board-build.rs");

fn main() {
    link_board("nslu2");
}
