//! Reading files that a catalog, a docs folder, a template or the config
//! names, without trusting what they are: the type is checked before the
//! file is opened (a named pipe would block the reader for ever, a device
//! such as `/dev/zero` never ends), the open itself does not block
//! (`O_NONBLOCK`, so a pipe swapped in after the check cannot hang us), the
//! opened handle is checked again, and never more than a limit is read.
//!
//! Links: callers that must stay inside a root resolve the path first
//! ([`std::fs::canonicalize`]) and check it is under the root; these
//! functions then read the resolved path.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// Not a regular file: a folder, pipe, socket or device (`what` says
    /// which).
    NotRegular(&'static str),
    /// Larger than the limit (its size in bytes when known up front).
    TooLarge {
        limit: u64,
        size: Option<u64>,
    },
    Io(io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotRegular(what) => write!(f, "not a regular file ({what}); not read"),
            ReadError::TooLarge {
                limit,
                size: Some(size),
            } => write!(f, "file is {size} bytes, over the {limit}-byte limit"),
            ReadError::TooLarge { limit, size: None } => {
                write!(f, "file is over the {limit}-byte limit")
            }
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ReadError {}

/// What kind of file this is, in words, when it is not a regular file.
pub fn kind_of(file_type: fs::FileType) -> Option<&'static str> {
    if file_type.is_file() {
        return None;
    }
    if file_type.is_dir() {
        return Some("a folder");
    }
    if file_type.is_symlink() {
        return Some("a symbolic link");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("a named pipe");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return Some("a device");
        }
    }
    Some("not a regular file")
}

/// Open `path` for reading if it is a regular file (links followed), without
/// blocking on the open; the handle's own type is checked too.
pub fn open_regular(path: &Path) -> Result<(File, u64), ReadError> {
    let meta = fs::metadata(path).map_err(ReadError::Io)?;
    if let Some(what) = kind_of(meta.file_type()) {
        return Err(ReadError::NotRegular(what));
    }
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if let Some(what) = kind_of(meta.file_type()) {
        return Err(ReadError::NotRegular(what));
    }
    Ok((file, meta.len()))
}

/// Read a regular file whole, refusing pipes, devices and folders and
/// anything over `max_bytes` (the file may grow while it is read: never
/// more than `max_bytes` + 1 bytes are taken).
pub fn read_regular(path: &Path, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
    let (file, len) = open_regular(path)?;
    if len > max_bytes {
        return Err(ReadError::TooLarge {
            limit: max_bytes,
            size: Some(len),
        });
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > max_bytes {
        return Err(ReadError::TooLarge {
            limit: max_bytes,
            size: None,
        });
    }
    Ok(bytes)
}

/// [`read_regular`] as UTF-8 text (an `InvalidData` error when it is not).
pub fn read_regular_text(path: &Path, max_bytes: u64) -> Result<String, ReadError> {
    let bytes = read_regular(path, max_bytes)?;
    String::from_utf8(bytes)
        .map_err(|e| ReadError::Io(io::Error::new(io::ErrorKind::InvalidData, e)))
}

/// The first `max_bytes` of a regular file (for a preview or a page shown
/// in part), refusing pipes, devices and folders.
pub fn read_regular_prefix(path: &Path, max_bytes: u64) -> Result<(Vec<u8>, u64), ReadError> {
    let (file, len) = open_regular(path)?;
    let mut bytes = Vec::with_capacity(len.min(max_bytes) as usize);
    file.take(max_bytes)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    Ok((bytes, len))
}

#[cfg(all(test, unix))]
pub(crate) mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// Make a named pipe at `path` (nobody ever writes to it).
    pub(crate) fn mkfifo(path: &Path) {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
    }

    #[test]
    fn pipes_devices_and_folders_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let pipe = dir.path().join("pipe");
        mkfifo(&pipe);
        let started = Instant::now();
        assert!(matches!(
            read_regular(&pipe, 100),
            Err(ReadError::NotRegular("a named pipe"))
        ));
        assert!(matches!(
            read_regular(Path::new("/dev/zero"), 100),
            Err(ReadError::NotRegular("a device"))
        ));
        assert!(matches!(
            read_regular(dir.path(), 100),
            Err(ReadError::NotRegular("a folder"))
        ));
        assert!(started.elapsed() < Duration::from_secs(2));
        let file = dir.path().join("f");
        fs::write(&file, "hello").unwrap();
        assert_eq!(read_regular(&file, 5).unwrap(), b"hello");
        assert!(matches!(
            read_regular(&file, 4),
            Err(ReadError::TooLarge { size: Some(5), .. })
        ));
        assert_eq!(read_regular_prefix(&file, 2).unwrap(), (b"he".to_vec(), 5));
    }
}
