//! The 0xFEEDF00D microcode parser on synthetic images: every rejection carries the right
//! byte offset, and arbitrary or corrupted input never panics.

mod model;

use ixp4xx::npe::{BlockKind, Firmware, FirmwareError, ImageId, NpeId};
use model::microcode::{Block, Image};
use proptest::prelude::*;

fn bytes(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_be_bytes()).collect()
}

#[test]
fn valid_image_yields_its_blocks_in_order() {
    let image = Image::ethernet(5);
    let file = image.to_be_bytes();
    let fw = Firmware::parse(&file, NpeId::B).unwrap();
    assert_eq!(fw.id(), ImageId(0x010C_0200));
    assert_eq!((fw.id().npe(), fw.id().functionality()), (1, 0x0C));
    assert_eq!((fw.id().major(), fw.id().minor()), (2, 0));
    assert!(!fw.is_byte_swapped());
    let blocks: Vec<_> = fw.blocks().collect();
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0].kind, BlockKind::Instruction);
    assert_eq!(blocks[1].kind, BlockKind::Data);
    assert_eq!(blocks[1].npe_addr, 0x100);
    assert_eq!(blocks[0].words().collect::<Vec<_>>(), image.blocks[0].words);
    assert_eq!(blocks[1].words().collect::<Vec<_>>(), image.blocks[1].words);
    assert_eq!(fw.id().to_string(), "NPE-B func 0x0c rev 2.0 (0x010c0200)");
}

#[test]
fn a_table_that_aliases_one_block_twice_is_rejected() {
    // Body: two instruction entries both pointing at body word 5, the end marker, then one block
    // (NPE address 0, one word). Each entry alone is in bounds; together they would load the
    // same words twice, and their sizes add up past the file.
    let body = [0, 5, 0, 5, 0xF, 0, 1, 0xdead_beef];
    let mut words = vec![0xFEED_F00D, 0x0100_0000, body.len() as u32];
    words.extend(body);
    assert_eq!(
        Firmware::parse(&bytes(&words), NpeId::B).unwrap_err(),
        FirmwareError::BlocksOverlap {
            offset: 12 + 4 * 5,
            other: 12 + 4 * 5
        }
    );
}

#[test]
fn header_errors() {
    assert_eq!(
        Firmware::parse(&[0; 8], NpeId::B).unwrap_err(),
        FirmwareError::BadLength { len: 8 }
    );
    assert_eq!(
        Firmware::parse(&[0; 13], NpeId::B).unwrap_err(),
        FirmwareError::BadLength { len: 13 }
    );
    assert_eq!(
        Firmware::parse(&bytes(&[0xFEED_F00E, 0x0100_0000, 0]), NpeId::B).unwrap_err(),
        FirmwareError::BadMagic { found: 0xFEED_F00E }
    );
    assert_eq!(
        Firmware::parse(&bytes(&[0xFEED_F00D, 0x0100_0000, 2, 0xF]), NpeId::B).unwrap_err(),
        FirmwareError::SizeMismatch {
            declared_words: 2,
            file_len: 16
        }
    );
    assert_eq!(
        Firmware::parse(&bytes(&[0xFEED_F00D, 0x1100_0000, 1, 0xF]), NpeId::B).unwrap_err(),
        FirmwareError::WrongDevice(ImageId(0x1100_0000))
    );
    assert_eq!(
        Firmware::parse(&bytes(&[0xFEED_F00D, 0x0000_0000, 1, 0xF]), NpeId::B).unwrap_err(),
        FirmwareError::WrongNpe {
            image: ImageId(0),
            expected: NpeId::B
        }
    );
}

