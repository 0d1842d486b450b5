//! The deployment's signing key (ECDSA P-256): generation, PEM in and out, and the
//! key file in the server's data folder.

use p256::elliptic_curve::Generate;
use p256::elliptic_curve::zeroize::Zeroizing;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a key could not be made, read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The operating system's random source failed.
    #[error("no randomness for a new key: {0}")]
    Random(String),
    /// The PEM is not a P-256 private key (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`).
    #[error("not a P-256 private key in PEM: {0}")]
    Pem(String),
    /// The key could not be encoded (a bug).
    #[error("cannot encode the key: {0}")]
    Encode(String),
}

/// Why the key file could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading, creating or writing the file failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Other users may read the file: the key must be treated as leaked.
    #[error(
        "key file {path} has mode {mode:o}: group or others may read it; use chmod 600 (and consider the key compromised)"
    )]
    Permissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file does not hold a usable key.
    #[error("key file {path}: {source}")]
    Key {
        /// The key file.
        path: PathBuf,
        /// What is wrong with the key.
        source: KeyError,
    },
}

/// The private key that signs a deployment's CAP messages (ECDSA over NIST P-256).
///
/// `Debug` shows only the public key.
#[derive(Clone)]
pub struct SigningKey {
    pub(crate) inner: p256::ecdsa::SigningKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field(
                "public_key",
                &public_point_base64(self.inner.verifying_key()),
            )
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new random key from the operating system's random source.
    pub fn generate() -> Result<Self, KeyError> {
        p256::ecdsa::SigningKey::try_generate()
            .map(|inner| Self { inner })
            .map_err(|e| KeyError::Random(e.to_string()))
    }

    /// Read a private key: PKCS#8 (`-----BEGIN PRIVATE KEY-----`, what [`Self::to_pem`]
    /// writes) or SEC1 (`-----BEGIN EC PRIVATE KEY-----`, what
    /// `openssl ecparam -name prime256v1 -genkey` writes).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let inner = if pem.contains("-----BEGIN EC PRIVATE KEY-----") {
            p256::SecretKey::from_sec1_pem(pem)
                .map(p256::ecdsa::SigningKey::from)
                .map_err(|e| KeyError::Pem(e.to_string()))?
        } else {
            p256::ecdsa::SigningKey::from_pkcs8_pem(pem)
                .map_err(|e| KeyError::Pem(e.to_string()))?
        };
        Ok(Self { inner })
    }

    /// The private key as PKCS#8 PEM (wiped from memory when dropped).
    pub fn to_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        self.inner
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| KeyError::Encode(e.to_string()))
    }

    /// The public key as SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`): what
    /// receivers verify with ([`crate::verify_cap`], `xmlsec1 --pubkey-pem`).
    pub fn public_key_pem(&self) -> Result<String, KeyError> {
        self.inner
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| KeyError::Encode(e.to_string()))
    }
}

/// The public key as XML-DSig 1.1's `dsig11:PublicKey`: base64 of the uncompressed
/// point (`04 || x || y`).
pub(crate) fn public_point_base64(key: &p256::ecdsa::VerifyingKey) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(key.to_sec1_point(false).as_bytes())
}

fn temporary_name(path: &Path) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{}-{nanos}.tmp", std::process::id()));
    PathBuf::from(name)
}

/// Load the key at `path`, or create it there (and its folder) if there is none.
///
/// A new file is created with mode 0600 (on Unix) and never overwrites an existing
/// one. An existing file that group or others may read is refused rather than used:
/// its key must be assumed leaked.
pub fn load_or_create_key(path: &Path) -> Result<SigningKey, KeyFileError> {
    let io = |source| KeyFileError::Io {
        path: path.to_owned(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(pem) => {
            check_private(path)?;
            return SigningKey::from_pem(&pem).map_err(|source| KeyFileError::Key {
                path: path.to_owned(),
                source,
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    let key_err = |source| KeyFileError::Key {
        path: path.to_owned(),
        source,
    };
    let key = SigningKey::generate().map_err(key_err)?;
    let pem = key.to_pem().map_err(key_err)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    // Written in full under a temporary name, then linked into place: a concurrent
    // reader never sees a half-written key, and an existing key is never replaced.
    let tmp = temporary_name(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&tmp).and_then(|mut file| {
        file.write_all(pem.as_bytes())?;
        file.sync_all()
    });
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
    // Best effort: the temporary name is unique, a leftover harms nothing.
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {}
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return load_or_create_key(path);
        }
        Err(e) => return Err(io(e)),
    }
    Ok(key)
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), KeyFileError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|source| KeyFileError::Io {
            path: path.to_owned(),
            source,
        })?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::Permissions {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), KeyFileError> {
    Ok(())
}
