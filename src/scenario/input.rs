//! Reading an input file: a regular file only, and at most a given size. A FIFO would block
//! a command until some other process wrote to it, and a device such as `/dev/zero` would
//! be read until memory ran out; both are refused before they are opened for reading, and
//! every read stops one byte past its limit.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

/// Largest scenario TOML read, in bytes (64 MiB: an inline trace of about four million
/// arrival times; larger lists belong in a CSV file).
pub const MAX_SCENARIO_BYTES: u64 = 64 << 20;

/// Largest CSV file a scenario names (roster, profile, trace, empirical samples), in bytes
/// (256 MiB: a trace of about 20 million arrival times).
pub const MAX_CSV_BYTES: u64 = 256 << 20;

/// What kind of file `meta` describes, for a message: "a directory", "a FIFO (named
/// pipe)", "a character device", …; `None` for a regular file.
fn not_regular(meta: &fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

fn refused(kind: &str) -> io::Error {
    let what = if kind == "not a regular file" {
        "it is not a regular file".to_owned()
    } else {
        format!("it is {kind}, not a regular file")
    };
    io::Error::new(io::ErrorKind::InvalidInput, what)
}

fn too_large(size: Option<u64>, limit: u64) -> io::Error {
    let size = match size {
        Some(n) => format!("{n} bytes"),
        None => format!("more than {limit} bytes"),
    };
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!(
            "it holds {size}, over the limit of {limit} bytes ({} MiB)",
            limit >> 20
        ),
    )
}

/// Reads `path` whole if it is a regular file (symbolic links followed) of at most
/// `limit` bytes. A directory, FIFO, device or socket is an error of kind
/// `InvalidInput` ("it is a FIFO (named pipe), not a regular file"); a file over the
/// limit, of kind `FileTooLarge`; anything else is the OS error. [`read_fix`] gives the
/// fix for each.
pub fn read_regular_file(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    // Checked before opening: opening a FIFO for reading blocks until a writer comes.
    let meta = fs::metadata(path)?;
    if let Some(kind) = not_regular(&meta) {
        return Err(refused(kind));
    }
    if meta.len() > limit {
        return Err(too_large(Some(meta.len()), limit));
    }
    let file = File::open(path)?;
    // The path may have been replaced between the two looks; trust the open file.
    let meta = file.metadata()?;
    if let Some(kind) = not_regular(&meta) {
        return Err(refused(kind));
    }
    // A regular file may still grow, or report no size (procfs): never read past the limit.
    let mut bytes = Vec::with_capacity(meta.len().min(limit) as usize);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(None, limit));
    }
    Ok(bytes)
}

/// The fix for an error from [`read_regular_file`]: what to give instead.
pub fn read_fix(error: &io::Error) -> &'static str {
    match error.kind() {
        io::ErrorKind::InvalidInput => {
            "give the path of a regular file (chatsim does not read directories, pipes or devices)"
        }
        io::ErrorKind::FileTooLarge => {
            "use a smaller file (docs/scenario.md, \"Limits\", gives every input's limit)"
        }
        _ => {
            "check the path (paths inside a scenario are relative to the scenario file's \
             directory)"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_regular_file_up_to_its_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        fs::write(&p, b"0123456789").unwrap();
        assert_eq!(read_regular_file(&p, 10).unwrap(), b"0123456789");
        let e = read_regular_file(&p, 9).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert!(
            e.to_string()
                .contains("10 bytes, over the limit of 9 bytes"),
            "{e}"
        );
    }

    #[test]
    fn refuses_directories_and_devices() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_regular_file(dir.path(), 100).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(e.to_string(), "it is a directory, not a regular file");
        if Path::new("/dev/zero").exists() {
            let e = read_regular_file(Path::new("/dev/zero"), 100).unwrap_err();
            assert_eq!(
                e.to_string(),
                "it is a character device, not a regular file"
            );
        }
    }

    #[test]
    fn a_file_without_a_size_is_read_only_to_its_limit() {
        // procfs files report size 0 and are read until their end.
        let p = Path::new("/proc/self/status");
        if p.exists() {
            let e = read_regular_file(p, 4).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
            assert!(e.to_string().contains("more than 4 bytes"), "{e}");
        }
    }
}