#[test]
fn block_table_errors_point_at_the_offending_word() {
    // Table entry {0, 3} without an end marker: the marker is looked for at word 5 (offset 20).
    let words = [0xFEED_F00D, 0x0100_0000, 2, 0, 3];
    assert_eq!(
        Firmware::parse(&bytes(&words), NpeId::B).unwrap_err(),
        FirmwareError::MissingEndMarker { offset: 20 }
    );
    let words = [0xFEED_F00D, 0x0100_0000, 3, 7, 3, 0xF];
    assert_eq!(
        Firmware::parse(&bytes(&words), NpeId::B).unwrap_err(),
        FirmwareError::UnknownBlockType {
            offset: 12,
            block_type: 7
        }
    );
    // Block offset 1 points into the table (table ends at word 3).
    let words = [0xFEED_F00D, 0x0100_0000, 5, 0, 1, 0xF, 0, 0];
    assert_eq!(
        Firmware::parse(&bytes(&words), NpeId::B).unwrap_err(),
        FirmwareError::BadBlockOffset {
            offset: 16,
            target: 1
        }
    );
    // Block claims 9 words, 1 present.
    let words = [0xFEED_F00D, 0x0100_0000, 6, 0, 3, 0xF, 0x10, 9, 0xAA];
    assert_eq!(
        Firmware::parse(&bytes(&words), NpeId::B).unwrap_err(),
        FirmwareError::BlockTruncated {
            offset: 24,
            count: 9
        }
    );
    // Data block running past NPE-B's 0x800-word data memory.
    let words = [0xFEED_F00D, 0x0100_0000, 6, 1, 3, 0xF, 0x7FF, 2, 1, 2];
    let words = &words[..];
    let mut w = words.to_vec();
    w[2] = (w.len() - 3) as u32;
    assert_eq!(
        Firmware::parse(&bytes(&w), NpeId::B).unwrap_err(),
        FirmwareError::BlockOutOfNpeMemory {
            offset: 24,
            npe_addr: 0x7FF,
            count: 2,
            limit: 0x800
        }
    );
    // NPE-A has twice the instruction memory: the same address fits there.
    let a = Image {
        id: 0x0000_0000,
        blocks: vec![Block {
            data: false,
            npe_addr: 0xFFF,
            words: vec![1],
        }],
    };
    assert!(Firmware::parse(&a.to_be_bytes(), NpeId::A).is_ok());
    let mut b = a;
    b.id = 0x0100_0000;
    assert!(matches!(
        Firmware::parse(&b.to_be_bytes(), NpeId::B),
        Err(FirmwareError::BlockOutOfNpeMemory { limit: 0x800, .. })
    ));
}

#[test]
fn errors_render_with_offsets() {
    let e = FirmwareError::BlockTruncated {
        offset: 24,
        count: 9,
    };
    assert_eq!(
        e.to_string(),
        "offset 24: block of 9 words runs past the end of the file"
    );
}

prop_compose! {
    fn image()(blocks in prop::collection::vec(
        (any::<bool>(), 0u32..0x700, prop::collection::vec(any::<u32>(), 0..64)), 0..5))
        -> Image {
        Image {
            id: 0x0100_0000,
            blocks: blocks
                .into_iter()
                .map(|(data, npe_addr, words)| Block { data, npe_addr, words })
                .collect(),
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(fw) = Firmware::parse(&data, NpeId::B) {
            for block in fw.blocks() {
                prop_assert!(block.npe_addr as usize + block.len() <= 0x800);
            }
        }
    }

    #[test]
    fn generated_images_round_trip(img in image()) {
        let file = img.to_be_bytes();
        let fw = Firmware::parse(&file, NpeId::B).unwrap();
        let blocks: Vec<_> = fw.blocks().collect();
        prop_assert_eq!(blocks.len(), img.blocks.len());
        for (parsed, original) in blocks.iter().zip(&img.blocks) {
            prop_assert_eq!(parsed.npe_addr, original.npe_addr);
            prop_assert_eq!(parsed.kind == BlockKind::Data, original.data);
            prop_assert_eq!(parsed.words().collect::<Vec<_>>(), original.words.clone());
        }
    }

    #[test]
    fn corrupted_images_never_panic(img in image(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut file = img.to_be_bytes();
        let i = at.index(file.len());
        file[i] = byte;
        if let Ok(fw) = Firmware::parse(&file, NpeId::B) {
            let total: usize = fw.blocks().map(|b| b.len()).sum();
            prop_assert!(total * 4 <= file.len());
        }
        let truncated = &file[..i];
        let _ = Firmware::parse(truncated, NpeId::B);
    }
}
