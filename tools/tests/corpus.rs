//! Runs every parser over every file of the committed fuzz corpus (tools/fuzz/corpus), with the
//! same property checks as the cargo-fuzz targets, so CI exercises the corpus without
//! cargo-fuzz. Also feeds each file to the other parsers, and to its own truncated.

use std::fs;
use std::path::Path;

use bareproxy_tool::fuzz_support::{check_kwbimage, check_kwbimage_cfg, check_nslu2, check_uimage};
use bareproxy_tool::image::{kwbimage, uimage};

type Check = fn(&[u8]);

const TARGETS: [(&str, Check); 4] = [
    ("kwbimage", check_kwbimage),
    ("kwbimage_cfg", check_kwbimage_cfg),
    ("uimage", check_uimage),
    ("nslu2", check_nslu2),
];

fn corpus_files(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            (path.display().to_string(), fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_parser_survives_every_corpus_file_and_its_truncations() {
    let mut total = 0;
    for (target, own_check) in TARGETS {
        let files = corpus_files(target);
        assert!(!files.is_empty(), "no seeds for {target}");
        for (name, bytes) in &files {
            // The NSLU2 check builds, unpacks and re-packs an 8 MiB flash per call (tens of ms
            // in a debug build), so it gets its own files only, and only the hand-made ones
            // (`seed-*`, `regress-*`) have their truncations sampled; fuzzer finds are
            // already minimal. Every other check sees every file and every prefix.
            let expensive = target == "nslu2";
            for (other, check) in TARGETS {
                if other == target || other != "nslu2" {
                    check(bytes);
                }
            }
            let hand_made = name.contains("/seed-") || name.contains("/regress-");
            let prefix_lengths = match (expensive, hand_made) {
                (false, _) => (0..bytes.len()).step_by(1),
                (true, true) => (0..bytes.len()).step_by(97),
                (true, false) => (0..0).step_by(1),
            };
            for len in prefix_lengths {
                own_check(&bytes[..len]);
            }
            total += 1;
            eprintln!("ok {name}");
        }
    }
    assert!(total >= 10);
}

#[test]
fn seeds_parse_to_what_they_contain() {
    // The valid seeds are what they claim to be; the damaged ones fail with an offset. Only the
    // hand-made `seed-*` files are named for what they are; fuzzer finds are arbitrary.
    let seeds = |target| {
        corpus_files(target)
            .into_iter()
            .filter(|(name, _)| name.contains("/seed-"))
    };
    for (name, bytes) in seeds("kwbimage") {
        let result = kwbimage::parse(&bytes).and_then(|p| p.verify().map(|()| p));
        match (name.contains("truncated") || name.contains("bad"), result) {
            (false, Ok(parsed)) => {
                assert_eq!(&parsed.payload(&bytes).unwrap()[..10], b"HELLO-A370")
            }
            (true, Err(e)) => assert!(e.to_string().contains("offset 0x"), "{name}: {e}"),
            (_, other) => panic!("{name}: unexpected {other:?}"),
        }
    }
    for (name, bytes) in seeds("uimage") {
        match (name.contains("truncated"), uimage::parse(&bytes)) {
            (false, Ok((header, data))) => {
                assert_eq!(header.params.name, "mirabox-fw");
                assert_eq!(data, &[0xfe, 0xff, 0xff, 0xea]);
            }
            (true, Err(e)) => assert!(e.to_string().contains("offset 0x"), "{name}: {e}"),
            (_, other) => panic!("{name}: unexpected {other:?}"),
        }
    }
}

#[test]
fn optional_header_chain_follows_bit0_of_the_next_byte() {
    // Found by `cargo fuzz run kwbimage`: a register header whose "next" byte is 0x22 is the last
    // one for U-Boot (which tests bit 0 only), so the binary header after it is not part of the
    // chain. The parser used to take any non-zero byte as "more" and so saw two headers.
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus/kwbimage/regress-chain-flag-bit0.kwb");
    let mut image = fs::read(&path).unwrap();
    const REGISTER_HEADER_NEXT: usize = 0x34; // header at 0x20, 0x18 bytes, "next" 4 from the end
    assert_eq!((image[0x20], image[REGISTER_HEADER_NEXT]), (3, 0x22));
    let parsed = kwbimage::parse(&image).unwrap();
    assert_eq!(parsed.optional.len(), 1);
    assert_eq!(parsed.headers_end, 0x38);

    // Setting bit 0 chains the binary header at 0x38 (checksums are not part of parse()).
    image[REGISTER_HEADER_NEXT] = 0x23;
    let parsed = kwbimage::parse(&image).unwrap();
    assert_eq!(parsed.optional.len(), 2);
    assert_eq!(parsed.optional[1].0, 0x38);
}
